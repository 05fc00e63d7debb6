package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/payment"

	"github.com/yibao-dev/yibao/audit"
	"github.com/yibao-dev/yibao/hisauth"
	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/web"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "serve [--db DIR] [--addr 127.0.0.1:8080] [--kb DIR]")
	db := fs.String("db", "", "data directory")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	kbDir := fs.String("kb", "", "knowledge base for the online audit interfaces (/nhsa/3101, 3102, 3103)")
	region := fs.String("region", "", "directory with params.json, scenario-*.json and reports/ (the demo region)")
	period := fs.String("period", "2025", "period priced by the cockpit's simulations")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dir := dataDir(e, *db)
	st, err := sqlite.Open(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	l := log.New(e.stderr, "yibao serve: ", log.LstdFlags)
	srv, err := newWebServer(st, dir, *kbDir, *region, *period, l)
	if err != nil {
		return err
	}
	go keepCheckpointing(ctx, st, 30*time.Second, l)
	return listen(ctx, e, *addr, srv.Handler())
}

func newWebServer(st *sqlite.Store, dir, kbDir, region, period string, l *log.Logger) (*web.Server, error) {
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
	sealer, err := hisauth.NewSealer(key)
	if err != nil {
		return nil, err
	}
	cfg := web.Config{Store: st, KB: kb, Pseudonymise: ps.Person, HISSealer: sealer, Log: l, Cockpit: st, Scheme: demoSchemeID}
	if region != "" {
		params := filepath.Join(region, "params.json")
		cfg.Reports, cfg.Scenarios = filepath.Join(region, "reports"), region
		if p, err := payment.LoadParams(params); err == nil {
			cfg.MonthlyBudget = int64(p.DIP.Budget) / 12
		}
		cfg.Simulate = func(ctx context.Context, scenario string) (any, error) {
			return simulateFile(ctx, st, params, scenario, period)
		}
	}
	srv := web.New(cfg)
	srv.Warm(context.Background())
	return srv, nil
}

// simulateFile runs a scenario for the cockpit with the region's policy (policy.json in
// the region directory, else the built-in default), B = the region's budget in params.json
// and weights derived from the year before the period.
func simulateFile(ctx context.Context, st *sqlite.Store, params, scenario, per string) (any, error) {
	sc, err := loadScenario(scenario)
	if err != nil {
		return nil, err
	}
	p, err := loadParams(params)
	if err != nil {
		return nil, err
	}
	policy := filepath.Join(filepath.Dir(params), "policy.json")
	if _, err := os.Stat(policy); err != nil {
		policy = ""
	}
	pol, err := loadPolicy(policy, "")
	if err != nil {
		return nil, err
	}
	pr, err := parsePeriodFlag(per)
	if err != nil {
		return nil, err
	}
	rows, err := st.CaseRows(ctx, demoSchemeID, pr.from, pr.to)
	if err != nil {
		return nil, err
	}
	cases := make([]payment.PayCase, len(rows))
	for i, r := range rows {
		cases[i] = caseOf(r, pol, sqlite.ReviewRow{})
	}
	ref := period{label: "reference", from: pr.from.AddDate(-1, 0, 0), to: pr.from}
	w, err := derivedWeights(ctx, st, demoSchemeID, ref, pol)
	if err != nil {
		return nil, err
	}
	return payment.Simulate(cases, w, pol, yibao.Fen(p.DIP.Budget), sc)
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
