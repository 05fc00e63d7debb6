package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// CaseRow is a current inpatient settlement with its grouping under one scheme, read from
// summary columns only (no detail decoding): what pricing, evaluation and the cockpit need.
type CaseRow struct {
	Row         int64
	SetlID      string
	Hospital    string
	Level       int
	InsuType    string
	Person      string
	Admission   time.Time
	Discharge   time.Time
	Cost        int64 // fen
	LOS         int
	Disposition string
	Dept        string
	Doctor      string
	Principal   string
	Age         int
	Sex         int
	Status      string // grouping status label, "" when not grouped under the scheme
	Outcome     string
	MDC, ADRG   string
	DRG         string
	Flagged     bool // a confirmed audit finding exists
	// PatientPaid is what the patient paid per the settlement document: medfee_sumamt −
	// hifp_payamt − other fund payments (docs/payment.md).
	PatientPaid int64
	Deduction   int64  // Σ amounts of confirmed findings on this version
	Confirmed   string // categories of confirmed findings, comma-separated
}

// Grouped reports whether the case was assigned a DRG.
func (c *CaseRow) Grouped() bool {
	return c.Outcome == "drg" || c.Outcome == "adrg_without_drg"
}

// CaseRows returns the current inpatient settlements discharged in [from, to) (zero bounds
// are open) with their latest grouping under scheme.
func (s *Store) CaseRows(ctx context.Context, scheme string, from, to time.Time) ([]CaseRow, error) {
	q := `SELECT s.id, s.setl_id, s.hospital, coalesce(h.level, 0), s.insutype, s.psn, coalesce(s.adm_time, 0), coalesce(s.dscg_time, 0),
		s.total_fen, s.los, s.disposition, s.dscg_dept, s.doctor, s.principal_dx, s.age, s.sex,
		coalesce(g.status, ''), coalesce(g.outcome, ''), coalesce(g.mdc, ''), coalesce(g.adrg, ''), coalesce(g.drg, ''),
		EXISTS (SELECT 1 FROM findings f WHERE f.settlement_row = s.id AND f.status = 'confirmed'),
		s.total_fen - s.fund_fen - s.other_fund_fen,
		coalesce((SELECT sum(f.amount_fen) FROM findings f WHERE f.settlement_row = s.id AND f.status = 'confirmed'), 0),
		coalesce((SELECT group_concat(DISTINCT f.category) FROM findings f WHERE f.settlement_row = s.id AND f.status = 'confirmed'), '')
		FROM settlements s
		LEFT JOIN hospitals h ON h.code = s.hospital
		LEFT JOIN groupings g ON g.settlement_row = s.id AND g.scheme = ? AND g.grouped_at = (
			SELECT max(grouped_at) FROM groupings g2 WHERE g2.settlement_row = s.id AND g2.scheme = ?)
		WHERE s.current = 1 AND s.inpatient = 1`
	args := []any{scheme, scheme}
	if !from.IsZero() {
		q += ` AND s.dscg_time >= ?`
		args = append(args, from.Unix())
	}
	if !to.IsZero() {
		q += ` AND s.dscg_time < ?`
		args = append(args, to.Unix())
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY s.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CaseRow
	for rows.Next() {
		var c CaseRow
		var adm, dis int64
		if err := rows.Scan(&c.Row, &c.SetlID, &c.Hospital, &c.Level, &c.InsuType, &c.Person, &adm, &dis, &c.Cost, &c.LOS,
			&c.Disposition, &c.Dept, &c.Doctor, &c.Principal, &c.Age, &c.Sex, &c.Status, &c.Outcome, &c.MDC, &c.ADRG, &c.DRG, &c.Flagged,
			&c.PatientPaid, &c.Deduction, &c.Confirmed); err != nil {
			return nil, err
		}
		c.Admission, c.Discharge = time.Unix(adm, 0).UTC(), time.Unix(dis, 0).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// PaymentRun is the header of a stored run.
type PaymentRun struct {
	ID                                                      int64
	Kind, Period, Scheme, SchemeVersion, Params, WeightsVer string
	BaseRate, ParamsJSON, WeightsJSON                       any
	PointValue                                              string
}

// CasePaymentRow is one priced case of a run.
type CasePaymentRow struct {
	Row                                          int64
	SetlID, Hospital, DRG, Kind                  string
	RW, Coefficient                              int64
	Rate, Standard, Payment, Cost, Patient, Fund int64
	Points, Deduction                            int64
}

// PutPaymentRun stores a run with its priced cases and hospital settlements in one
// transaction and returns its id.
func (s *Store) PutPaymentRun(ctx context.Context, r PaymentRun, cases []CasePaymentRow, settlements map[string]any) (int64, error) {
	enc := func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	}
	rate, err := enc(r.BaseRate)
	if err != nil {
		return 0, err
	}
	params, err := enc(r.ParamsJSON)
	if err != nil {
		return 0, err
	}
	weights, err := enc(r.WeightsJSON)
	if err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO payment_runs (kind, period, scheme, scheme_version, params_version, weights_version,
		base_rate, params, weights, created_at, point_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Kind, r.Period, r.Scheme, r.SchemeVersion, r.Params, r.WeightsVer, rate, params, weights, time.Now().Unix(), r.PointValue)
	if err != nil {
		return 0, err
	}
	id, _ := res.LastInsertId()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO case_payments (run_id, settlement_row, setl_id, hospital, drg, rw, coefficient,
		base_rate_fen, standard_fen, payment_fen, kind, cost_fen, patient_fen, fund_fen, points, deduction_fen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	for _, c := range cases {
		if _, err := stmt.ExecContext(ctx, id, c.Row, c.SetlID, c.Hospital, c.DRG, c.RW, c.Coefficient, c.Rate, c.Standard,
			c.Payment, c.Kind, c.Cost, c.Patient, c.Fund, c.Points, c.Deduction); err != nil {
			return 0, fmt.Errorf("case payment %s: %w", c.SetlID, err)
		}
	}
	for h, v := range settlements {
		j, err := enc(v)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO hospital_settlements (run_id, hospital, settlement) VALUES (?, ?, ?)`, id, h, j); err != nil {
			return 0, err
		}
	}
	return id, tx.Commit()
}

// LatestRun returns the id of the newest run of a kind for a period, or 0.
func (s *Store) LatestRun(ctx context.Context, kind, period string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM payment_runs WHERE kind = ? AND period = ? ORDER BY id DESC LIMIT 1`, kind, period).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return id, err
}

// HospitalAndMonth maps the current inpatient settlements discharged in [from, to) to their
// hospital and discharge month (1–12).
func (s *Store) HospitalAndMonth(ctx context.Context, from, to time.Time) (map[string]string, map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT setl_id, hospital, dscg_time FROM settlements
		WHERE current = 1 AND inpatient = 1 AND dscg_time >= ? AND dscg_time < ?`, from.Unix(), to.Unix())
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	hosp, month := map[string]string{}, map[string]int{}
	for rows.Next() {
		var id, h string
		var t int64
		if err := rows.Scan(&id, &h, &t); err != nil {
			return nil, nil, err
		}
		hosp[id], month[id] = h, int(time.Unix(t, 0).UTC().Month())
	}
	return hosp, month, rows.Err()
}
