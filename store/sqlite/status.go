package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Status is what `yibao status` shows: the schema, the counts, the latest runs, the users
// and the ledger.
type Status struct {
	Store         string         `json:"store"`
	Dir           string         `json:"dir"`
	SchemaVersion int            `json:"schema_version"`
	Counts        Counts         `json:"counts"`
	Findings      map[string]int `json:"findings"` // by status
	Runs          []RunStatus    `json:"runs"`
	Users         map[string]int `json:"users"` // by role
	Ledger        struct {
		Entries        int64     `json:"entries"`
		CheckpointSize int64     `json:"checkpoint_size"`
		CheckpointAt   time.Time `json:"checkpoint_at,omitzero"`
	} `json:"ledger"`
}

// RunStatus is the latest run of one kind.
type RunStatus struct {
	Kind   string    `json:"kind"`
	Runs   int       `json:"runs"`
	Period string    `json:"period"`
	At     time.Time `json:"at"`
}

// Status reads the store's state; it only reads, and tables of capabilities the store does
// not have yet count as empty.
func (s *Store) Status(ctx context.Context) (Status, error) {
	st := Status{Store: "sqlite", Dir: s.dir, Findings: map[string]int{}, Users: map[string]int{}}
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&st.SchemaVersion); err != nil {
		return st, err
	}
	var err error
	if st.Counts, err = s.Counts(ctx); err != nil {
		return st, err
	}
	has := func(table string) bool {
		var n int
		s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n)
		return n > 0
	}
	group := func(q string, into map[string]int) error {
		rows, err := s.db.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				return err
			}
			into[k] = n
		}
		return rows.Err()
	}
	if has("findings") {
		if err := group(`SELECT status, count(*) FROM findings GROUP BY status`, st.Findings); err != nil {
			return st, err
		}
	}
	if has("users") {
		if err := group(`SELECT role, count(*) FROM users GROUP BY role`, st.Users); err != nil {
			return st, err
		}
	}
	for _, r := range []struct{ kind, table string }{
		{"payment", "payment_runs"}, {"dip", "dip_runs"}, {"evaluation", "evaluation_runs"}, {"technology", "technology_runs"}, {"value", "value_runs"},
	} {
		if !has(r.table) {
			continue
		}
		var rs RunStatus
		var at sql.NullInt64
		var period sql.NullString
		err := s.db.QueryRowContext(ctx, `SELECT count(*), (SELECT period FROM `+r.table+` ORDER BY id DESC LIMIT 1), max(created_at) FROM `+r.table).Scan(&rs.Runs, &period, &at)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return st, err
		}
		if rs.Runs == 0 {
			continue
		}
		rs.Kind, rs.Period = r.kind, period.String
		if at.Valid {
			rs.At = time.Unix(at.Int64, 0).UTC()
		}
		st.Runs = append(st.Runs, rs)
	}
	if has("ledger") {
		s.db.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM ledger`).Scan(&st.Ledger.Entries)
		var at sql.NullInt64
		s.db.QueryRowContext(ctx, `SELECT size, at FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&st.Ledger.CheckpointSize, &at)
		if at.Valid {
			st.Ledger.CheckpointAt = time.Unix(at.Int64, 0).UTC()
		}
	}
	return st, nil
}
