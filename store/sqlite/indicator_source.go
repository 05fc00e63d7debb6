package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/indicators"
	"github.com/yibao-dev/yibao/ingest"
)

// AddListCounts adds ingest's per-hospital, per-month record counts (ingest.ListCounter).
func (s *Store) AddListCounts(ctx context.Context, cs []ingest.ListCount) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, c := range cs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO list_counts (hospital, month, read, rejected) VALUES (?, ?, ?, ?)
			ON CONFLICT (hospital, month) DO UPDATE SET read = read + excluded.read, rejected = rejected + excluded.rejected`,
			c.Hospital, c.Month, c.Read, c.Rejected); err != nil {
			return fmt.Errorf("list counts %s %s: %w", c.Hospital, c.Month, err)
		}
		for code, n := range c.Reasons {
			if _, err := tx.ExecContext(ctx, `INSERT INTO list_reject_reasons (hospital, month, code, n) VALUES (?, ?, ?, ?)
				ON CONFLICT (hospital, month, code) DO UPDATE SET n = n + excluded.n`, c.Hospital, c.Month, code, n); err != nil {
				return fmt.Errorf("list reject reasons %s %s: %w", c.Hospital, c.Month, err)
			}
		}
	}
	return tx.Commit()
}

// IndicatorSource adapts the store to the indicator engine (indicators.Source).
func (s *Store) IndicatorSource() indicators.Source { return indicatorSource{s} }

type indicatorSource struct{ s *Store }

func (a indicatorSource) Hospitals(ctx context.Context) ([]yibao.Hospital, error) {
	return a.s.Hospitals(ctx)
}

func (a indicatorSource) Stays(ctx context.Context, scheme string, from, to time.Time) ([]indicators.Stay, error) {
	rows, err := a.s.db.QueryContext(ctx, `SELECT s.setl_id, s.hospital, s.psn, s.dscg_dept, s.doctor, coalesce(s.adm_time, 0), coalesce(s.dscg_time, 0),
		s.los, s.total_fen, s.fund_fen, s.disposition, coalesce(g.outcome, ''), coalesce(g.adrg, ''), coalesce(g.drg, '')
		FROM settlements s
		LEFT JOIN groupings g ON g.settlement_row = s.id AND g.scheme = ? AND g.grouped_at = (
			SELECT max(grouped_at) FROM groupings g2 WHERE g2.settlement_row = s.id AND g2.scheme = ?)
		WHERE s.current = 1 AND s.inpatient = 1 AND s.dscg_time >= ? AND s.dscg_time < ? ORDER BY s.id`, scheme, scheme, from.Unix(), to.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []indicators.Stay
	for rows.Next() {
		var st indicators.Stay
		var adm, dis int64
		var outcome string
		if err := rows.Scan(&st.SetlID, &st.Hospital, &st.Person, &st.Dept, &st.Doctor, &adm, &dis, &st.LOS, &st.CostFen, &st.FundFen,
			&st.Disposition, &outcome, &st.ADRG, &st.DRG); err != nil {
			return nil, err
		}
		st.Admission, st.Discharge = time.Unix(adm, 0).UTC(), time.Unix(dis, 0).UTC()
		st.Grouped = (outcome == "drg" || outcome == "adrg_without_drg") && st.DRG != ""
		st.Failed = outcome == "check_failed"
		out = append(out, st)
	}
	return out, rows.Err()
}

func (a indicatorSource) EachSettlement(ctx context.Context, from, to time.Time, fn func(*yibao.Settlement) error) error {
	return a.s.EachCurrent(ctx, Filter{InpatientOnly: true, From: from, To: to}, func(s StoredSettlement) error { return fn(s.Settlement) })
}

func (a indicatorSource) Findings(ctx context.Context, from, to time.Time) ([]indicators.Finding, error) {
	rows, err := a.s.db.QueryContext(ctx, `SELECT f.setl_id, f.category, f.status, f.amount_fen FROM findings f
		JOIN settlements s ON s.id = f.settlement_row
		WHERE s.current = 1 AND f.discharge_time >= ? AND f.discharge_time < ? ORDER BY f.id`, from.Unix(), to.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []indicators.Finding
	for rows.Next() {
		var f indicators.Finding
		if err := rows.Scan(&f.SetlID, &f.Category, &f.Status, &f.AmountFen); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func (a indicatorSource) ListCounts(ctx context.Context, from, to time.Time) ([]indicators.ListCount, error) {
	lo, hi := from.Format("2006-01"), to.Add(-time.Second).Format("2006-01")
	rows, err := a.s.db.QueryContext(ctx, `SELECT hospital, month, read, rejected FROM list_counts WHERE month >= ? AND month <= ? ORDER BY hospital, month`, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []indicators.ListCount
	for rows.Next() {
		var c indicators.ListCount
		if err := rows.Scan(&c.Hospital, &c.Month, &c.Read, &c.Rejected); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rr, err := a.s.db.QueryContext(ctx, `SELECT hospital, month, code, n FROM list_reject_reasons WHERE month >= ? AND month <= ?`, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rr.Close()
	idx := map[[2]string]int{}
	for i, c := range out {
		idx[[2]string{c.Hospital, c.Month}] = i
	}
	for rr.Next() {
		var h, m, code string
		var n int
		if err := rr.Scan(&h, &m, &code, &n); err != nil {
			return nil, err
		}
		if i, ok := idx[[2]string{h, m}]; ok {
			if out[i].Reasons == nil {
				out[i].Reasons = map[string]int{}
			}
			out[i].Reasons[code] = n
		}
	}
	return out, rr.Err()
}

// ConfirmedFinding is a confirmed finding with the stay's attending doctor, for the staff
// points system.
type ConfirmedFinding struct {
	SetlID, Hospital, Doctor, Category string
	Discharge                          time.Time
}

// ConfirmedFindings lists the confirmed findings of current settlements discharged in
// [from, to).
func (s *Store) ConfirmedFindings(ctx context.Context, from, to time.Time) ([]ConfirmedFinding, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT f.setl_id, s.hospital, s.doctor, f.category, coalesce(f.discharge_time, 0)
		FROM findings f JOIN settlements s ON s.id = f.settlement_row
		WHERE f.status = 'confirmed' AND s.current = 1 AND f.discharge_time >= ? AND f.discharge_time < ? ORDER BY f.id`, from.Unix(), to.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ConfirmedFinding
	for rows.Next() {
		var c ConfirmedFinding
		var at int64
		if err := rows.Scan(&c.SetlID, &c.Hospital, &c.Doctor, &c.Category, &at); err != nil {
			return nil, err
		}
		c.Discharge = time.Unix(at, 0).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// LatestCoefficients returns the hospital coefficients (after appeals) of the newest
// evaluation run of a period, and the run; run 0 when there is none.
func (s *Store) LatestCoefficients(ctx context.Context, period string) (map[string]float64, int64, error) {
	var run int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM evaluation_runs WHERE period = ?`, period).Scan(&run); err != nil || run == 0 {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT hospital, coef_after FROM linkage_adjustments WHERE run_id = ? ORDER BY hospital`, run)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var h string
		var c float64
		if err := rows.Scan(&h, &c); err != nil {
			return nil, 0, err
		}
		out[h] = c
	}
	return out, run, rows.Err()
}

// EvaluationOf returns the newest evaluation run of a period (0 when none) with its results
// (JSON) and its adjustments as they stand (after appeals).
func (s *Store) EvaluationOf(ctx context.Context, period string) (int64, json.RawMessage, []AdjustmentRow, error) {
	var run, at int64
	var results string
	err := s.db.QueryRowContext(ctx, `SELECT id, results, created_at FROM evaluation_runs WHERE period = ? ORDER BY id DESC LIMIT 1`, period).Scan(&run, &results, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil, nil
	}
	if err != nil {
		return 0, nil, nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT hospital, adjustment, coef_after, budget_after, overridden FROM linkage_adjustments WHERE run_id = ? ORDER BY hospital`, run)
	if err != nil {
		return 0, nil, nil, err
	}
	defer rows.Close()
	var out []AdjustmentRow
	for rows.Next() {
		a := AdjustmentRow{Run: run, Period: period, Published: time.Unix(at, 0).UTC()}
		var j string
		if err := rows.Scan(&a.Hospital, &j, &a.CoefAfter, &a.BudgetFen, &a.Overridden); err != nil {
			return 0, nil, nil, err
		}
		a.Adjustment = json.RawMessage(j)
		out = append(out, a)
	}
	return run, json.RawMessage(results), out, rows.Err()
}
