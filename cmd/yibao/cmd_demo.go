package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/hisauth"
	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/schemes"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/synth"
	"github.com/yibao-dev/yibao/web"
)

// runDemo builds a synthetic region and runs the pipeline on it stage by stage.
func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "demo [--out DIR] [--db DIR] [--persons N] [--seed N] [--addr HOST:PORT] [--no-serve] [--force]")
	cfg := synthFlags(fs)
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	addr := fs.String("addr", "127.0.0.1:8080", "where the cockpit listens at the end")
	noServe := fs.Bool("no-serve", false, "stop after the pipeline instead of serving the cockpit")
	force := fs.Bool("force", false, "replace --out and --db even when a demo did not create them (deletes their contents)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cfg.Out == "" {
		cfg.Out = "demo-region"
	}
	if cfg.Persons == 100000 {
		cfg.Persons = 120000 // the demo's default region: a few hundred thousand settlements
	}
	dir := dataDir(e, *db)
	// A demo starts from scratch: the region and store of a previous demo are replaced — but
	// only directories a demo made (they carry a marker); anything else is refused unless
	// --force says the user means it.
	for _, d := range []string{cfg.Out, dir} {
		if err := claimDemoDir(d, *force); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "== 1/6 synthetic region (合成地区): seed %d, %d hospitals, %d persons, %d months\n", cfg.Seed, cfg.Hospitals, cfg.Persons, cfg.Months)
	sum, secs, err := synthesise(ctx, e, *cfg, false)
	if err != nil {
		return err
	}
	printSynth(e, cfg.Out, sum, secs)

	fmt.Fprintf(e.stdout, "== 2/6 ingest (采集入库) into %s\n", dir)
	isum, st, err := ingestPaths(ctx, e, dir, "", 0, false, []string{
		filepath.Join(cfg.Out, synth.HospitalsFile), filepath.Join(cfg.Out, synth.SettlementsFile), filepath.Join(cfg.Out, synth.ContractsFile)})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := reportIngest(ctx, e, st, isum, "", false, false); err != nil {
		return err
	}

	fmt.Fprintln(e.stdout, "== 3/6 DRG grouping (分组) with the demo scheme")
	scheme, err := grouper.Parse(schemes.DemoDRG)
	if err != nil {
		return fmt.Errorf("demo scheme: %w", err)
	}
	gsum, err := groupStored(ctx, e, st, scheme, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "grouped %d inpatient settlements with %s %s: %s\n", gsum.Cases, scheme.ID, scheme.Version, countsLine(gsum.ByStatus, nil))

	fmt.Fprintln(e.stdout, "== 4/6 smart audit (智能审核): every settlement against the region's knowledge base, scored against its labels")
	kbDir, labels := filepath.Join(cfg.Out, synth.KBDir), filepath.Join(cfg.Out, synth.LabelsFile)
	if code := run(ctx, e, []string{"audit", "--db", st.Dir(), "--kb", kbDir, "--evaluate", labels, "--confirm-definite"}); code != exitOK {
		return fmt.Errorf("demo audit failed (exit %d)", code)
	}

	fmt.Fprintln(e.stdout, "== 5/6 payment (支付): 2024 reference table (基准点数), DRG point method for 2025 (点值, 特例单议, deductions of confirmed findings, prepayment), scenarios, DIP")
	if err := demoPayment(ctx, e, st, cfg.Out); err != nil {
		return err
	}

	fmt.Fprintln(e.stdout, "== 6/6 performance evaluation and linkage (技术绩效联动): 2025 indicators, TOPSIS within peer groups, next year's coefficients and budgets")
	reports := filepath.Join(cfg.Out, "reports")
	evalArgs := []string{"evaluate", "--db", st.Dir(), "--period", "2025", "--params", filepath.Join(cfg.Out, "params.json"),
		"--satisfaction", filepath.Join(cfg.Out, synth.SatisfactionFile), "--report-dir", reports, "--out-params", filepath.Join(cfg.Out, "params-2026-coefficients.json")}
	// 2024 first, so that the hospital pages have an indicator trend; its adjustments are
	// superseded by 2025's.
	if code := run(ctx, &env{stdout: io.Discard, stderr: e.stderr, getenv: e.getenv}, []string{"evaluate", "--db", st.Dir(), "--period", "2024",
		"--params", filepath.Join(cfg.Out, "params.json"), "--satisfaction", filepath.Join(cfg.Out, synth.SatisfactionFile)}); code != exitOK {
		return fmt.Errorf("demo evaluation of 2024 failed (exit %d)", code)
	}
	fmt.Fprintf(e.stdout, "$ yibao %s\n", strings.Join(evalArgs, " "))
	if code := run(ctx, &env{stdout: &headWriter{w: e.stdout, lines: 12}, stderr: e.stderr, getenv: e.getenv}, evalArgs); code != exitOK {
		return fmt.Errorf("demo evaluation failed (exit %d)", code)
	}
	fmt.Fprintf(e.stdout, "improvement reports (绩效改进建议书): %s/<hospital>.html\n", reports)
	fmt.Fprintln(e.stdout, "year-end clearing (年终清算) of 2025 with the evaluation grades: quality deposits returned by grade")
	if err := demoClearing(ctx, e, st, cfg.Out); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"evaluate", "technology", "--db", st.Dir(), "--period", "2025"},
		{"evaluate", "credit", "--db", st.Dir(), "--period", "2025"},
	} {
		fmt.Fprintf(e.stdout, "$ yibao %s\n", strings.Join(args, " "))
		if code := run(ctx, &env{stdout: &headWriter{w: e.stdout, lines: 5}, stderr: e.stderr, getenv: e.getenv}, args); code != exitOK {
			return fmt.Errorf("demo step yibao %s failed (exit %d)", strings.Join(args[:2], " "), code)
		}
	}
	fmt.Fprintln(e.stdout, "== value-based chronic care (价值医疗): 2025 quality measures of the family-doctor institutions, capitation with withhold, outcome payments, shared savings")
	valueArgs := []string{"value", "settle", "--db", st.Dir(), "--period", "2025"}
	fmt.Fprintf(e.stdout, "$ yibao %s\n", strings.Join(valueArgs, " "))
	if code := run(ctx, &env{stdout: &headWriter{w: e.stdout, lines: 10}, stderr: e.stderr, getenv: e.getenv}, valueArgs); code != exitOK {
		return fmt.Errorf("demo value settlement failed (exit %d)", code)
	}
	fmt.Fprintln(e.stdout, "== fund monitoring (基金监测): the fund ledger, the books and months of reserve, alert rules")
	for _, args := range [][]string{
		{"fund", "load", "--db", st.Dir(), "--in", filepath.Join(cfg.Out, synth.FundFile)},
		{"monitor", "run", "--db", st.Dir()},
	} {
		fmt.Fprintf(e.stdout, "$ yibao %s\n", strings.Join(args, " "))
		if code := run(ctx, &env{stdout: &headWriter{w: e.stdout, lines: 8}, stderr: e.stderr, getenv: e.getenv}, args); code != exitOK {
			return fmt.Errorf("demo step yibao %s failed (exit %d)", strings.Join(args[:2], " "), code)
		}
	}
	// Accounts for the cockpit: a bureau administrator, an analyst and the insurance office of
	// the first hospital; passwords are generated and written beside the region.
	var accounts strings.Builder
	hs, err := st.Hospitals(ctx)
	if err != nil || len(hs) == 0 {
		return fmt.Errorf("demo accounts: no hospitals (%v)", err)
	}
	for _, a := range []struct{ name, role, hospital string }{{"admin", "admin", ""}, {"analyst", "analyst", ""}, {"hospital1", "hospital", hs[0].Code}} {
		pw, _, _ := password(false)
		hash, err := web.HashPassword(pw, a.name)
		if err != nil {
			return err
		}
		if err := addUser(ctx, st, a.name, a.role, a.hospital, hash); err != nil {
			return err
		}
		fmt.Fprintf(&accounts, "%-10s %-9s %-14s password %s\n", a.name, a.role, a.hospital, pw)
	}
	os.WriteFile(filepath.Join(cfg.Out, "accounts.txt"), []byte(accounts.String()), 0o600)
	url := "http://" + *addr
	fmt.Fprintf(e.stdout, "\n== cockpit (驾驶舱): %s\ndemo accounts (also in %s):\n%s", url, filepath.Join(cfg.Out, "accounts.txt"), accounts.String())
	fmt.Fprintf(e.stdout, "online audit for HIS systems: POST %s/nhsa/3101, /nhsa/3102, /nhsa/3103\n", url)
	if err := demoHISCredential(ctx, e, st, hs[0].Code, cfg.Out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "pseudonymisation key (化名密钥): %s — keep it out of backups of the data directory; $%s places it elsewhere\n",
		ingest.KeyPath(st.Dir()), ingest.KeyFileEnv)
	if *noServe {
		return nil
	}
	l := log.New(e.stderr, "yibao serve: ", log.LstdFlags)
	srv, err := newWebServer(st, st.Dir(), kbDir, cfg.Out, "2025", l)
	if err != nil {
		return err
	}
	go keepCheckpointing(ctx, st, 30*time.Second, l)
	return listen(ctx, e, *addr, srv.Handler())
}

// demoPayment sets the 2025 DRG budget B at the pooled fund's 2024 outlay on inpatient
// stays plus 3% growth, writes the parameters and two scenarios into the region directory
// (so they can be read and rerun), builds the 2024 reference table, settles 2025 by the
// point method (special-review queue, deductions of confirmed findings, prepayment and
// clearing) and simulates the scenarios.
func demoPayment(ctx context.Context, e *env, st *sqlite.Store, dir string) error {
	rows, err := st.CaseRows(ctx, demoSchemeID, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	var fund2024 int64
	for _, r := range rows {
		fund2024 += r.Cost - r.PatientPaid
	}
	budget := yibao.Fen(fund2024 * 103 / 100)
	files := map[string]string{
		"params.json": fmt.Sprintf(`{"version": "demo-2025.1", "dip": {"budget": %s, "prepay_share": 0.9}}
`, budget),
		"scenario-high-ratio-2x.json": `{"name": "high-ratio-2x", "description": "high-ratio threshold t lowered to 2 for groups of RW ≤ 1 (default 3)",
 "policy": {"high_ratio": {"bands": [{"max_rw": 1, "t": 2}, {"max_rw": 3, "t": 2}, {"max_rw": 0, "t": 1.5}]}}}
`,
		"scenario-weights-minus-2pct.json": `{"name": "weights-minus-2pct", "description": "all relative weights 2% lower, and the budget 1% higher",
 "weight_scale": 0.98, "budget_scale": 1.01}
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			return err
		}
	}
	weights := filepath.Join(dir, "weights-2024.csv")
	db := st.Dir()
	steps := []struct {
		lines int
		args  []string
	}{
		{8, []string{"weights", "--db", db, "--period", "2024", "--out", weights}},
		{80, []string{"settle", "--db", db, "--period", "2025", "--weights", weights, "--budget", budget.String()}},
		{6, []string{"review", "list", "--db", db, "--period", "2025", "--status", "pending"}},
		{12, []string{"simulate", "--db", db, "--period", "2025", "--weights", weights, "--budget", budget.String(),
			"--scenario", filepath.Join(dir, "scenario-high-ratio-2x.json"), "--out", filepath.Join(dir, "impact-high-ratio-2x.csv")}},
		{8, []string{"simulate", "--db", db, "--period", "2025", "--weights", weights, "--budget", budget.String(),
			"--scenario", filepath.Join(dir, "scenario-weights-minus-2pct.json")}},
	}
	for _, s := range steps {
		fmt.Fprintf(e.stdout, "$ yibao %s\n", strings.Join(s.args, " "))
		if code := run(ctx, &env{stdout: &headWriter{w: e.stdout, lines: s.lines}, stderr: e.stderr, getenv: e.getenv}, s.args); code != exitOK {
			return fmt.Errorf("demo step yibao %s failed (exit %d)", s.args[0], code)
		}
	}
	return demoDIP(ctx, e, st, dir)
}

// demoClearing settles 2025 again once the evaluation has graded the hospitals, so that
// the year-end clearing returns each hospital's quality deposit by its grade.
func demoClearing(ctx context.Context, e *env, st *sqlite.Store, dir string) error {
	rows, err := st.CaseRows(ctx, demoSchemeID, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	var fund2024 int64
	for _, r := range rows {
		fund2024 += r.Cost - r.PatientPaid
	}
	args := []string{"settle", "--db", st.Dir(), "--period", "2025", "--weights", filepath.Join(dir, "weights-2024.csv"),
		"--budget", yibao.Fen(fund2024 * 103 / 100).String()}
	fmt.Fprintf(e.stdout, "$ yibao %s\n", strings.Join(args, " "))
	if code := run(ctx, &env{stdout: &headWriter{w: e.stdout, lines: 80}, stderr: e.stderr, getenv: e.getenv}, args); code != exitOK {
		return fmt.Errorf("demo clearing failed (exit %d)", code)
	}
	// DIP returns its deposits by the same 2025 grades (docs/dip.md §7): settle again now that
	// the evaluation exists, with the catalogue and budget of the payment stage.
	dipArgs := []string{"dip", "settle", "--db", st.Dir(), "--catalogue", filepath.Join(dir, "dip-2024.csv"), "--period", "2025",
		"--budget", yibao.Fen(fund2024 * 103 / 100).String()}
	fmt.Fprintf(e.stdout, "$ yibao %s\n", strings.Join(dipArgs, " "))
	if code := run(ctx, &env{stdout: &headWriter{w: e.stdout, lines: 4}, stderr: e.stderr, getenv: e.getenv}, dipArgs); code != exitOK {
		return fmt.Errorf("demo DIP clearing failed (exit %d)", code)
	}
	return nil
}

// headWriter passes through the first lines of a step's report, so that the demo's
// transcript stays readable; the full reports are one command away.
type headWriter struct {
	w     io.Writer
	lines int
	seen  int
}

func (h *headWriter) Write(p []byte) (int, error) {
	for _, line := range bytes.SplitAfter(p, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if h.seen < h.lines {
			h.w.Write(line)
		} else if h.seen == h.lines {
			fmt.Fprintln(h.w, "  …")
		}
		if bytes.HasSuffix(line, []byte("\n")) {
			h.seen++
		}
	}
	return len(p), nil
}

// demoHISCredential registers a HIS credential for the demo hospital and writes it beside
// the accounts (mode 0600), so that 3101 calls can be signed (docs/security.md).
func demoHISCredential(ctx context.Context, e *env, st *sqlite.Store, hospital, out string) error {
	sealer, err := hisSealer(st.Dir())
	if err != nil {
		return err
	}
	c := sqlite.HISCredential{KeyID: hisauth.NewKeyID(), Hospital: hospital, RatePerMin: 6000, Note: "demo"}
	secret := hisauth.NewSecret()
	c.Sealed = sealer.Seal(c.KeyID, secret)
	if err := st.AddHISCredential(ctx, c, "demo"); err != nil {
		return err
	}
	path := filepath.Join(out, "his-credential.txt")
	body := fmt.Sprintf("hospital %s\nkey_id %s\nsecret %s\nsigntype %s\n", hospital, c.KeyID, secret, hisauth.SignType)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "HIS credential for %s (接口凭证): key_id %s, secret in %s; sign as docs/security.md says\n", hospital, c.KeyID, path)
	return nil
}

// demoMarker marks a directory the demo created, so that a later demo may replace it.
const demoMarker = ".yibao-demo"

// claimDemoDir empties d for a new demo if a demo made it (or it is empty or missing, or
// force is set) and marks it; a directory of the user's is refused.
func claimDemoDir(d string, force bool) error {
	abs, err := filepath.Abs(d)
	if err != nil {
		return err
	}
	if cwd, err := os.Getwd(); err == nil && (abs == cwd || strings.HasPrefix(cwd, abs+string(filepath.Separator))) {
		return fmt.Errorf("%s is the working directory or contains it: give the demo a directory of its own", d)
	}
	if abs == filepath.Dir(abs) {
		return fmt.Errorf("%s is the root directory", d)
	}
	entries, err := os.ReadDir(d)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case len(entries) == 0:
	default:
		if _, merr := os.Stat(filepath.Join(d, demoMarker)); merr != nil && !force {
			return fmt.Errorf("%s exists and was not made by a demo (no %s in it): choose another directory, or add --force to delete its contents", d, demoMarker)
		}
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(d, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(d, demoMarker), []byte("made by yibao demo; a later demo may replace this directory\n"), 0o600)
}
