package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"strings"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/ledger"
)

// verifySettlementContent checks what the ledger records of a settlement only by its hash:
// the stored detail must hash to content_hash (which the ledger records), and every summary
// column that grouping, payment, audit and evaluation read — principal diagnosis, totals,
// dates, length of stay, person — must be what the detail says. Without this, a row edited
// behind yibao's back in those columns, or in detail, passed verify (review of issue 10).
// setl_end and other_fund_fen are not in the detail: the ledger records them.
func (s *Store) verifySettlementContent(ctx context.Context) ([]ledger.Problem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT setl_id, version, content_hash, detail, mdtrt_id, hospital, psn, sex, age, insutype,
		med_type, inpatient, adm_time, dscg_time, los, dscg_dept, disposition, principal_dx, total_fen, fund_fen, fee_count, doctor
		FROM settlements`)
	if err != nil {
		return nil, fmt.Errorf("verify settlements: %w", err)
	}
	defer rows.Close()
	var problems []ledger.Problem
	for rows.Next() {
		var (
			setlID, mdtrt, hospital, psn, insutype, medType, dept, disp, dx, doctor string
			version, sex, age, inpatient, los, total, fund, fees                    int64
			hash, detail                                                            []byte
			adm, dscg                                                               sql.NullInt64
		)
		if err := rows.Scan(&setlID, &version, &hash, &detail, &mdtrt, &hospital, &psn, &sex, &age, &insutype, &medType, &inpatient,
			&adm, &dscg, &los, &dept, &disp, &dx, &total, &fund, &fees, &doctor); err != nil {
			return nil, err
		}
		ref := setlID + "#" + fmt.Sprint(version)
		sum := sha256.Sum256(detail)
		if !bytes.Equal(sum[:], hash) {
			problems = append(problems, ledger.Problem{Kind: "settlement", Ref: ref, What: "edited",
				Detail: "detail does not hash to content_hash: the settlement's content was edited"})
			continue
		}
		var st yibao.Settlement
		if err := decodeSettlement(detail, &st); err != nil {
			problems = append(problems, ledger.Problem{Kind: "settlement", Ref: ref, What: "edited", Detail: err.Error()})
			continue
		}
		var diff []string
		check := func(col string, ok bool) {
			if !ok {
				diff = append(diff, col)
			}
		}
		unix := func(n sql.NullInt64, want any) bool {
			if want == nil {
				return !n.Valid
			}
			return n.Valid && n.Int64 == want.(int64)
		}
		check("setl_id", setlID == st.ID)
		check("mdtrt_id", mdtrt == st.EncounterID)
		check("hospital", hospital == st.Hospital)
		check("psn", psn == st.Patient.Pseudonym)
		check("sex", sex == int64(st.Patient.Sex))
		check("age", age == int64(st.Patient.Age))
		check("insutype", insutype == st.InsuranceType)
		check("med_type", medType == st.MedType)
		check("inpatient", (inpatient != 0) == st.Inpatient)
		check("adm_time", unix(adm, unixOrNull(st.Admission)))
		check("dscg_time", unix(dscg, unixOrNull(st.Discharge)))
		check("los", los == int64(st.LOS))
		check("dscg_dept", dept == st.DischargeDept)
		check("disposition", disp == st.Disposition)
		check("principal_dx", dx == st.PrincipalDiagnosis())
		check("total_fen", total == int64(st.Pay.Total))
		check("fund_fen", fund == int64(st.Pay.Fund))
		check("fee_count", fees == int64(len(st.Fees)))
		// Rows stored before migration 0004 have no doctor: empty is accepted.
		check("doctor", doctor == "" || doctor == attendingDoctor(&st))
		if len(diff) > 0 {
			problems = append(problems, ledger.Problem{Kind: "settlement", Ref: ref, What: "edited",
				Detail: fmt.Sprintf("columns %s differ from the settlement's hashed content", strings.Join(diff, ", "))})
		}
	}
	return problems, rows.Err()
}

// missingTriggers names the ledger triggers that are gone: a tool that wrote behind yibao's
// back had to drop them. Opening the store read-write recreates them, so this shows only
// when verify opens the store read-only, as it does.
func (s *Store) missingTriggers(ctx context.Context) ([]ledger.Problem, error) {
	var gone []string
	for _, t := range trackedTables {
		cols, err := s.columns(ctx, s.db, t.table)
		if err != nil {
			return nil, err
		}
		if len(cols) == 0 {
			continue
		}
		for _, ev := range []string{"ins", "upd", "del"} {
			if t.insertsInGo && ev == "ins" {
				continue
			}
			name := "ledger_" + t.table + "_" + ev
			q := `SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?`
			if s.dialect != nil {
				q = s.dialect.TriggerQuery()
			}
			var n int
			if err := s.db.QueryRowContext(ctx, q, name).Scan(&n); err != nil {
				return nil, err
			}
			if n == 0 {
				gone = append(gone, name)
			}
		}
	}
	if len(gone) == 0 {
		return nil, nil
	}
	shown := gone
	if len(shown) > 4 {
		shown = append(shown[:4:4], "…")
	}
	return []ledger.Problem{{Kind: "trigger", Ref: strings.Join(shown, " "), What: "unguarded",
		Detail: fmt.Sprintf("%d ledger triggers were dropped: rows could change without an entry", len(gone))}}, nil
}
