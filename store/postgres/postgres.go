// Package postgres runs yibao's store on a PostgreSQL server (through
// github.com/jackc/pgx/v5): a bureau's own database, shared by several `yibao serve`
// processes and ingests at once. The store's SQL is the shared code of store/sqlite; this
// package supplies PostgreSQL's migrations, its dialect (ledger triggers in PL/pgSQL, COPY
// for ingest, catalogue introspection) and a database/sql driver that rewrites the SQLite
// spellings the shared SQL uses. See docs/postgres.md.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/yibao-dev/yibao/store/sqlite"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// IsURL reports whether a --db value names a PostgreSQL database rather than a directory.
func IsURL(v string) bool {
	return strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://")
}

// Redact is the URL without its password, for messages and `yibao status`.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// migrationLock serialises schema changes of processes opening the same database at once.
const migrationLock = 7919_0001

// Open connects to the database at dsn, applies the migrations not yet applied and
// (re)creates the ledger triggers. dir is the local directory of the store's files (the
// ledger signing key, rejects); the database holds everything else.
func Open(ctx context.Context, dsn, dir string) (*sqlite.Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open store %s: state directory: %w", Redact(dsn), err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", Redact(dsn), err)
	}
	// The ledger triggers accept writes only from connections that say they are yibao's.
	cfg.RuntimeParams["yibao.writer"] = "on"
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "yibao"
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	if err := migrate(ctx, cfg); err != nil {
		return nil, fmt.Errorf("open store %s: %w", Redact(dsn), err)
	}
	d := &dialect{meta: newMeta()}
	db := sql.OpenDB(&connector{inner: stdlib.GetConnector(*cfg), d: d})
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", Redact(dsn), err)
	}
	st, err := sqlite.OpenWith(ctx, db, d, dir, "yibao ledger "+cfg.Database, dsn, Redact(dsn))
	if err != nil {
		db.Close()
		return nil, err
	}
	return st, nil
}

// OpenReadOnly connects to an existing yibao database for reading only: no migration, no
// trigger, no checkpoint, and every transaction read-only (the server enforces it).
func OpenReadOnly(ctx context.Context, dsn, dir string) (*sqlite.Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", Redact(dsn), err)
	}
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.RuntimeParams["timezone"] = "UTC"
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "yibao"
	}
	d := &dialect{meta: newMeta()}
	db := sql.OpenDB(&connector{inner: stdlib.GetConnector(*cfg), d: d})
	db.SetMaxOpenConns(4)
	var migrated *string
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations')::text`).Scan(&migrated); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", Redact(dsn), err)
	}
	if migrated == nil {
		db.Close()
		return nil, fmt.Errorf("no store in %s", Redact(dsn))
	}
	return sqlite.OpenWithReadOnly(db, d, dir, "yibao ledger "+cfg.Database, dsn, Redact(dsn)), nil
}

// migrate applies every migrations/NNNN_*.sql not yet recorded, each in its own
// transaction, under an advisory lock so that two processes starting together do not race.
func migrate(ctx context.Context, cfg *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	names, err := migrationNames()
	if err != nil {
		return err
	}
	for _, name := range names {
		v, _ := migrationVersion(name)
		var done int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, v).Scan(&done); err != nil {
			return err
		}
		if done > 0 {
			continue
		}
		body, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return err
		}
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		// Simple protocol: a migration is several statements.
		if _, err := tx.Exec(ctx, string(body), pgx.QueryExecModeSimpleProtocol); err != nil {
			tx.Rollback(ctx)
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations VALUES ($1, $2, $3)`, v, name, time.Now().Unix()); err != nil {
			tx.Rollback(ctx)
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
	}
	return nil
}

func migrationNames() ([]string, error) {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if _, err := migrationVersion(e.Name()); err != nil {
			return nil, err
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}

func migrationVersion(name string) (int, error) {
	num, _, ok := strings.Cut(name, "_")
	v, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, fmt.Errorf("migration %s: name must start with a number and _", name)
	}
	return v, nil
}

// Migrations lists the migration file names (for the test that every SQLite migration
// has its PostgreSQL mirror).
func Migrations() ([]string, error) { return migrationNames() }

var errNoConn = errors.New("postgres: not a pgx connection")
