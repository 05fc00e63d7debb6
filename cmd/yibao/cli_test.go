package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao/store/sqlite"
)

var sqliteOpen = sqlite.Open

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLIEnv(t, nil, args...)
}

// runCLIEnv runs the CLI with these environment variables; the compiled-scheme cache is
// off unless the test names a directory, so that tests never write to the user's cache.
func runCLIEnv(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		if k == "YIBAO_SCHEME_CACHE" {
			return "off"
		}
		return ""
	}}
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// The group command's contract: results.csv starts with id,status,mdc,adrg,drg and agrees
// with the CHS-DRG 1.1 kit, with any number of workers and with explanations on.
func TestGroupCommandContract(t *testing.T) {
	kit := filepath.Join("..", "..", "..", "shared", "drg", "chs-drg-1.1")
	want := map[string][]string{}
	for _, r := range readCSV(t, filepath.Join(kit, "conformance", "expected.csv"))[1:] {
		want[r[0]] = r[1:5]
	}
	for _, args := range [][]string{{"--workers", "1"}, {"--workers", "3", "--explain"}} {
		out := filepath.Join(t.TempDir(), "results.csv")
		code, _, stderr := runCLI(t, append([]string{"group", "--scheme", filepath.Join(kit, "scheme.json"),
			"--in", filepath.Join(kit, "conformance", "cases.csv"), "--out", out}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		rows := readCSV(t, out)
		if got := rows[0][:5]; got[0] != "id" || got[1] != "status" || got[4] != "drg" {
			t.Fatalf("header %v", rows[0])
		}
		if len(rows)-1 != len(want) {
			t.Fatalf("%d results for %d cases", len(rows)-1, len(want))
		}
		for _, r := range rows[1:] {
			w := want[r[0]]
			if r[1] != w[0] || r[2] != w[1] || r[3] != w[2] || r[4] != w[3] {
				t.Fatalf("%v, want %v", r[:5], w)
			}
		}
	}
	if code, _, _ := runCLI(t, "group", "--in", "x.csv"); code != exitUsage {
		t.Fatalf("missing --scheme: exit %d", code)
	}
}

func TestIngestExitStatusAndJSON(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`[{"setlinfo":{"setl_id":"S1"}}]`), 0o644)
	db := filepath.Join(dir, "db")
	code, _, _ := runCLI(t, "ingest", "--db", db, bad)
	if code != exitRejected {
		t.Fatalf("exit %d, want %d", code, exitRejected)
	}
	code, out, _ := runCLI(t, "ingest", "--db", db, bad, "--allow-rejects", "--json")
	if code != 0 {
		t.Fatalf("--allow-rejects exit %d", code)
	}
	var sum struct {
		Read, Rejected int
		RejectsFile    string `json:"rejects_file"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Read != 1 || sum.Rejected != 1 {
		t.Fatalf("%s %v", out, err)
	}
	if b, _ := os.ReadFile(sum.RejectsFile); !bytes.Contains(b, []byte(`"setlinfo.psn_no"`)) {
		t.Fatalf("rejects file %s: %s", sum.RejectsFile, b)
	}
	if code, _, _ := runCLI(t, "nonsense"); code != exitUsage {
		t.Fatal("unknown command should be a usage error")
	}
}

// The audit contract in file mode, and the pipeline's payment commands on a small region:
// settle stores a traceable run, simulate stores nothing.
func TestAuditSettleSimulateCommands(t *testing.T) {
	dir := t.TempDir()
	region := filepath.Join(dir, "region")
	db := filepath.Join(dir, "db")
	if code, _, errs := runCLI(t, "synth", "--seed", "4", "--hospitals", "12", "--persons", "4000", "--months", "24", "--out", region); code != 0 {
		t.Fatal(errs)
	}
	findings := filepath.Join(dir, "findings.csv")
	code, _, errs := runCLI(t, "audit", "--kb", filepath.Join(region, "kb"), "--in", filepath.Join(region, "settlements.ndjson"),
		"--in", filepath.Join(region, "hospitals.csv"), "--out", findings, "--evaluate", filepath.Join(region, "labels.csv"))
	if code != 0 {
		t.Fatal(errs)
	}
	rows := readCSV(t, findings)
	if strings.Join(rows[0][:6], ",") != "setl_id,feedetl_sn,category,rule_id,severity,amount" || len(rows) < 50 {
		t.Fatalf("findings header %v, %d rows", rows[0], len(rows))
	}
	params := filepath.Join(dir, "params.json")
	os.WriteFile(params, []byte(`{"version":"t1","weights":{"min_cases":5}}`), 0o644)
	if code, _, errs := runCLI(t, "settle", "--db", db, "--period", "2025", "--budget", "1"); code == 0 || !strings.Contains(errs, "no inpatient settlements") {
		t.Fatalf("settling an empty store: %d %s", code, errs)
	}
	for _, args := range [][]string{
		{"ingest", "--db", db, region},
		{"group", "--db", db, "--scheme", filepath.Join("..", "..", "schemes", "demo-drg.json")},
		{"settle", "--db", db, "--period", "2025", "--reference", "2024", "--json"},
	} {
		if args[0] == "settle" {
			if code, _, errs := runCLI(t, args...); code == 0 || !strings.Contains(errs, "--budget") {
				t.Fatalf("settle without a budget: %d %s", code, errs)
			}
			args = append(args, "--budget", "2000000.00")
		}
		if code, out, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: %s %s", args, out, errs)
		}
	}
	scn := filepath.Join(dir, "s.json")
	os.WriteFile(scn, []byte(`{"name":"budget-up","budget_scale":1.05,"policy":{"low_ratio":{"below":0.5}}}`), 0o644)
	code, out, errs := runCLI(t, "simulate", "--db", db, "--period", "2025", "--reference", "2024", "--scenario", scn, "--budget", "2000000.00", "--json")
	if code != 0 {
		t.Fatal(errs)
	}
	var sim struct {
		Total struct {
			Cases       int   `json:"cases"`
			PaymentDiff int64 `json:"payment_diff_fen"`
		} `json:"total"`
		ByHospital []json.RawMessage `json:"by_hospital"`
	}
	if err := json.Unmarshal([]byte(out), &sim); err != nil || sim.Total.Cases == 0 || len(sim.ByHospital) == 0 || sim.Total.PaymentDiff == 0 {
		t.Fatalf("%s %v", out, err)
	}
	st, _ := sqliteOpen(db)
	defer st.Close()
	var runs, cases int
	st.DB().QueryRow(`SELECT count(*), (SELECT count(*) FROM case_payments) FROM payment_runs`).Scan(&runs, &cases)
	if runs != 1 || cases != sim.Total.Cases {
		t.Fatalf("stored runs %d with %d cases; simulated %d cases", runs, cases, sim.Total.Cases)
	}
	if code, _, errs := runCLI(t, "simulate", "--db", db, "--period", "2025", "--budget", "1", "--scenario", filepath.Join(dir, "missing.json")); code == 0 || errs == "" {
		t.Fatal("missing scenario accepted")
	}
	// Special review: settle queued the cases the rules cannot price; an approval (who, why)
	// is paid by the next settle at C / Ā × 100 points.
	code, out, errs = runCLI(t, "review", "list", "--db", db, "--period", "2025", "--status", "pending", "--json")
	var q struct {
		Reviews []struct {
			SetlID string `json:"setl_id"`
		} `json:"reviews"`
	}
	if err := json.Unmarshal([]byte(out), &q); code != 0 || err != nil || len(q.Reviews) == 0 {
		t.Fatalf("review list: %d %s %s", code, out, errs)
	}
	id := q.Reviews[0].SetlID
	if code, _, errs := runCLI(t, "review", "decide", "--db", db, "--id", id, "--approve", "--by", "专家组", "--why", "病情复杂"); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := runCLI(t, "settle", "--db", db, "--period", "2025", "--reference", "2024", "--budget", "2000000.00"); code != 0 {
		t.Fatal(errs)
	}
	var pts int64
	st.DB().QueryRow(`SELECT points FROM case_payments WHERE setl_id = ? ORDER BY run_id DESC LIMIT 1`, id).Scan(&pts)
	if pts <= 0 {
		t.Fatalf("approved case %s earned %d points", id, pts)
	}

	// Evaluation on the store: every hospital graded; budget neutrality holds exactly.
	code, out, errs = runCLI(t, "evaluate", "--db", db, "--period", "2025", "--params", params, "--satisfaction",
		filepath.Join(region, "satisfaction.csv"), "--report-dir", filepath.Join(dir, "reports"), "--json")
	if code != 0 {
		t.Fatal(errs)
	}
	var ev struct {
		Run         int64 `json:"run"`
		Results     []struct{ Hospital, Grade string }
		Adjustments []struct {
			Hospital     string
			BudgetBefore int64   `json:"budget_before_fen"`
			BudgetAfter  int64   `json:"budget_after_fen"`
			CoefBefore   float64 `json:"coef_before"`
			CoefAfter    float64 `json:"coef_after"`
		}
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil || len(ev.Results) == 0 {
		t.Fatalf("%v %s", err, out)
	}
	var before, after int64
	for i, a := range ev.Adjustments {
		before += a.BudgetBefore
		after += a.BudgetAfter
		if ev.Results[i].Grade == "" {
			t.Fatalf("ungraded %+v", ev.Results[i])
		}
		if _, err := os.Stat(filepath.Join(dir, "reports", a.Hospital+".html")); err != nil {
			t.Fatalf("no report for %s", a.Hospital)
		}
	}
	if before != after || before == 0 {
		t.Fatalf("budget neutrality: %d before, %d after", before, after)
	}
	h0 := ev.Adjustments[0].Hospital
	for _, args := range [][]string{
		{"cmi", "--db", db, "--period", "2025", "--reference", "2024", "--by", "month"},
		{"cmi", "--db", db, "--period", "2025", "--reference", "2024", "--by", "doctor"},
		{"evaluate", "technology", "--db", db, "--period", "2025"},
		{"evaluate", "credit", "--db", db, "--period", "2025"},
		{"evaluate", "league", "--db", db, "--period", "2025", "--hospital", h0, "--min-cases", "1"},
	} {
		if code, out, errs := runCLI(t, args...); code != 0 || out == "" {
			t.Fatalf("%v: %d %s", args, code, errs)
		}
	}
	// Appeals: filed too late → refused; on time → upheld, and the adjustment is reversed.
	var moved string
	for _, a := range ev.Adjustments {
		if a.CoefAfter != a.CoefBefore {
			moved = a.Hospital
		}
	}
	target := fmt.Sprintf("adjustment:%d:%s", ev.Run, moved)
	if code, _, errs := runCLI(t, "appeal", "file", "--db", db, "--hospital", moved, "--target", target, "--reason", "x", "--at", "2099-01-01 00:00:00"); code == 0 || !strings.Contains(errs, "deadline") {
		t.Fatalf("late appeal: %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "appeal", "file", "--db", db, "--hospital", moved, "--target", target, "--reason", "指标数据有误"); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := runCLI(t, "appeal", "decide", "--db", db, "--id", "1", "--uphold", "--by", "analyst", "--why", "复核属实"); code != 0 {
		t.Fatal(errs)
	}
	st2, _ := sqliteOpen(db)
	defer st2.Close()
	c, _, overridden, err := st2.LinkageFor(context.Background(), ev.Run, moved)
	if err != nil || overridden != "appeal 1" {
		t.Fatalf("upheld appeal not applied: %v %q %v", c, overridden, err)
	}
}

// The evaluation calculation contract: topsis and ahp on files.
func TestEvaluateContract(t *testing.T) {
	dir := t.TempDir()
	m, w, out := filepath.Join(dir, "matrix.csv"), filepath.Join(dir, "weights.csv"), filepath.Join(dir, "scores.csv")
	os.WriteFile(m, []byte("hospital,cmi,alos\nA,0.9,12\nB,1.1,10\nC,1.0,14\n"), 0o644)
	os.WriteFile(w, []byte("indicator,weight,direction\nalos,0.4,min\ncmi,0.6,max\n"), 0o644)
	if code, _, errs := runCLI(t, "evaluate", "topsis", "--in", m, "--weights", w, "--out", out); code != 0 {
		t.Fatal(errs)
	}
	rows := readCSV(t, out)
	if strings.Join(rows[0], ",") != "hospital,score,rank" || rows[1][1] != "0.325906" || rows[2][2] != "1" || rows[3][2] != "3" {
		t.Fatalf("%v", rows)
	}
	p := filepath.Join(dir, "pairwise.csv")
	os.WriteFile(p, []byte(",q,e,c\nq,1,3,5\ne,1/3,1,3\nc,1/5,1/3,1\n"), 0o644)
	code, stdout, _ := runCLI(t, "evaluate", "ahp", "--in", p)
	if code != 0 || !strings.Contains(stdout, "q,0.636986") || !strings.Contains(stdout, "CR,0.033199") {
		t.Fatalf("%d %s", code, stdout)
	}
	os.WriteFile(p, []byte(",a,b,c\na,1,9,1/9\nb,1/9,1,9\nc,9,1/9,1\n"), 0o644)
	if code, _, errs := runCLI(t, "evaluate", "ahp", "--in", p); code == 0 || !strings.Contains(errs, "CR = ") {
		t.Fatalf("inconsistent matrix accepted: %s", errs)
	}
}
