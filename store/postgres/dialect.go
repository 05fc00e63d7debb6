package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// dialect is PostgreSQL's side of the shared store (sqlite.Dialect).
type dialect struct{ meta *meta }

func (d *dialect) Name() string { return "postgresql" }

func (d *dialect) SchemaVersion(ctx context.Context, db *sql.DB) (int, string, error) {
	var v int
	var server string
	err := db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0), current_setting('server_version') FROM schema_migrations`).Scan(&v, &server)
	return v, "PostgreSQL " + server, err
}

func (d *dialect) Columns(ctx context.Context, q sqlite.Querier, table string) ([]sqlite.Column, error) {
	rows, err := q.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? AND column_name <> 'rowid' ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []sqlite.Column
	for rows.Next() {
		var c sqlite.Column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// JSONObject is json_build_object as text: the ledger compares and stores the text, and
// json has no equality operator.
func (d *dialect) JSONObject(pairs string) string { return "json_build_object(" + pairs + ")::text" }

func (d *dialect) Hex(expr string) string { return "upper(encode(" + expr + ", 'hex'))" }

// BeginBulk lets an ingest batch commit without waiting for its WAL to reach the disk: a
// crash may lose the last batches (ingest is idempotent: reading the files again restores
// them), never half of one, and never one a signed checkpoint counts — the checkpoint's
// own commit waits for the flush, which covers every earlier commit. SQLite's WAL with
// synchronous=NORMAL makes the same trade.
func (d *dialect) BeginBulk(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`)
	return err
}

// LockLedger takes the lock the ledger's sequence trigger takes (migration 0095).
func (d *dialect) LockLedger(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7919, 95)`)
	return err
}

// TriggerQuery counts a ledger trigger only while it stands enabled: ALTER TABLE … DISABLE
// TRIGGER is as much a way around the ledger as dropping it.
func (d *dialect) TriggerQuery() string {
	return `SELECT count(*) FROM pg_trigger WHERE tgname = ? AND NOT tgisinternal AND tgenabled <> 'D'`
}

// triggerLock serialises trigger changes of processes opening the same database at once.
const triggerLock = 7919_0002

// EnsureTriggers creates each ledger trigger as a PL/pgSQL function and a row trigger,
// replacing a function whose body changed (a migration added a column).
func (d *dialect) EnsureTriggers(ctx context.Context, tx *sql.Tx, ts []sqlite.LedgerTrigger) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(triggerLock)); err != nil {
		return err
	}
	for _, t := range ts {
		insert := fmt.Sprintf("INSERT INTO ledger (kind, ref, action, at, content) VALUES ('%s', %s, '%s', yibao_ledger_now(), %s);",
			t.Kind, t.Ref, t.Action, t.Content)
		if t.Changed != "" {
			insert = "IF " + t.Changed + " THEN\n  " + insert + "\nEND IF;"
		}
		body := "\nBEGIN\n" + insert + "\nRETURN NULL;\nEND\n"
		var have string
		err := tx.QueryRowContext(ctx, `SELECT p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
			WHERE p.proname = ? AND n.nspname = current_schema()`, t.Name).Scan(&have)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		if have != body {
			if _, err := tx.ExecContext(ctx, "CREATE OR REPLACE FUNCTION "+t.Name+"() RETURNS trigger LANGUAGE plpgsql AS $yibao$"+body+"$yibao$"); err != nil {
				return fmt.Errorf("ledger trigger %s: %w", t.Name, err)
			}
		}
		var n, disabled int
		if err := tx.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE tgenabled = 'D') FROM pg_trigger WHERE tgname = ? AND tgrelid = ?::regclass`,
			t.Name, t.Table).Scan(&n, &disabled); err != nil {
			return err
		}
		if disabled > 0 {
			// Disabled behind yibao's back: yibao's own writes must be recorded again (what
			// was written meanwhile is what verify finds).
			if _, err := tx.ExecContext(ctx, "ALTER TABLE "+t.Table+" ENABLE TRIGGER "+t.Name); err != nil {
				return fmt.Errorf("ledger trigger %s: %w", t.Name, err)
			}
		}
		if n == 0 {
			if _, err := tx.ExecContext(ctx, "CREATE TRIGGER "+t.Name+" AFTER "+t.Event+" ON "+t.Table+" FOR EACH ROW EXECUTE FUNCTION "+t.Name+"()"); err != nil {
				return fmt.Errorf("ledger trigger %s: %w", t.Name, err)
			}
		}
	}
	return nil
}

func (d *dialect) ReserveIDs(ctx context.Context, tx *sql.Tx, table string, n int) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT nextval(pg_get_serial_sequence(?, 'id')) FROM generate_series(1, ?)`, table, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) != n {
		return nil, fmt.Errorf("reserved %d ids of %d", len(out), n)
	}
	return out, nil
}

// Copy writes rows with COPY … FROM STDIN (binary) on the transaction's connection.
func (d *dialect) Copy(ctx context.Context, raw any, table string, columns []string, rows [][]any) error {
	c, ok := raw.(*conn)
	if !ok {
		return errNoConn
	}
	n, err := c.Conn.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
	if err != nil {
		return err
	}
	if int(n) != len(rows) {
		return fmt.Errorf("copied %d rows of %d", n, len(rows))
	}
	return nil
}

var _ sqlite.Dialect = (*dialect)(nil)
