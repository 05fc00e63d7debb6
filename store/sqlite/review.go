package sqlite

import (
	"context"
	"fmt"
	"time"
)

// ReviewFindings moves the findings with the given ids from one status to another, with
// who and why, in one transaction: each changed finding gets a finding_reviews row, and the
// whole action one audit_log entry (detail says what was selected). A finding no longer
// in status from (decided meanwhile) is left alone; the count of changed findings is
// returned.
func (s *Store) ReviewFindings(ctx context.Context, ids []int64, from, to, actor, why, detail string) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	now := time.Now().Unix()
	upd, err := tx.PrepareContext(ctx, `UPDATE findings SET status = ?, reviewed_by = ?, reviewed_at = ?, review_why = ? WHERE id = ? AND status = ?`)
	if err != nil {
		return 0, err
	}
	defer upd.Close()
	hist, err := tx.PrepareContext(ctx, `INSERT INTO finding_reviews (finding_id, at, actor, from_status, to_status, why) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer hist.Close()
	n := 0
	for _, id := range ids {
		res, err := upd.ExecContext(ctx, to, actor, now, why, id, from)
		if err != nil {
			return 0, fmt.Errorf("review finding %d: %w", id, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			continue
		}
		if _, err := hist.ExecContext(ctx, id, now, actor, from, to, why); err != nil {
			return 0, fmt.Errorf("review finding %d: %w", id, err)
		}
		n++
	}
	if err := logAction(ctx, tx, actor, "finding."+to, fmt.Sprintf("%d finding(s) %s → %s (%s); why: %s", n, from, to, detail, why)); err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// FindingReview is one transition of a finding's review.
type FindingReview struct {
	At    int64  `json:"at"`
	Actor string `json:"actor"`
	From  string `json:"from"`
	To    string `json:"to"`
	Why   string `json:"why"`
}

// FindingReviews returns a finding's review history, oldest first.
func (s *Store) FindingReviews(ctx context.Context, id int64) ([]FindingReview, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at, actor, from_status, to_status, why FROM finding_reviews WHERE finding_id = ? ORDER BY id`, id)
	return collectRows(rows, err, func(r *FindingReview) []any { return []any{&r.At, &r.Actor, &r.From, &r.To, &r.Why} })
}

// Finding reads one finding by id.
func (s *Store) Finding(ctx context.Context, id int64) (FindingView, error) {
	fs, err := s.findings(ctx, ` WHERE id = ?`, []any{id}, 0, 0)
	if err != nil {
		return FindingView{}, err
	}
	if len(fs) == 0 {
		return FindingView{}, ErrNotFound
	}
	return fs[0], nil
}

// DRGNames maps the DRG codes grouped under a scheme to their names (from the scheme, as
// the grouper stored them).
func (s *Store) DRGNames(ctx context.Context, scheme string) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT drg, max(drg_name) FROM groupings WHERE scheme = ? AND drg != '' GROUP BY drg`, scheme)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var d, n string
		if err := rows.Scan(&d, &n); err != nil {
			return nil, err
		}
		out[d] = n
	}
	return out, rows.Err()
}

// DIPGroupRow summarises one DIP group of the latest catalogue.
type DIPGroupRow struct {
	Group   string  `json:"dip_group"`
	Cases   int     `json:"cases"`
	CostFen int64   `json:"cost_fen"`
	Score   float64 `json:"score"`
}

// DIPGroups aggregates the current settlements' assignments of the newest catalogue (by
// name order), optionally for one hospital; it returns the catalogue's name.
func (s *Store) DIPGroups(ctx context.Context, hospital string) (string, []DIPGroupRow, error) {
	var cat string
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(catalogue), '') FROM dip_assignments`).Scan(&cat); err != nil || cat == "" {
		return "", nil, err
	}
	q := `SELECT d.dip_group, count(*), sum(s.total_fen), avg(d.score) FROM dip_assignments d JOIN settlements s ON s.id = d.settlement_row
		WHERE d.catalogue = ? AND s.current = 1 AND d.dip_group != ''`
	args := []any{cat}
	if hospital != "" {
		q += ` AND s.hospital = ?`
		args = append(args, hospital)
	}
	rows, err := s.db.QueryContext(ctx, q+` GROUP BY 1`, args...)
	out, err := collectRows(rows, err, func(r *DIPGroupRow) []any { return []any{&r.Group, &r.Cases, &r.CostFen, &r.Score} })
	return cat, out, err
}

// DRGMonthlyOf is DRGMonthly for one hospital ("" for the region).
func (s *Store) DRGMonthlyOf(ctx context.Context, scheme, hospital string) ([]DRGMonthRow, error) {
	if hospital == "" {
		return s.DRGMonthly(ctx, scheme)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT g.drg, strftime('%Y-%m', s.dscg_time, 'unixepoch'), count(*), sum(s.total_fen)
		FROM settlements s JOIN groupings g ON g.settlement_row = s.id AND g.scheme = ?
		WHERE s.current = 1 AND g.outcome = 'drg' AND s.hospital = ? GROUP BY 1, 2`, scheme, hospital)
	return collectRows(rows, err, func(r *DRGMonthRow) []any {
		return []any{&r.DRG, &r.Month, &r.Cases, &r.CostFen}
	})
}
