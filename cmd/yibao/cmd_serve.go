package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/yibao-dev/yibao/audit"
	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/web"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "serve [--db DIR] [--addr 127.0.0.1:8080] [--kb DIR]")
	db := fs.String("db", "", "data directory")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	kbDir := fs.String("kb", "", "knowledge base for the online audit interfaces (/nhsa/3101, 3102, 3103)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dir := dataDir(e, *db)
	st, err := sqlite.Open(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	srv, err := newWebServer(st, dir, *kbDir, log.New(e.stderr, "yibao serve: ", log.LstdFlags))
	if err != nil {
		return err
	}
	return listen(ctx, e, *addr, srv.Handler())
}

func newWebServer(st *sqlite.Store, dir, kbDir string, l *log.Logger) (*web.Server, error) {
	var kb *audit.KB
	if kbDir != "" {
		var err error
		if kb, err = audit.LoadKB(kbDir); err != nil {
			return nil, err
		}
	}
	key, err := ingest.LoadOrCreateKey(dir)
	if err != nil {
		return nil, err
	}
	ps, err := ingest.NewPseudonymiser(key)
	if err != nil {
		return nil, err
	}
	return web.New(web.Config{Store: st, KB: kb, Pseudonymise: ps.Person, Log: l}), nil
}

// listen serves until ctx ends, then shuts down gracefully.
func listen(ctx context.Context, e *env, addr string, h http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, MaxHeaderBytes: 1 << 20}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Fprintf(e.stdout, "yibao serving on http://%s (Ctrl-C to stop)\n", addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
