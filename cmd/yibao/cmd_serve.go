package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
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
	fs := newFlags(e, "serve", "serve [--db DIR] [--addr 127.0.0.1:8080] [--kb DIR] [--tls-cert FILE --tls-key FILE | --behind-proxy]")
	db := fs.String("db", "", "data directory")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	kbDir := fs.String("kb", "", "knowledge base for the online audit interfaces (/nhsa/3101, 3102, 3103)")
	region := fs.String("region", "", "directory with params.json, scenario-*.json and reports/ (the demo region)")
	period := fs.String("period", "2025", "period priced by the cockpit's simulations")
	cert := fs.String("tls-cert", "", "serve HTTPS with this PEM certificate (chain) file; needs --tls-key")
	key := fs.String("tls-key", "", "PEM private key of --tls-cert")
	proxy := fs.Bool("behind-proxy", false, "a TLS-terminating reverse proxy on this machine forwards to --addr (loopback); its X-Forwarded-Proto decides the Secure cookie (docs/deployment.md)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*cert == "") != (*key == "") {
		return errors.New("serve: --tls-cert and --tls-key go together")
	}
	if *cert != "" && *proxy {
		return errors.New("serve: --behind-proxy is for a proxy that terminates TLS; with --tls-cert yibao terminates TLS itself")
	}
	dir := dataDir(e, *db)
	st, err := sqlite.Open(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	l := log.New(e.stderr, "yibao serve: ", log.LstdFlags)
	srv, err := newWebServerWith(st, dir, *kbDir, *region, *period, l, *proxy)
	if err != nil {
		return err
	}
	go keepCheckpointing(ctx, st, 30*time.Second, l)
	return serveOn(ctx, e, *addr, srv.Handler(), *cert, *key, *proxy)
}

func newWebServer(st *sqlite.Store, dir, kbDir, region, period string, l *log.Logger) (*web.Server, error) {
	return newWebServerWith(st, dir, kbDir, region, period, l, false)
}

func newWebServerWith(st *sqlite.Store, dir, kbDir, region, period string, l *log.Logger, behindProxy bool) (*web.Server, error) {
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
	cfg := web.Config{Store: st, KB: kb, Pseudonymise: ps.Person, HISSealer: sealer, Log: l, Cockpit: st, Scheme: demoSchemeID, BehindProxy: behindProxy}
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

// listen serves plain HTTP until ctx ends, then shuts down gracefully.
func listen(ctx context.Context, e *env, addr string, h http.Handler) error {
	return serveOn(ctx, e, addr, h, "", "", false)
}

// serveOn serves HTTP, or HTTPS with cert and key, until ctx ends. Over plain HTTP on an
// address that is not loopback it warns: passwords and session cookies then cross the
// network in clear (the cookie is not Secure, so that login works at all).
func serveOn(ctx context.Context, e *env, addr string, h http.Handler, cert, key string, behindProxy bool) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, MaxHeaderBytes: 1 << 20}
	if cert != "" {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	scheme := "http"
	if cert != "" {
		scheme = "https"
		go func() { errc <- srv.ServeTLS(ln, cert, key) }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	fmt.Fprintf(e.stdout, "yibao serving on %s://%s (Ctrl-C to stop)\n", scheme, ln.Addr())
	ip := net.ParseIP(host)
	if host == "localhost" {
		ip = net.IPv4(127, 0, 0, 1)
	}
	switch {
	case cert == "" && behindProxy && (ip == nil || !ip.IsLoopback()):
		fmt.Fprintf(e.stderr, "yibao serve: warning: --behind-proxy trusts X-Forwarded-Proto only from loopback, but %s is not a loopback address; listen on 127.0.0.1 behind the proxy\n", addr)
	case cert == "" && !behindProxy && (ip == nil || !ip.IsLoopback()):
		fmt.Fprintf(e.stderr, "yibao serve: warning: plain HTTP on %s: passwords and session cookies cross the network unencrypted (the cookie is not Secure). "+
			"Use --tls-cert/--tls-key, or a TLS reverse proxy with --behind-proxy (docs/deployment.md)\n", addr)
	}
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
