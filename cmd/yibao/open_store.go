package main

import (
	"context"
	"strings"

	"github.com/yibao-dev/yibao/store"
	"github.com/yibao-dev/yibao/store/postgres"
)

// openStore opens the store a --db value names (a data directory, or a postgres:// URL;
// docs/postgres.md). A database store keeps its local files (ledger key, rejects) in
// $YIBAO_STATE_DIR, default yibao-data; $YIBAO_LEDGER_KEY (a base64 Ed25519 seed) signs
// instead of the key file, for several servers sharing one database.
func openStore(e *env, location string) (*store.Store, error) {
	return store.Open(context.Background(), location, store.Options{
		StateDir:  strings.TrimSpace(e.getenv("YIBAO_STATE_DIR")),
		LedgerKey: strings.TrimSpace(e.getenv("YIBAO_LEDGER_KEY")),
	})
}

// openReadOnly opens an existing store for reading only (verify, status).
func openReadOnly(e *env, location string) (*store.Store, error) {
	return store.OpenReadOnly(context.Background(), location, store.Options{
		StateDir:  strings.TrimSpace(e.getenv("YIBAO_STATE_DIR")),
		LedgerKey: strings.TrimSpace(e.getenv("YIBAO_LEDGER_KEY")),
	})
}

// shownArgs is a command line as printed: a database URL without its password.
func shownArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if store.IsDatabase(a) {
			out[i] = postgres.Redact(a)
		}
	}
	return strings.Join(out, " ")
}
