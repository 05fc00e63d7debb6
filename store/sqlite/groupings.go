package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/grouper"
)

// StoredSettlement is a current settlement with the row id of its version.
type StoredSettlement struct {
	Row int64
	*yibao.Settlement
}

// Filter selects current settlements.
type Filter struct {
	InpatientOnly bool
	From, To      time.Time // discharge in [From, To); zero means unbounded
}

// where appends the filter's conditions to a query over current settlements.
func (f Filter) where(q string) (string, []any) {
	var args []any
	if f.InpatientOnly {
		q += ` AND inpatient = 1`
	}
	if !f.From.IsZero() {
		q += ` AND dscg_time >= ?`
		args = append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		q += ` AND dscg_time < ?`
		args = append(args, f.To.Unix())
	}
	return q, args
}

// EachCurrent calls fn for every current settlement the filter selects, with the row of
// its version; the settlement is reused between calls. Pay.Other (other funds' payments,
// kept in their own column, not in the detail) is filled in, so that readers compute the
// patients' payment as total − pooled fund − other funds like the DRG payment does.
func (s *Store) EachCurrent(ctx context.Context, f Filter, fn func(StoredSettlement) error) error {
	q := `SELECT id, detail, other_fund_fen FROM settlements WHERE current = 1`
	q, args := f.where(q)
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var st yibao.Settlement
	var detail []byte
	var row, other int64
	for rows.Next() {
		if err := rows.Scan(&row, &detail, &other); err != nil {
			return err
		}
		if err := decodeSettlement(detail, &st); err != nil {
			return fmt.Errorf("settlement row %d: %w", row, err)
		}
		st.Pay.Other = yibao.Fen(other)
		if err := fn(StoredSettlement{Row: row, Settlement: &st}); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EachCurrentDetail calls fn with the row id and stored detail of every current settlement
// matching f, in row order, without decoding it: callers that decode in parallel
// (DecodeDetail) keep the single SQLite reader from being the bottleneck.
func (s *Store) EachCurrentDetail(ctx context.Context, f Filter, fn func(row int64, detail string) error) error {
	q := `SELECT id, detail FROM settlements WHERE current = 1`
	q, args := f.where(q)
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var raw sql.RawBytes
	var row int64
	for rows.Next() {
		if err := rows.Scan(&row, &raw); err != nil {
			return err
		}
		if err := fn(row, string(raw)); err != nil {
			return err
		}
	}
	return rows.Err()
}

// GroupingRow is a result to store against a settlement version.
type GroupingRow struct {
	Row    int64
	Result grouper.Result
}

// PutGroupings replaces the results of one scheme version for the given settlements.
func (s *Store) PutGroupings(ctx context.Context, rows []GroupingRow) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO groupings (settlement_row, setl_id, scheme, scheme_version, status, outcome,
		mdc, adrg, drg, drg_name, failed_rule, grouped_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	now := time.Now().Unix()
	for _, g := range rows {
		r := g.Result
		if _, err := stmt.ExecContext(ctx, g.Row, r.ID, r.Scheme, r.Version, r.Status, r.Outcome, r.MDC, r.ADRG, r.DRG, r.DRGName, r.Failed, now); err != nil {
			return fmt.Errorf("grouping of %s: %w", r.ID, err)
		}
	}
	if err := bump(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Grouping is a stored result.
type Grouping struct {
	SetlID, Scheme, Version, Status, MDC, ADRG, DRG, DRGName string
}

// GroupingOf returns the stored result of a settlement's current version under a scheme.
func (s *Store) GroupingOf(ctx context.Context, setlID, scheme string) (Grouping, error) {
	var g Grouping
	err := s.db.QueryRowContext(ctx, `SELECT g.setl_id, g.scheme, g.scheme_version, g.status, g.mdc, g.adrg, g.drg, g.drg_name
		FROM groupings g JOIN settlements s ON s.id = g.settlement_row
		WHERE s.setl_id = ? AND s.current = 1 AND g.scheme = ? ORDER BY g.grouped_at DESC LIMIT 1`, setlID, scheme).
		Scan(&g.SetlID, &g.Scheme, &g.Version, &g.Status, &g.MDC, &g.ADRG, &g.DRG, &g.DRGName)
	return g, err
}

// DIPRow is a DIP assignment to store against a settlement version.
type DIPRow struct {
	Row       int64
	SetlID    string
	Catalogue string
	Group     string // empty when unassigned
	Score     float64
	Reason    string
}

// PutDIP replaces the assignments of one catalogue version for the given settlements.
func (s *Store) PutDIP(ctx context.Context, rows []DIPRow) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO dip_assignments (settlement_row, setl_id, catalogue, dip_group, score, reason)
		VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r.Row, r.SetlID, r.Catalogue, r.Group, r.Score, r.Reason); err != nil {
			return fmt.Errorf("DIP assignment of %s: %w", r.SetlID, err)
		}
	}
	if err := bump(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}
