package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"encoding/json"
	"github.com/yibao-dev/yibao/store"
	"github.com/yibao-dev/yibao/store/sqlite"

	"github.com/yibao-dev/yibao/store/postgres/pgtest"
)

// pg is one throwaway PostgreSQL server for this package's tests, started on first use.
var pg pgtest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

func postgresURL(t *testing.T, prefix string) string {
	t.Helper()
	srv, err := pg.Get()
	if err != nil {
		t.Fatal(err)
	}
	url, err := srv.NewDatabase(prefix)
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// timings are the parts of a transcript that depend on the machine, not the data.
var timings = regexp.MustCompile(`in [0-9.]+(µs|ms|s)( \([0-9.]+ ?[a-z]*/s\))?|password \S+|his_[0-9a-f]+`)

// The same synthetic region through ingest → group → audit → pay (DRG and DIP) → evaluate
// → value on SQLite and on PostgreSQL gives the same transcript and the same stored
// results, row for row; and both ledgers verify.
func TestPostgresParity(t *testing.T) {
	if testing.Short() {
		t.Skip("the parity run takes a demo on each engine")
	}
	base := t.TempDir()
	t.Setenv("YIBAO_PSEUDONYM_KEY", strings.Repeat("5a", 32)) // the same pseudonyms on both
	locations := map[string]string{"sqlite": filepath.Join(base, "db"), "postgres": postgresURL(t, "parity")}
	transcripts := map[string]string{}
	for _, name := range []string{"sqlite", "postgres"} {
		var out, errb bytes.Buffer
		state := filepath.Join(base, name+"-state")
		e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string {
			if k == "YIBAO_STATE_DIR" {
				return state
			}
			return ""
		}}
		region := filepath.Join(base, name+"-region")
		if code := run(context.Background(), e, []string{"demo", "--out", region, "--db", locations[name], "--persons", "1500",
			"--hospitals", "8", "--seed", "11", "--no-serve"}); code != 0 {
			t.Fatalf("%s demo exit %d: %s", name, code, errb.String())
		}
		s := strings.ReplaceAll(out.String(), locations[name], "DB")
		s = strings.ReplaceAll(s, state, "DB")
		s = strings.ReplaceAll(s, region, "REGION")
		transcripts[name] = timings.ReplaceAllString(s, "")
		var vout bytes.Buffer
		if code := run(context.Background(), &env{stdout: &vout, stderr: &errb, getenv: e.getenv}, []string{"verify", "--db", locations[name]}); code != 0 {
			t.Fatalf("%s verify exit %d: %s %s", name, code, vout.String(), errb.String())
		}
	}
	if a, b := transcripts["sqlite"], transcripts["postgres"]; a != b {
		al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
		for i := range min(len(al), len(bl)) {
			if al[i] != bl[i] {
				t.Fatalf("transcripts differ at line %d:\nsqlite:   %s\npostgres: %s", i+1, al[i], bl[i])
			}
		}
		t.Fatalf("transcripts differ in length: %d and %d lines", len(al), len(bl))
	}
	dumps := map[string]map[string][]string{}
	reads := map[string][]string{}
	for name, loc := range locations {
		st, err := openStore(&env{getenv: func(k string) string {
			if k == "YIBAO_STATE_DIR" {
				return filepath.Join(base, name+"-state")
			}
			return ""
		}}, loc)
		if err != nil {
			t.Fatal(err)
		}
		dumps[name] = dumpResults(t, st.DB())
		reads[name] = readPaths(t, st)
		st.Close()
	}
	// The demo deletes nothing it did not make: a database that holds data is refused, and a
	// database URL leaves no directory behind.
	var again bytes.Buffer
	if code := run(context.Background(), &env{stdout: io.Discard, stderr: &again, getenv: func(k string) string {
		if k == "YIBAO_STATE_DIR" {
			return filepath.Join(base, "again-state")
		}
		return ""
	}},
		[]string{"demo", "--out", filepath.Join(base, "again"), "--db", locations["postgres"], "--persons", "100", "--no-serve"}); code == 0 ||
		!strings.Contains(again.String(), "empty database") {
		t.Errorf("a second demo into a used database: exit %d: %s", code, again.String())
	}
	if junk, _ := filepath.Glob("postgres:*"); len(junk) > 0 {
		t.Errorf("a database URL made local files: %v", junk)
	}
	// A finding edited behind yibao's back in PostgreSQL: yibao verify exits 1 and names it.
	// A trigger disabled to do it is reported too (verify opens the store read-only and
	// re-enables nothing).
	if err := pgtest.Exec(context.Background(), locations["postgres"], `SET session_replication_role = replica;
		UPDATE findings SET amount_fen = amount_fen + 1 WHERE id = 2;
		ALTER TABLE findings DISABLE TRIGGER ledger_findings_del`); err != nil {
		t.Fatal(err)
	}
	var vout, verr bytes.Buffer
	if code := run(context.Background(), &env{stdout: &vout, stderr: &verr, getenv: func(k string) string {
		if k == "YIBAO_STATE_DIR" {
			return filepath.Join(base, "postgres-state")
		}
		return ""
	}}, []string{"verify", "--db", locations["postgres"]}); code != 1 || !strings.Contains(vout.String(), "finding 2") ||
		!strings.Contains(vout.String(), "ledger_findings_del") {
		t.Errorf("verify after tampering: exit %d\n%s%s", code, vout.String(), verr.String())
	}
	for i, a := range reads["sqlite"] {
		if b := reads["postgres"][i]; a != b {
			t.Errorf("read path %d differs:\nsqlite:   %.600s\npostgres: %.600s", i, a, b)
		}
	}
	for table, rows := range dumps["sqlite"] {
		other := dumps["postgres"][table]
		if len(rows) == 0 && table != "nhsa_judgements" {
			t.Errorf("%s: no rows on SQLite: the parity check would be empty", table)
		}
		if len(rows) != len(other) {
			t.Errorf("%s: %d rows on SQLite, %d on PostgreSQL", table, len(rows), len(other))
			continue
		}
		for i := range rows {
			if rows[i] != other[i] {
				t.Errorf("%s row %d:\nsqlite:   %s\npostgres: %s", table, i, rows[i], other[i])
				break
			}
		}
	}
}

// parityTables are the stored results compared, with the columns that legitimately differ
// (times, absolute paths) left out.
var parityTables = map[string]string{
	"settlements":          "id, setl_id, version, current, content_hash, hospital, psn, inpatient, adm_time, dscg_time, total_fen, fund_fen, fee_count, detail, doctor, batch_id, record_no",
	"hospitals":            "code, name, level, registered",
	"groupings":            "settlement_row, setl_id, scheme, scheme_version, status, outcome, mdc, adrg, drg, failed_rule",
	"findings":             "id, settlement_row, setl_id, hospital, feedetl_sn, category, rule_id, severity, amount_fen, evidence, related, kb_version, status, discharge_time",
	"payment_runs":         "id, kind, period, scheme, scheme_version, params_version, weights_version, base_rate, weights",
	"case_payments":        "run_id, settlement_row, setl_id, hospital, drg, rw, coefficient, base_rate_fen, standard_fen, payment_fen, kind, cost_fen, patient_fen, fund_fen",
	"hospital_settlements": "run_id, hospital, settlement",
	"evaluation_runs":      "id, period, system_version, results, facts",
	"linkage_adjustments":  "run_id, hospital, adjustment, coef_after, budget_after, overridden",
	"technology_runs":      "id, period, version, results",
	"dip_assignments":      "settlement_row, setl_id, catalogue, dip_group, score, reason",
	"dip_runs":             "id, period, catalogue, policy, budget, patient_paid, total_points, point_value, results",
	"contracts":            "person, institution, team, start_date, end_date",
	"value_runs":           "id, period, version, policy, measures, settlement",
	"value_gaps":           "run_id, institution, team, measure, person, status, count, day, value, setl_id",
	"ingest_batches":       "id, sha256, bytes, read, loaded, rejected",
	"ledger":               "kind, ref, action", // as a set: some runs write their rows in map order
}

func dumpResults(t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for table, cols := range parityTables {
		rows, err := db.Query(`SELECT ` + cols + ` FROM ` + table)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		n := len(strings.Split(cols, ","))
		var lines []string
		for rows.Next() {
			vals := make([]any, n)
			ptrs := make([]any, n)
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, v := range vals {
				switch v := v.(type) {
				case []byte:
					fmt.Fprintf(&b, "%x|", v)
				default:
					fmt.Fprintf(&b, "%v|", v)
				}
			}
			lines = append(lines, runTimes.ReplaceAllString(b.String(), "his_"))
		}
		rows.Close()
		sort.Strings(lines)
		out[table] = lines
	}
	return out
}

// runTimes are when a run was made: the one difference between the engines' runs.
var runTimes = regexp.MustCompile(`"(published|created_at|filed_at|last_seen_at|queued_at|decided_at|reviewed_at|at)":("[^"]*"|[0-9]+)|his_[0-9a-f]+`)

// readPaths calls the store's read methods the cockpit and the engines use, each result as
// JSON (slices in a canonical order where the method promises none).
func readPaths(t *testing.T, st *store.Store) []string {
	t.Helper()
	ctx := context.Background()
	y2025 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	y2026 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []string
	add := func(name string, v any, err error) {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		b, _ := json.Marshal(v)
		var xs []json.RawMessage
		if json.Unmarshal(b, &xs) == nil {
			ss := make([]string, len(xs))
			for i, x := range xs {
				ss[i] = string(x)
			}
			sort.Strings(ss)
			b = []byte(strings.Join(ss, "\n"))
		}
		out = append(out, name+": "+runTimes.ReplaceAllString(string(b), ""))
	}
	var err error
	var v any
	v, err = st.Counts(ctx)
	add("Counts", v, err)
	v, err = st.Monthly(ctx, "")
	add("Monthly", v, err)
	v, err = st.DRGMonthly(ctx, "yibao-demo-drg")
	add("DRGMonthly", v, err)
	run, kind, err := st.LatestRunAny(ctx)
	add("LatestRunAny", []any{run, kind}, err)
	v, err = st.RunCases(ctx, run, "", "", 100000)
	add("RunCases", v, err)
	v, err = st.HospitalSettlementsOf(ctx, run)
	add("HospitalSettlementsOf", v, err)
	id, period, res, err := st.LatestEvaluation(ctx)
	add("LatestEvaluation", []any{id, period, res}, err)
	v, err = st.Adjustments(ctx, "")
	add("Adjustments", v, err)
	v, err = st.Findings(ctx, sqlite.FindingFilter{Limit: 100000})
	add("Findings", v, err)
	n, err := st.FindingCount(ctx, sqlite.FindingFilter{Month: "2025-03"})
	add("FindingCount", n, err)
	for _, by := range []string{"category", "rule", "hospital", "month"} {
		v, err = st.FindingSummary(ctx, by, "")
		add("FindingSummary "+by, v, err)
	}
	v, err = st.EvaluationHistory(ctx)
	add("EvaluationHistory", v, err)
	v, err = st.CaseRows(ctx, "yibao-demo-drg", y2025, y2026)
	add("CaseRows", v, err)
	v, err = st.ConfirmedFindings(ctx, y2025, y2026)
	add("ConfirmedFindings", v, err)
	coef, cr, err := st.LatestCoefficients(ctx, "2025")
	add("LatestCoefficients", []any{coef, cr}, err)
	er, eres, eadj, err := st.EvaluationOf(ctx, "2025")
	add("EvaluationOf", []any{er, eres, eadj}, err)
	src := st.IndicatorSource()
	v, err = src.Stays(ctx, "yibao-demo-drg", y2025, y2026)
	add("Source.Stays", v, err)
	v, err = src.Findings(ctx, y2025, y2026)
	add("Source.Findings", v, err)
	v, err = src.ListCounts(ctx, y2025, y2026)
	add("Source.ListCounts", v, err)
	v, err = st.Ledger(ctx)
	add("FundLedger", v, err)
	v, err = st.FundSpending(ctx)
	add("FundSpending", v, err)
	for _, by := range []string{"total", "insutype", "category", "hospital", "drg"} {
		for _, m := range []string{"fund", "admissions", "cost_per_case"} {
			v, err = st.MonthlySeries(ctx, by, m, "yibao-demo-drg")
			add("MonthlySeries "+by+" "+m, v, err)
		}
	}
	v, err = st.LastCompleteMonth(ctx)
	add("LastCompleteMonth", v, err)
	v, err = st.DRGCaseCosts(ctx, "yibao-demo-drg")
	add("DRGCaseCosts", v, err)
	v, err = st.FindingsByMonth(ctx)
	add("FindingsByMonth", v, err)
	v, err = st.Alerts(ctx, sqlite.AlertFilter{Limit: 100000})
	add("Alerts", v, err)
	v, err = st.Reviews(ctx, "2025", "", "")
	add("Reviews", v, err)
	grades, gr, err := st.LatestGrades(ctx, "2025")
	add("LatestGrades", []any{grades, gr}, err)
	hm, mm, err := st.HospitalAndMonth(ctx, y2025, y2026)
	add("HospitalAndMonth", []any{hm, mm}, err)
	v, err = st.HospitalLevels(ctx)
	add("HospitalLevels", v, err)
	v, err = st.DRGByRow(ctx, "yibao-demo-drg")
	add("DRGByRow", v, err)
	vr, ok, err := st.LatestValueRun(ctx, "2025")
	add("LatestValueRun", []any{vr.ID, vr.Period, ok}, err)
	gaps, total, err := st.ValueGaps(ctx, vr.ID, "", "", 0, 100000)
	add("ValueGaps", []any{gaps, total}, err)
	dr, err := st.LatestDIPRun(ctx, "2025")
	add("LatestDIPRun", []any{dr.ID, dr.Budget, dr.PointValue, dr.Hospitals}, err)
	v, err = st.Contracts(ctx)
	add("Contracts", v, err)
	v, err = st.Appeals(ctx)
	add("Appeals", v, err)
	v, err = st.Hospitals(ctx)
	add("Hospitals", v, err)
	return out
}

// A step that runs another command passes the store on with st.Location(): st.Dir() is a
// database store's local state directory, and "--db" with it would open (and create) an
// empty SQLite store there.
func TestStepsPassTheStoreOn(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), `"--db", st.Dir()`) && !strings.HasSuffix(f, "postgres_test.go") {
			t.Errorf(`%s passes "--db", st.Dir(): use st.Location()`, f)
		}
	}
}

// Two cockpit servers (each with its own store, as two `yibao serve` processes) answer
// analysts while an ingest writes new versions into the same PostgreSQL database: every
// request succeeds, and the ledger — written by the logins and the ingest — verifies.
func TestPostgresServersDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("a demo and a second region")
	}
	ctx := context.Background()
	base := t.TempDir()
	url := postgresURL(t, "serve")
	state := filepath.Join(base, "state")
	getenv := func(k string) string {
		if k == "YIBAO_STATE_DIR" {
			return state
		}
		return ""
	}
	t.Setenv("YIBAO_PSEUDONYM_KEY", strings.Repeat("5a", 32))
	region := filepath.Join(base, "region")
	var errb bytes.Buffer
	if code := run(ctx, &env{stdout: io.Discard, stderr: &errb, getenv: getenv}, []string{"demo", "--out", region, "--db", url,
		"--persons", "600", "--hospitals", "4", "--seed", "5", "--no-serve"}); code != 0 {
		t.Fatalf("demo exit %d: %s", code, errb.String())
	}
	second := filepath.Join(base, "second")
	if code := run(ctx, &env{stdout: io.Discard, stderr: &errb, getenv: getenv}, []string{"synth", "--out", second,
		"--persons", "1500", "--hospitals", "4", "--seed", "6"}); code != 0 {
		t.Fatalf("synth exit %d: %s", code, errb.String())
	}
	var password string
	accounts, _ := os.ReadFile(filepath.Join(region, "accounts.txt"))
	for _, line := range strings.Split(string(accounts), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "analyst" {
			password = f[len(f)-1]
		}
	}
	type server struct {
		st *store.Store
		hs *httptest.Server
		c  *http.Client
	}
	var servers []server
	for range 2 {
		st, err := openStore(&env{getenv: getenv}, url)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := newWebServer(st, st.Dir(), filepath.Join(region, "kb"), region, "2025", log.New(io.Discard, "", 0))
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewTLSServer(srv.Handler())
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Transport: hs.Client().Transport, Jar: jar}
		body, _ := json.Marshal(map[string]string{"username": "analyst", "password": password})
		resp, err := c.Post(hs.URL+"/api/login", "application/json", bytes.NewReader(body))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("login: %v %v", resp, err)
		}
		resp.Body.Close()
		servers = append(servers, server{st, hs, c})
	}
	var done atomic.Bool
	var wg sync.WaitGroup
	failures := make(chan string, 64)
	served := make([]int, len(servers))
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !done.Load() || n < 3; n++ {
				for _, path := range []string{"/api/overview", "/api/hospitals", "/api/audit/summary?by=hospital", "/api/drgs"} {
					resp, err := s.c.Get(s.hs.URL + path)
					if err != nil {
						failures <- fmt.Sprintf("server %d %s: %v", i, path, err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						failures <- fmt.Sprintf("server %d %s: %d", i, path, resp.StatusCode)
						return
					}
					served[i]++
				}
			}
		}()
	}
	var out bytes.Buffer
	code := run(ctx, &env{stdout: &out, stderr: &errb, getenv: getenv}, []string{"ingest", "--db", url, "--allow-rejects",
		filepath.Join(second, "settlements.ndjson")})
	done.Store(true)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	if code != 0 {
		t.Fatalf("ingest during serving: exit %d: %s %s", code, out.String(), errb.String())
	}
	for _, s := range servers {
		s.hs.Close()
		if err := s.st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("served %v requests during: %s", served, strings.TrimSpace(out.String()))
	var vout bytes.Buffer
	if code := run(ctx, &env{stdout: &vout, stderr: &errb, getenv: getenv}, []string{"verify", "--db", url}); code != 0 {
		t.Fatalf("verify exit %d: %s %s", code, vout.String(), errb.String())
	}
}
