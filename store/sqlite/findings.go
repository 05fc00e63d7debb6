package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// FindingRow is an audit finding to store.
type FindingRow struct {
	Row                                        int64
	SetlID, Hospital, Serial, Category, RuleID string
	Severity, Evidence, KBVersion, Status      string
	Related                                    []string
	Amount                                     int64
}

// PutFindings inserts findings; one already stored for the same settlement version, rule
// and line keeps its status (a re-audit does not reopen a decided finding).
func (s *Store) PutFindings(ctx context.Context, fs []FindingRow) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO findings (settlement_row, setl_id, hospital, feedetl_sn, category, rule_id, severity,
		amount_fen, evidence, related, kb_version, status, discharge_time, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT dscg_time FROM settlements WHERE id = ?), ?)
		ON CONFLICT (settlement_row, rule_id, feedetl_sn) DO UPDATE SET evidence = excluded.evidence, amount_fen = excluded.amount_fen,
		kb_version = excluded.kb_version`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	now := time.Now().Unix()
	for _, f := range fs {
		status := f.Status
		if status == "" {
			status = "open"
		}
		if _, err := stmt.ExecContext(ctx, f.Row, f.SetlID, f.Hospital, f.Serial, f.Category, f.RuleID, f.Severity, f.Amount, f.Evidence,
			strings.Join(f.Related, ","), f.KBVersion, status, f.Row, now); err != nil {
			return 0, fmt.Errorf("finding %s %s: %w", f.SetlID, f.RuleID, err)
		}
	}
	if err := bump(ctx, tx); err != nil {
		return 0, err
	}
	return len(fs), tx.Commit()
}

// HospitalLevels maps hospital codes to their registry level (0 when unregistered).
func (s *Store) HospitalLevels(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT code, level FROM hospitals`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var c string
		var l int
		if err := rows.Scan(&c, &l); err != nil {
			return nil, err
		}
		out[c] = l
	}
	return out, rows.Err()
}

// DRGByRow maps settlement rows to their latest DRG under scheme.
func (s *Store) DRGByRow(ctx context.Context, scheme string) (map[int64]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT settlement_row, drg FROM groupings WHERE scheme = ? AND outcome IN ('drg', 'adrg_without_drg') ORDER BY grouped_at`, scheme)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var r int64
		var d string
		if err := rows.Scan(&r, &d); err != nil {
			return nil, err
		}
		out[r] = d
	}
	return out, rows.Err()
}
