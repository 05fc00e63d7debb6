package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FundBudgetByHospital returns each hospital's fund-basis amount in the latest settle run of a
// period: A_h − P_h, the point-method amount less what the patients paid (empty when there is
// no run). The linkage moves budgets, and the DRG budget B is the pooled fund's (issue 12:
// PV = (B + P) / T): Σ (A_h − P_h) = B, so next year's budgets stay on the scale of B. A_h
// itself (settled_fen) includes the patients' payments — the total-cost scale issue 13
// rejected for DIP budgets. Deductions are penalties of the year, not part of the base.
func (s *Store) FundBudgetByHospital(ctx context.Context, period string) (map[string]int64, error) {
	run, err := s.LatestRun(ctx, "settle", period)
	if err != nil || run == 0 {
		return map[string]int64{}, err
	}
	stored, err := s.HospitalSettlementsOf(ctx, run)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(stored))
	for h, j := range stored {
		var v struct {
			Settled int64 `json:"settled_fen"`
			Patient int64 `json:"patient_pay_fen"`
		}
		if err := json.Unmarshal(j, &v); err != nil {
			return nil, fmt.Errorf("settle run %d hospital %s: %w", run, h, err)
		}
		out[h] = v.Settled - v.Patient
	}
	return out, nil
}

// PutEvaluation stores an evaluation run with its adjustments and returns the run id.
func (s *Store) PutEvaluation(ctx context.Context, period, version string, results, facts any, adjustments map[string]any,
	coefAfter map[string]float64, budgetAfter map[string]int64, actor string) (int64, error) {
	rj, err := json.Marshal(results)
	if err != nil {
		return 0, err
	}
	fj, err := json.Marshal(facts)
	if err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	now := time.Now().Unix()
	res, err := tx.ExecContext(ctx, `INSERT INTO evaluation_runs (period, system_version, results, facts, created_at) VALUES (?, ?, ?, ?, ?)`,
		period, version, string(rj), string(fj), now)
	if err != nil {
		return 0, err
	}
	id, _ := res.LastInsertId()
	for h, a := range adjustments {
		aj, _ := json.Marshal(a)
		if _, err := tx.ExecContext(ctx, `INSERT INTO linkage_adjustments (run_id, hospital, adjustment, coef_after, budget_after) VALUES (?, ?, ?, ?, ?)`,
			id, h, string(aj), coefAfter[h], budgetAfter[h]); err != nil {
			return 0, err
		}
	}
	if err := logAction(ctx, tx, actor, "evaluate", fmt.Sprintf("run %d period %s system %s", id, period, version)); err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

func logAction(ctx context.Context, tx *sql.Tx, actor, action, detail string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)`, time.Now().Unix(), actor, action, detail)
	return err
}

// AppealRow is a stored appeal.
type AppealRow struct {
	ID                                       int64
	Hospital, Target, Reason, State, FiledBy string
	Published, Filed, DecideBy, DecidedAt    time.Time
	DecidedBy, DecisionWhy                   string
}

// PublicationTime is when an appeal target was published: the evaluation run's time for
// `adjustment:<run>:<hospital>`, the finding's creation for `finding:<id>`; it also checks
// that the target belongs to the hospital.
func (s *Store) PublicationTime(ctx context.Context, target, hospital string) (time.Time, error) {
	parts := strings.Split(target, ":")
	var at int64
	var owner string
	var err error
	switch {
	case len(parts) == 3 && parts[0] == "adjustment":
		run, _ := strconv.ParseInt(parts[1], 10, 64)
		err = s.db.QueryRowContext(ctx, `SELECT r.created_at, a.hospital FROM evaluation_runs r JOIN linkage_adjustments a ON a.run_id = r.id
			WHERE r.id = ? AND a.hospital = ?`, run, parts[2]).Scan(&at, &owner)
	case len(parts) == 2 && parts[0] == "finding":
		id, _ := strconv.ParseInt(parts[1], 10, 64)
		err = s.db.QueryRowContext(ctx, `SELECT created_at, hospital FROM findings WHERE id = ?`, id).Scan(&at, &owner)
	default:
		return time.Time{}, fmt.Errorf("target %q is not adjustment:<run>:<hospital> or finding:<id>", target)
	}
	if errors.Is(err, sql.ErrNoRows) || err == nil && owner != hospital {
		return time.Time{}, fmt.Errorf("target %s not found for hospital %s", target, hospital)
	}
	return time.Unix(at, 0).UTC(), err
}

// PutAppeal inserts or updates an appeal and logs the action; an upheld appeal applies its
// effect: a finding is dismissed, an adjustment reverts to the coefficient and budget before it.
func (s *Store) PutAppeal(ctx context.Context, a AppealRow, actor, action string) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var decided any
	if !a.DecidedAt.IsZero() {
		decided = a.DecidedAt.Unix()
	}
	if a.ID == 0 {
		res, err := tx.ExecContext(ctx, `INSERT INTO appeals (hospital, target, reason, published_at, filed_at, state, decide_by, filed_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, a.Hospital, a.Target, a.Reason, a.Published.Unix(), a.Filed.Unix(), a.State, a.DecideBy.Unix(), a.FiledBy)
		if err != nil {
			return 0, err
		}
		a.ID, _ = res.LastInsertId()
	} else if _, err := tx.ExecContext(ctx, `UPDATE appeals SET state = ?, decided_by = ?, decided_at = ?, decision_why = ? WHERE id = ?`,
		a.State, a.DecidedBy, decided, a.DecisionWhy, a.ID); err != nil {
		return 0, err
	}
	if a.State == "upheld" {
		parts := strings.Split(a.Target, ":")
		switch parts[0] {
		case "finding":
			// The finding is dismissed by the appeal, with the decision's who and why.
			var from string
			if err = tx.QueryRowContext(ctx, `SELECT status FROM findings WHERE id = ?`, parts[1]).Scan(&from); err == nil && from != "dismissed" {
				why := fmt.Sprintf("appeal %d upheld: %s", a.ID, a.DecisionWhy)
				if _, err = tx.ExecContext(ctx, `UPDATE findings SET status = 'dismissed', reviewed_by = ?, reviewed_at = ?, review_why = ? WHERE id = ?`,
					a.DecidedBy, a.DecidedAt.Unix(), why, parts[1]); err == nil {
					_, err = tx.ExecContext(ctx, `INSERT INTO finding_reviews (finding_id, at, actor, from_status, to_status, why) VALUES (?, ?, ?, ?, 'dismissed', ?)`,
						parts[1], a.DecidedAt.Unix(), a.DecidedBy, from, why)
				}
			}
		case "adjustment":
			var aj string
			if err = tx.QueryRowContext(ctx, `SELECT adjustment FROM linkage_adjustments WHERE run_id = ? AND hospital = ?`, parts[1], parts[2]).Scan(&aj); err == nil {
				var adj struct {
					CoefBefore   float64 `json:"coef_before"`
					BudgetBefore int64   `json:"budget_before_fen"`
				}
				json.Unmarshal([]byte(aj), &adj)
				_, err = tx.ExecContext(ctx, `UPDATE linkage_adjustments SET coef_after = ?, budget_after = ?, overridden = ? WHERE run_id = ? AND hospital = ?`,
					adj.CoefBefore, adj.BudgetBefore, fmt.Sprintf("appeal %d", a.ID), parts[1], parts[2])
			}
		}
		if err != nil {
			return 0, fmt.Errorf("apply upheld appeal %d: %w", a.ID, err)
		}
	}
	if err := logAction(ctx, tx, actor, action, fmt.Sprintf("appeal %d %s → %s", a.ID, a.Target, a.State)); err != nil {
		return 0, err
	}
	return a.ID, tx.Commit()
}

// Appeal reads one appeal.
func (s *Store) Appeal(ctx context.Context, id int64) (AppealRow, error) {
	rows, err := s.appeals(ctx, `WHERE id = ?`, id)
	if err != nil {
		return AppealRow{}, err
	}
	if len(rows) == 0 {
		return AppealRow{}, fmt.Errorf("appeal %d not found", id)
	}
	return rows[0], nil
}

// Appeals lists appeals, newest first.
func (s *Store) Appeals(ctx context.Context) ([]AppealRow, error) { return s.appeals(ctx, ``) }

func (s *Store) appeals(ctx context.Context, where string, args ...any) ([]AppealRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, hospital, target, reason, published_at, filed_at, state, decide_by, decided_by,
		coalesce(decided_at, 0), decision_why, filed_by FROM appeals `+where+` ORDER BY id DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AppealRow
	for rows.Next() {
		var a AppealRow
		var p, f, d, dd int64
		if err := rows.Scan(&a.ID, &a.Hospital, &a.Target, &a.Reason, &p, &f, &a.State, &d, &a.DecidedBy, &dd, &a.DecisionWhy, &a.FiledBy); err != nil {
			return nil, err
		}
		a.Published, a.Filed, a.DecideBy = time.Unix(p, 0).UTC(), time.Unix(f, 0).UTC(), time.Unix(d, 0).UTC()
		if dd > 0 {
			a.DecidedAt = time.Unix(dd, 0).UTC()
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// LinkageFor returns the current coefficient and budget of a hospital in a run.
func (s *Store) LinkageFor(ctx context.Context, run int64, hospital string) (float64, int64, string, error) {
	var c float64
	var b int64
	var o string
	err := s.db.QueryRowContext(ctx, `SELECT coef_after, budget_after, overridden FROM linkage_adjustments WHERE run_id = ? AND hospital = ?`, run, hospital).Scan(&c, &b, &o)
	return c, b, o, err
}

// PutTechnologyRun stores a technology evaluation and returns its id.
func (s *Store) PutTechnologyRun(ctx context.Context, period, version string, results any) (int64, error) {
	b, err := json.Marshal(results)
	if err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO technology_runs (period, version, results, created_at) VALUES (?, ?, ?, ?)`,
		period, version, string(b), time.Now().Unix())
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// LatestGrades returns the grades of the newest evaluation run of a period.
func (s *Store) LatestGrades(ctx context.Context, period string) (map[string]string, int64, error) {
	var id int64
	var results string
	err := s.db.QueryRowContext(ctx, `SELECT id, results FROM evaluation_runs WHERE period = ? ORDER BY id DESC LIMIT 1`, period).Scan(&id, &results)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("no evaluation run for %s: run yibao evaluate --period %s first", period, period)
	}
	if err != nil {
		return nil, 0, err
	}
	var rs []struct{ Hospital, Grade string }
	if err := json.Unmarshal([]byte(results), &rs); err != nil {
		return nil, 0, err
	}
	out := map[string]string{}
	for _, r := range rs {
		out[r.Hospital] = r.Grade
	}
	return out, id, nil
}

// AppealsOn returns a hospital's appeals against one target, oldest first.
func (s *Store) AppealsOn(ctx context.Context, hospital, target string) ([]AppealRow, error) {
	return s.appeals(ctx, `WHERE hospital = ? AND target = ?`, hospital, target)
}
