// Package store opens yibao's store from what --db (or YIBAO_DB) says: a postgres:// URL
// selects a PostgreSQL database (store/postgres), anything else is the data directory of
// the embedded SQLite store (store/sqlite), the demo's default. Both run the same store
// code (sqlite.Store) and pass the same contract tests.
package store

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/yibao-dev/yibao/store/postgres"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// Store is yibao's store on either engine.
type Store = sqlite.Store

// Options are what a database store needs besides its URL.
type Options struct {
	// StateDir holds the local files of a database store: the ledger signing key (unless
	// LedgerKey is given) and the default rejects file.
	StateDir string
	// Empty: the user's configuration directory, yibao/HOST_PORT_DATABASE (the same for
	// every command of the user, whatever the working directory).
	// LedgerKey is the checkpoint signing key as a base64 Ed25519 seed (YIBAO_LEDGER_KEY),
	// for several servers sharing one database and one key; empty: StateDir/ledger.key.
	LedgerKey string
}

// Open opens the store named by location.
func Open(ctx context.Context, location string, o Options) (*Store, error) {
	return open(ctx, location, o, false)
}

// OpenReadOnly opens an existing store for reading only (yibao verify, status): nothing is
// created, migrated or signed.
func OpenReadOnly(ctx context.Context, location string, o Options) (*Store, error) {
	return open(ctx, location, o, true)
}

func open(ctx context.Context, location string, o Options, readOnly bool) (*Store, error) {
	var st *Store
	var err error
	if postgres.IsURL(location) {
		dir := o.StateDir
		if dir == "" {
			if dir, err = defaultStateDir(location); err != nil {
				return nil, err
			}
		}
		if readOnly {
			st, err = postgres.OpenReadOnly(ctx, location, filepath.Clean(dir))
		} else {
			st, err = postgres.Open(ctx, location, filepath.Clean(dir))
		}
	} else if readOnly {
		st, err = sqlite.OpenReadOnly(location)
	} else {
		st, err = sqlite.Open(location)
	}
	if err != nil {
		return nil, err
	}
	if o.LedgerKey != "" {
		if err := st.UseLedgerKey(o.LedgerKey); err != nil {
			// Nothing was changed yet: close without signing with a key that was refused.
			st.CloseWithoutCheckpoint()
			return nil, err
		}
	}
	return st, nil
}

// IsDatabase reports whether location names a database server rather than a directory.
func IsDatabase(location string) bool { return postgres.IsURL(location) }

func defaultStateDir(location string) (string, error) {
	cfg, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("state directory for %s: %w (set YIBAO_STATE_DIR)", postgres.Redact(location), err)
	}
	u, err := url.Parse(location)
	if err != nil {
		return "", fmt.Errorf("database URL: %w", err)
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, u.Host+"_"+strings.TrimPrefix(u.Path, "/"))
	return filepath.Join(cfg, "yibao", name), nil
}
