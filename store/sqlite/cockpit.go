package sqlite

import (
	"context"
	"encoding/json"
	"time"
)

// The cockpit's queries read summary columns and stored results only; none reads fee lines.

// MonthRow is one month of fund spending.
type MonthRow struct {
	Month          string `json:"month"`
	InpatientCases int    `json:"inpatient_cases"`
	OutpatientVis  int    `json:"outpatient_visits"`
	InpatientFen   int64  `json:"inpatient_total_fen"`
	OutpatientFen  int64  `json:"outpatient_total_fen"`
	FundFen        int64  `json:"fund_fen"`
	PatientFen     int64  `json:"patient_fen"`
}

// Monthly aggregates current settlements by discharge month, optionally for one hospital.
func (s *Store) Monthly(ctx context.Context, hospital string) ([]MonthRow, error) {
	q := `SELECT strftime('%Y-%m', dscg_time, 'unixepoch') AS m, sum(inpatient), sum(1 - inpatient),
		sum(CASE WHEN inpatient = 1 THEN total_fen ELSE 0 END), sum(CASE WHEN inpatient = 0 THEN total_fen ELSE 0 END),
		sum(fund_fen), sum(total_fen - fund_fen) FROM settlements WHERE current = 1 AND dscg_time IS NOT NULL`
	var args []any
	if hospital != "" {
		q += ` AND hospital = ?`
		args = append(args, hospital)
	}
	rows, err := s.db.QueryContext(ctx, q+` GROUP BY m ORDER BY m`, args...)
	return collectRows(rows, err, func(r *MonthRow) []any {
		return []any{&r.Month, &r.InpatientCases, &r.OutpatientVis, &r.InpatientFen, &r.OutpatientFen, &r.FundFen, &r.PatientFen}
	})
}

// DRGMonthRow is the per-case cost of a DRG in a month.
type DRGMonthRow struct {
	DRG, Month string
	Cases      int
	CostFen    int64
}

// DRGMonthly returns per-case costs by DRG and month under a scheme.
func (s *Store) DRGMonthly(ctx context.Context, scheme string) ([]DRGMonthRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT g.drg, strftime('%Y-%m', s.dscg_time, 'unixepoch'), count(*), sum(s.total_fen)
		FROM settlements s JOIN groupings g ON g.settlement_row = s.id AND g.scheme = ?
		WHERE s.current = 1 AND g.outcome = 'drg' GROUP BY 1, 2`, scheme)
	return collectRows(rows, err, func(r *DRGMonthRow) []any {
		return []any{&r.DRG, &r.Month, &r.Cases, &r.CostFen}
	})
}

// CasePaymentView is a priced case of the latest settle run.
type CasePaymentView struct {
	SetlID     string `json:"setl_id"`
	Hospital   string `json:"hospital"`
	DRG        string `json:"drg"`
	RW         int64  `json:"rw_1e4"`
	Kind       string `json:"kind"`
	CostFen    int64  `json:"cost_fen"`
	PaymentFen int64  `json:"payment_fen"`
	Month      string `json:"month"`
}

// RunCases returns the priced cases of a run (optionally one hospital's, one DRG's).
func (s *Store) RunCases(ctx context.Context, run int64, hospital, drg string, limit int) ([]CasePaymentView, error) {
	q := `SELECT c.setl_id, c.hospital, c.drg, c.rw, c.kind, c.cost_fen, c.payment_fen, strftime('%Y-%m', s.dscg_time, 'unixepoch')
		FROM case_payments c JOIN settlements s ON s.id = c.settlement_row WHERE c.run_id = ?`
	args := []any{run}
	if hospital != "" {
		q += ` AND c.hospital = ?`
		args = append(args, hospital)
	}
	if drg != "" {
		q += ` AND c.drg = ?`
		args = append(args, drg)
	}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	return collectRows(rows, err, func(c *CasePaymentView) []any {
		return []any{&c.SetlID, &c.Hospital, &c.DRG, &c.RW, &c.Kind, &c.CostFen, &c.PaymentFen, &c.Month}
	})
}

// LatestRunAny returns the newest settle run of any period, or 0.
func (s *Store) LatestRunAny(ctx context.Context) (int64, string, error) {
	var id int64
	var period string
	err := s.db.QueryRowContext(ctx, `SELECT id, period FROM payment_runs WHERE kind = 'settle' ORDER BY id DESC LIMIT 1`).Scan(&id, &period)
	if err != nil {
		return 0, "", nil
	}
	return id, period, nil
}

// HospitalSettlementsOf returns the stored settlements of a run, as JSON per hospital.
func (s *Store) HospitalSettlementsOf(ctx context.Context, run int64) (map[string]json.RawMessage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT hospital, settlement FROM hospital_settlements WHERE run_id = ?`, run)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]json.RawMessage{}
	for rows.Next() {
		var h, j string
		if err := rows.Scan(&h, &j); err != nil {
			return nil, err
		}
		out[h] = json.RawMessage(j)
	}
	return out, rows.Err()
}

// LatestEvaluation returns the newest evaluation run's id, period and results JSON.
func (s *Store) LatestEvaluation(ctx context.Context) (int64, string, json.RawMessage, error) {
	var id int64
	var period, results string
	err := s.db.QueryRowContext(ctx, `SELECT id, period, results FROM evaluation_runs ORDER BY id DESC LIMIT 1`).Scan(&id, &period, &results)
	if err != nil {
		return 0, "", nil, nil
	}
	return id, period, json.RawMessage(results), nil
}

// AdjustmentRow is a stored linkage adjustment.
type AdjustmentRow struct {
	Run        int64           `json:"run"`
	Period     string          `json:"period"`
	Hospital   string          `json:"hospital"`
	Adjustment json.RawMessage `json:"adjustment"`
	CoefAfter  float64         `json:"coef_after"`
	BudgetFen  int64           `json:"budget_after_fen"`
	Overridden string          `json:"overridden"`
	Published  time.Time       `json:"published"`
}

// Adjustments lists linkage adjustments, newest run first (optionally one hospital's).
func (s *Store) Adjustments(ctx context.Context, hospital string) ([]AdjustmentRow, error) {
	q := `SELECT a.run_id, r.period, a.hospital, a.adjustment, a.coef_after, a.budget_after, a.overridden, r.created_at
		FROM linkage_adjustments a JOIN evaluation_runs r ON r.id = a.run_id`
	var args []any
	if hospital != "" {
		q += ` WHERE a.hospital = ?`
		args = append(args, hospital)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY a.run_id DESC, a.hospital`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AdjustmentRow
	for rows.Next() {
		var a AdjustmentRow
		var j string
		var at int64
		if err := rows.Scan(&a.Run, &a.Period, &a.Hospital, &j, &a.CoefAfter, &a.BudgetFen, &a.Overridden, &at); err != nil {
			return nil, err
		}
		a.Adjustment, a.Published = json.RawMessage(j), time.Unix(at, 0).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// FindingView is a stored finding.
type FindingView struct {
	ID        int64  `json:"id"`
	SetlID    string `json:"setl_id"`
	Hospital  string `json:"hospital"`
	Serial    string `json:"feedetl_sn"`
	Category  string `json:"category"`
	RuleID    string `json:"rule_id"`
	Severity  string `json:"severity"`
	AmountFen int64  `json:"amount_fen"`
	Evidence  string `json:"evidence"`
	Related   string `json:"related"`
	Status    string `json:"status"`
	Month     string `json:"month"`
	// Review: who confirmed or dismissed it, when (Unix seconds, 0 while open) and why.
	ReviewedBy string `json:"reviewed_by"`
	ReviewedAt int64  `json:"reviewed_at"`
	ReviewWhy  string `json:"review_why"`
	Created    int64  `json:"created_at"` // when the audit published it (the appeal window starts here)
}

// FindingFilter narrows a findings list; Limit and Offset page it.
type FindingFilter struct {
	Hospital, Category, RuleID, Month, SetlID, Status, Severity string
	Limit, Offset                                               int
}

func (f FindingFilter) where() (string, []any) {
	q := ` WHERE status != 'superseded'` // findings of replaced versions are history, not work
	var args []any
	for _, c := range []struct{ col, v string }{{"hospital", f.Hospital}, {"category", f.Category}, {"rule_id", f.RuleID}, {"setl_id", f.SetlID}, {"status", f.Status}, {"severity", f.Severity}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	if f.Month != "" {
		q += ` AND strftime('%Y-%m', discharge_time, 'unixepoch') = ?`
		args = append(args, f.Month)
	}
	return q, args
}

// FindingCount counts the findings a filter selects (ignoring paging).
func (s *Store) FindingCount(ctx context.Context, f FindingFilter) (int, error) {
	w, args := f.where()
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM findings`+w, args...).Scan(&n)
	return n, err
}

// Findings lists findings.
func (s *Store) Findings(ctx context.Context, f FindingFilter) ([]FindingView, error) {
	w, args := f.where()
	return s.findings(ctx, w, args, f.Limit, f.Offset)
}

func (s *Store) findings(ctx context.Context, w string, args []any, limit, offset int) ([]FindingView, error) {
	q := `SELECT id, setl_id, hospital, feedetl_sn, category, rule_id, severity, amount_fen, evidence, related, status,
		coalesce(strftime('%Y-%m', discharge_time, 'unixepoch'), ''), reviewed_by, coalesce(reviewed_at, 0), review_why, created_at
		FROM findings` + w + ` ORDER BY id`
	if limit > 0 {
		q += ` LIMIT ? OFFSET ?`
		args = append(args, limit, max(0, offset))
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	return collectRows(rows, err, func(v *FindingView) []any {
		return []any{&v.ID, &v.SetlID, &v.Hospital, &v.Serial, &v.Category, &v.RuleID, &v.Severity, &v.AmountFen, &v.Evidence, &v.Related, &v.Status, &v.Month,
			&v.ReviewedBy, &v.ReviewedAt, &v.ReviewWhy, &v.Created}
	})
}

// FindingSummaryRow counts findings by a key.
type FindingSummaryRow struct {
	Key       string `json:"key"`
	Count     int    `json:"count"`
	AmountFen int64  `json:"amount_fen"`
}

// FindingSummary groups findings by category, rule_id, hospital or month.
func (s *Store) FindingSummary(ctx context.Context, by, hospital string) ([]FindingSummaryRow, error) {
	col := map[string]string{"category": "category", "rule": "rule_id", "hospital": "hospital",
		"month": "strftime('%Y-%m', discharge_time, 'unixepoch')"}[by]
	if col == "" {
		col = "category"
	}
	q := `SELECT ` + col + `, count(*), sum(amount_fen) FROM findings WHERE status NOT IN ('dismissed', 'superseded')`
	var args []any
	if hospital != "" {
		q += ` AND hospital = ?`
		args = append(args, hospital)
	}
	rows, err := s.db.QueryContext(ctx, q+` GROUP BY 1 ORDER BY 1`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FindingSummaryRow
	for rows.Next() {
		var r FindingSummaryRow
		var k *string
		if err := rows.Scan(&k, &r.Count, &r.AmountFen); err != nil {
			return nil, err
		}
		if k != nil {
			r.Key = *k
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SettlementHospital returns the hospital of a current settlement, for access checks.
func (s *Store) SettlementHospital(ctx context.Context, setlID string) (string, error) {
	var h string
	err := s.db.QueryRowContext(ctx, `SELECT hospital FROM settlements WHERE setl_id = ? AND current = 1`, setlID).Scan(&h)
	return h, err
}

// EvaluationHistory returns, per evaluated period (latest run of each), the period and the
// results JSON, oldest period first.
func (s *Store) EvaluationHistory(ctx context.Context) ([]struct {
	Period  string
	Results json.RawMessage
}, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT period, results FROM evaluation_runs WHERE id IN
		(SELECT max(id) FROM evaluation_runs GROUP BY period) ORDER BY period`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []struct {
		Period  string
		Results json.RawMessage
	}
	for rows.Next() {
		var p, r string
		if err := rows.Scan(&p, &r); err != nil {
			return nil, err
		}
		out = append(out, struct {
			Period  string
			Results json.RawMessage
		}{p, json.RawMessage(r)})
	}
	return out, rows.Err()
}
