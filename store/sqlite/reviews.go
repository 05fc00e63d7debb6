package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ReviewRow is a special-review (特例单议) entry.
type ReviewRow struct {
	ID        int64     `json:"id"`
	SetlID    string    `json:"setl_id"`
	Row       int64     `json:"-"`
	Hospital  string    `json:"hospital"`
	Period    string    `json:"period"`
	DRG       string    `json:"drg"`
	Reason    string    `json:"reason"`
	CostFen   int64     `json:"cost_fen"`
	Status    string    `json:"status"`           // pending | approved | rejected
	Points    *int64    `json:"points,omitempty"` // × 10⁻⁴; nil = policy default
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	Why       string    `json:"why,omitempty"`
	QueuedAt  time.Time `json:"queued_at"`
}

// QueueReviews adds cases to the special-review queue; a case already queued keeps its
// entry and decision. It returns how many were added.
func (s *Store) QueueReviews(ctx context.Context, rows []ReviewRow) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO special_reviews (setl_id, settlement_row, hospital, period, drg, reason, cost_fen, queued_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (setl_id) DO NOTHING`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	now := time.Now().Unix()
	added := 0
	for _, r := range rows {
		res, err := stmt.ExecContext(ctx, r.SetlID, r.Row, r.Hospital, r.Period, r.DRG, r.Reason, r.CostFen, now)
		if err != nil {
			return 0, fmt.Errorf("special review %s: %w", r.SetlID, err)
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	return added, tx.Commit()
}

// Reviews lists queue entries of a period (all periods when ""), optionally of one
// hospital and status.
func (s *Store) Reviews(ctx context.Context, period, hospital, status string) ([]ReviewRow, error) {
	q := `SELECT id, setl_id, settlement_row, hospital, period, drg, reason, cost_fen, status, points, decided_by, coalesce(decided_at, 0), why, queued_at
		FROM special_reviews WHERE 1 = 1`
	var args []any
	for col, v := range map[string]string{"period": period, "hospital": hospital, "status": status} {
		if v != "" {
			q += ` AND ` + col + ` = ?`
			args = append(args, v)
		}
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY period, hospital, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReviewRow
	for rows.Next() {
		var r ReviewRow
		var pts sql.NullInt64
		var at, queued int64
		if err := rows.Scan(&r.ID, &r.SetlID, &r.Row, &r.Hospital, &r.Period, &r.DRG, &r.Reason, &r.CostFen, &r.Status, &pts,
			&r.DecidedBy, &at, &r.Why, &queued); err != nil {
			return nil, err
		}
		if pts.Valid {
			v := pts.Int64
			r.Points = &v
		}
		if at > 0 {
			r.DecidedAt = time.Unix(at, 0).UTC()
		}
		r.QueuedAt = time.Unix(queued, 0).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// ErrNoReview is returned for a case that is not in the queue.
var ErrNoReview = errors.New("not in the special-review queue")

// Review returns one entry by settlement id.
func (s *Store) Review(ctx context.Context, setlID string) (ReviewRow, error) {
	all, err := s.Reviews(ctx, "", "", "")
	if err != nil {
		return ReviewRow{}, err
	}
	for _, r := range all {
		if r.SetlID == setlID {
			return r, nil
		}
	}
	return ReviewRow{}, fmt.Errorf("settlement %s: %w", setlID, ErrNoReview)
}

// DecideReview records an expert decision (approved or rejected) with who and why. The
// caller has checked the quota.
func (s *Store) DecideReview(ctx context.Context, setlID, status string, points *int64, who, why string, at time.Time) error {
	if status != "approved" && status != "rejected" {
		return fmt.Errorf("decision %q: must be approved or rejected", status)
	}
	if who == "" || why == "" {
		return errors.New("a decision needs who decided and why")
	}
	var pts any
	if points != nil {
		pts = *points
	}
	res, err := s.db.ExecContext(ctx, `UPDATE special_reviews SET status = ?, points = ?, decided_by = ?, decided_at = ?, why = ? WHERE setl_id = ?`,
		status, pts, who, at.Unix(), why, setlID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("settlement %s: %w", setlID, ErrNoReview)
	}
	return nil
}
