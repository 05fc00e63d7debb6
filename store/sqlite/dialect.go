package sqlite

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// The store's SQL is written once, in the portable subset SQLite and PostgreSQL share;
// what differs between the two engines is behind Dialect. SQLite is the zero value (nil):
// the embedded store needs no dialect. store/postgres supplies PostgreSQL's, together with
// a database/sql driver that rewrites the few SQLite spellings the shared code uses
// (placeholders, INSERT OR REPLACE, LastInsertId) — see docs/postgres.md.

// Dialect is what a non-SQLite engine provides to the shared store.
type Dialect interface {
	// Name is the engine's name for `yibao status` ("postgresql").
	Name() string
	// SchemaVersion is the highest applied migration and the engine's version string.
	SchemaVersion(ctx context.Context, db *sql.DB) (int, string, error)
	// Columns lists a table's columns in their order (none when the table does not exist).
	Columns(ctx context.Context, q Querier, table string) ([]Column, error)
	// JSONObject is the SQL expression of a JSON object (as text) of key/value pairs,
	// each a quoted key and an SQL value, already comma-joined.
	JSONObject(pairs string) string
	// Hex is the SQL expression of a binary value in upper-case hex.
	Hex(expr string) string
	// LockLedger holds the ledger's append lock until the transaction ends (SQLite's
	// immediate transactions hold the database's).
	LockLedger(ctx context.Context, tx *sql.Tx) error
	// TriggerQuery counts the enabled triggers of a name (one parameter).
	TriggerQuery() string
	// EnsureTriggers creates or replaces the ledger triggers.
	EnsureTriggers(ctx context.Context, tx *sql.Tx, ts []LedgerTrigger) error
	// BeginBulk prepares a bulk write's transaction (PostgreSQL: its commit does not wait
	// for the WAL flush; the closing checkpoint's does, and covers it).
	BeginBulk(ctx context.Context, tx *sql.Tx) error
	// CopySettlements bulk-inserts settlement rows (columns as settlementInsertColumns)
	// on the raw driver connection of the transaction, and reserves their ids first.
	ReserveIDs(ctx context.Context, tx *sql.Tx, table string, n int) ([]int64, error)
	Copy(ctx context.Context, rawConn any, table string, columns []string, rows [][]any) error
}

// Querier runs queries (a *sql.DB or *sql.Tx).
type Querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// Column is a table's column: its name and declared type.
type Column struct{ Name, Type string }

// LedgerTrigger is one ledger trigger, in engine-neutral parts: on Event (INSERT, UPDATE,
// DELETE) of Table, insert an entry of Kind with Ref and Content (SQL over Alias, NEW or
// OLD); for updates only when Changed (SQL) holds.
type LedgerTrigger struct {
	Name, Table, Event, Alias  string
	Kind, Action, Ref, Content string
	Changed                    string
}

// OpenWith builds the store over an open database of another engine. dir is the local
// directory of the store's files (the ledger key, rejects), origin names the ledger in
// its checkpoints, location is what `--db` said (with any password: never print it),
// shown the same without the password. The caller has
// brought the schema up to date; OpenWith creates the ledger triggers.
func OpenWith(ctx context.Context, db *sql.DB, d Dialect, dir, origin, location, shown string) (*Store, error) {
	if d == nil {
		return nil, errors.New("open store: no dialect")
	}
	s := &Store{db: db, dir: dir, batches: map[string]int64{}, dialect: d, originName: origin, location: location, shown: shown}
	if err := s.ensureLedger(ctx); err != nil {
		return nil, fmt.Errorf("open store %s: ledger: %w", location, err)
	}
	return s, nil
}

// OpenWithReadOnly is OpenWith for a reader that must change nothing (yibao verify,
// status): no triggers are made, Close signs no checkpoint.
func OpenWithReadOnly(db *sql.DB, d Dialect, dir, origin, location, shown string) *Store {
	return &Store{db: db, dir: dir, readOnly: true, batches: map[string]int64{}, dialect: d, originName: origin, location: location, shown: shown}
}

// Engine names the store's engine: "sqlite" or the dialect's name.
func (s *Store) Engine() string {
	if s.dialect == nil {
		return "sqlite"
	}
	return s.dialect.Name()
}

// Location is what selects this store on the command line: the data directory, or the
// database URL — with its password, if it has one: never print it. Commands that run
// further commands pass it on.
func (s *Store) Location() string {
	if s.location == "" {
		return s.dir
	}
	return s.location
}

// SchemaVersion returns the highest applied migration and the engine's version.
func (s *Store) SchemaVersion(ctx context.Context) (int, string, error) {
	if s.dialect != nil {
		return s.dialect.SchemaVersion(ctx, s.db)
	}
	var v int
	var lib string
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0), sqlite_version() FROM schema_migrations`).Scan(&v, &lib); err != nil {
		return 0, "", err
	}
	return v, "SQLite " + lib, nil
}

func (s *Store) origin() string {
	if s.originName != "" {
		return s.originName
	}
	return "yibao ledger " + filepath.Base(filepath.Clean(s.dir))
}

// UseLedgerKey signs checkpoints with the given key (a base64 Ed25519 seed, as in
// ledger.key) instead of the data directory's: servers sharing one database share one key.
func (s *Store) UseLedgerKey(b64 string) error {
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(seed) != ed25519.SeedSize {
		return errors.New("ledger key: not a base64 Ed25519 seed")
	}
	s.key = ed25519.NewKeyFromSeed(seed)
	return nil
}

// CloseWithoutCheckpoint closes the database without signing (a store that failed to open).
func (s *Store) CloseWithoutCheckpoint() error { return s.db.Close() }
