package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// copyFixture copies the demo store to a fresh directory (VACUUM INTO gives a consistent
// copy), so that a test may change or poison it without touching the shared fixture.
func copyFixture(t *testing.T, f cockpitFixture) cockpitFixture {
	t.Helper()
	st, err := sqlite.Open(f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := filepath.Join(t.TempDir(), "db")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec(`VACUUM INTO ?`, filepath.Join(dir, sqlite.DBFile)); err != nil {
		t.Fatal(err)
	}
	// Other tests lock accounts on purpose (the lockout test); a copy starts unlocked.
	cp, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cp.DB().Exec(`UPDATE users SET failed_count = 0, locked_until = 0`); err != nil {
		t.Fatal(err)
	}
	cp.Close()
	// Keys and other files of the data directory come along (not the database files).
	entries, _ := os.ReadDir(f.db)
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), sqlite.DBFile) {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(f.db, e.Name())); err == nil {
			os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600)
		}
	}
	c := f
	c.db = dir
	return c
}

type gridAnswer struct {
	Rows []struct {
		ID         int64    `json:"id"`
		Status     string   `json:"status"`
		Hospital   string   `json:"hospital"`
		Appealable bool     `json:"appealable"`
		Cells      []string `json:"cells"`
		State      string   `json:"state"`
	} `json:"rows"`
	Columns []struct{ Key, Zh, Kind string } `json:"columns"`
	Total   int                              `json:"total"`
	Counts  map[string]int                   `json:"counts"`
	Filters []struct{ Key, Label string }    `json:"filters"`
}

func (a *apiClient) raw(path string) (int, []byte, http.Header) {
	a.t.Helper()
	resp, err := a.c.Get(a.base + path)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// TestFindingWorkQueueAPI: findings are reviewed with a reason (one and in bulk by a
// Chinese text filter), a hospital appeals a finding from its list, the bureau decides
// with a reason, every action is in audit_log; exports hold what the list shows.
func TestFindingWorkQueueAPI(t *testing.T) {
	f := copyFixture(t, demoFixture(t))
	hs := cockpitServer(t, f, false)
	analyst := login(t, hs, "analyst", f.passwords["analyst"])
	hosp := login(t, hs, "hospital1", f.passwords["hospital1"])

	// Filter on what is shown: a Chinese category label finds rows whose id is English.
	var byLabel gridAnswer
	analyst.do("GET", "/api/audit/findings?q="+urlq("限年龄")+"&limit=1000", nil, &byLabel)
	if byLabel.Total == 0 {
		t.Fatal("filter 限年龄 found nothing")
	}
	for _, r := range byLabel.Rows {
		if !strings.Contains(strings.Join(r.Cells, "|"), "限年龄") {
			t.Fatalf("row without 限年龄: %v", r.Cells)
		}
	}
	// English covers every evidence sentence the audit writes on the demo region (a new
	// or reworded sentence needs its pattern in web/labels.go).
	var en struct {
		Rows []struct {
			RuleID string `json:"rule_id"`
			En     string `json:"evidence_en"`
			Zh     string `json:"evidence_zh"`
		} `json:"rows"`
	}
	analyst.do("GET", "/api/audit/findings?limit=1000&lang=en", nil, &en)
	for _, r := range en.Rows {
		if strings.HasPrefix(r.En, "(Chinese)") || r.En == "" {
			t.Errorf("%s evidence not in English: %s", r.RuleID, r.Zh)
			break
		}
	}
	// One finding: a reason is required; then confirmed with who, when and why.
	var open gridAnswer
	analyst.do("GET", "/api/audit/findings?status=open&limit=1000", nil, &open)
	if open.Total < 3 {
		t.Fatalf("open findings: %d", open.Total)
	}
	id := open.Rows[0].ID
	if code := analyst.do("POST", fmt.Sprintf("/api/findings/%d/review", id), map[string]string{"action": "confirm", "why": "  "}, nil); code != 422 {
		t.Errorf("review without a reason: %d", code)
	}
	if code := hosp.do("POST", fmt.Sprintf("/api/findings/%d/review", id), map[string]string{"action": "confirm", "why": "x"}, nil); code != 403 {
		t.Errorf("hospital reviewing: %d", code)
	}
	if code := analyst.do("POST", fmt.Sprintf("/api/findings/%d/review", id), map[string]string{"action": "confirm", "why": "病历核实，确属违规"}, nil); code != 200 {
		t.Fatalf("confirm: %d", code)
	}
	if code := analyst.do("POST", fmt.Sprintf("/api/findings/%d/review", id), map[string]string{"action": "dismiss", "why": "again"}, nil); code != 422 {
		t.Errorf("reviewing a decided finding: %d", code)
	}
	var one struct {
		Finding map[string]any
		History []struct{ Actor, From, To, Why string }
	}
	analyst.do("GET", fmt.Sprintf("/api/findings/%d", id), nil, &one)
	if one.Finding["status"] != "confirmed" || one.Finding["reviewed_by"] != "analyst" || len(one.History) != 1 || one.History[0].Why != "病历核实，确属违规" {
		t.Fatalf("after confirm: %+v", one)
	}
	// Bulk by filter: every open finding of one category, counted first.
	cat := ""
	for _, r := range open.Rows[1:] {
		if r.Cells[4] != "" {
			cat = r.Cells[4] // the category as shown (Chinese)
			break
		}
	}
	var sel gridAnswer
	analyst.do("GET", "/api/audit/findings?status=open&q="+urlq(cat), nil, &sel)
	if code := analyst.do("POST", "/api/findings/review", map[string]any{"action": "dismiss", "why": "规则口径调整", "filter": map[string]string{"q": cat}, "expect": sel.Total + 1}, nil); code != 409 {
		t.Errorf("bulk review with a stale count: %d", code)
	}
	var bulk struct{ Changed, Selected int }
	if code := analyst.do("POST", "/api/findings/review", map[string]any{"action": "dismiss", "why": "规则口径调整", "filter": map[string]string{"q": cat}, "expect": sel.Total}, &bulk); code != 200 || bulk.Changed != sel.Total {
		t.Fatalf("bulk dismiss %q: %d %+v, want %d", cat, code, bulk, sel.Total)
	}
	var after gridAnswer
	analyst.do("GET", "/api/audit/findings?status=open&q="+urlq(cat), nil, &after)
	if after.Total != 0 {
		t.Errorf("open %s findings after the bulk dismissal: %d", cat, after.Total)
	}
	// A hospital appeals one of its findings from the list; the bureau decides with a reason.
	var own gridAnswer
	hosp.do("GET", "/api/audit/findings?limit=1000", nil, &own)
	var target int64
	for _, r := range own.Rows {
		if r.Hospital != f.hospital {
			t.Fatalf("hospital sees %s", r.Hospital)
		}
		if r.Appealable && target == 0 {
			target = r.ID
		}
	}
	if target == 0 {
		t.Fatal("no appealable finding for the hospital")
	}
	var filed struct{ ID int64 }
	if code := hosp.do("POST", "/api/appeals", map[string]string{"target": fmt.Sprintf("finding:%d", target), "reason": "该项目有医嘱及检查报告支持"}, &filed); code != 201 {
		t.Fatalf("appeal a finding: %d", code)
	}
	var q1 struct {
		Pending int `json:"pending_appeals"`
	}
	analyst.do("GET", "/api/queues", nil, &q1)
	var pend gridAnswer
	analyst.do("GET", "/api/appeals?state=pending", nil, &pend)
	if q1.Pending == 0 || pend.Counts["pending"] != q1.Pending || pend.Total != q1.Pending {
		t.Errorf("queue %d, appeals %+v", q1.Pending, pend.Counts)
	}
	if code := analyst.do("POST", fmt.Sprintf("/api/appeals/%d/decision", filed.ID), map[string]any{"uphold": true, "why": ""}, nil); code != 422 {
		t.Errorf("decision without a reason: %d", code)
	}
	if code := analyst.do("POST", fmt.Sprintf("/api/appeals/%d/decision", filed.ID), map[string]any{"uphold": true, "why": "医嘱与报告齐全"}, nil); code != 200 {
		t.Fatalf("decide: %d", code)
	}
	analyst.do("GET", fmt.Sprintf("/api/findings/%d", target), nil, &one)
	if one.Finding["status"] != "dismissed" || !strings.Contains(fmt.Sprint(one.Finding["review_why"]), "医嘱与报告齐全") {
		t.Errorf("finding after the upheld appeal: %+v", one.Finding)
	}
	st, err := sqlite.Open(f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, action := range []string{"finding.confirmed", "finding.dismissed", "appeal.file", "appeal.decide"} {
		var n int
		st.DB().QueryRow(`SELECT count(*) FROM audit_log WHERE action = ?`, action).Scan(&n)
		if n == 0 {
			t.Errorf("no %s in audit_log", action)
		}
	}

	// The reviews are in the tamper-evident ledger, which still verifies.
	var vout, verr bytes.Buffer
	if code := run(context.Background(), &env{stdout: &vout, stderr: &verr, getenv: func(string) string { return "" }}, []string{"verify", "--db", f.db}); code != 0 {
		t.Errorf("verify after reviews: %d %s %s", code, vout.String(), verr.String())
	}
	var inLedger int
	st.DB().QueryRow(`SELECT count(*) FROM ledger WHERE kind = 'finding_review'`).Scan(&inLedger)
	if inLedger == 0 {
		t.Error("finding reviews are not in the ledger")
	}

	// Exports: every filtered row (not one page), yuan and labels as shown, the filter in
	// the file, formulas neutralised.
	var shown gridAnswer
	analyst.do("GET", "/api/audit/findings?q="+urlq(cat)+"&limit=1000", nil, &shown)
	code, body, hdr := analyst.raw("/api/audit/findings?limit=1&format=csv&q=" + urlq(cat))
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", code, hdr.Get("Content-Type"))
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(recs[2][1], cat) {
		t.Errorf("filter line: %v", recs[2])
	}
	hi := 0
	for i, r := range recs {
		if len(r) > 0 && r[0] == "问题编号" {
			hi = i
		}
	}
	data := recs[hi+1:]
	if len(data) != shown.Total {
		t.Fatalf("csv rows %d, shown total %d", len(data), shown.Total)
	}
	for i, r := range data {
		want := shown.Rows[i].Cells
		if r[4] != want[4] || r[9] != want[9] || r[7] != strings.ReplaceAll(want[7], ",", "") {
			t.Fatalf("csv row %d %v, shown %v", i, r, want)
		}
	}
	code, body, _ = analyst.raw("/api/audit/findings?format=xlsx&q=" + urlq(cat))
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if code != 200 || err != nil {
		t.Fatalf("xlsx: %d %v", code, err)
	}
	rows, _ := x.GetRows("Sheet1")
	xh := 0
	for i, r := range rows {
		if len(r) > 0 && r[0] == "问题编号" {
			xh = i
		}
	}
	if len(rows) != xh+1+shown.Total || rows[xh+1][4] != shown.Rows[0].Cells[4] || rows[xh+1][8] != shown.Rows[0].Cells[8] {
		t.Errorf("xlsx: %d rows, first %v", len(rows), rows[xh+1])
	}
	// 404 for what does not exist.
	for _, p := range []string{"/api/hospitals/NOPE", "/api/drgs/NOPE/cases", "/api/findings/99999999", "/api/settlements/NOPE", "/api/overview?hospital=NOPE"} {
		if code := analyst.do("GET", p, nil, nil); code != 404 {
			t.Errorf("GET %s: %d, want 404", p, code)
		}
	}
}

func urlq(s string) string { return url.QueryEscape(s) }

// TestFindingsCommand: the command line reviews findings with the same state model.
func TestFindingsCommand(t *testing.T) {
	f := copyFixture(t, demoFixture(t))
	cli := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		code := run(context.Background(), e, append(args, "--db", f.db))
		return code, out.String() + errb.String()
	}
	code, out := cli("findings", "list", "--status", "open", "--limit", "1", "--json")
	var l struct {
		Total    int
		Findings []struct{ ID int64 }
	}
	if code != 0 || json.Unmarshal([]byte(out), &l) != nil || l.Total == 0 {
		t.Fatalf("list: %d %s", code, out)
	}
	id := fmt.Sprint(l.Findings[0].ID)
	if code, out := cli("findings", "confirm", "--id", id, "--by", "li"); code != exitUsage {
		t.Errorf("confirm without a reason: %d %s", code, out)
	}
	if code, out := cli("findings", "confirm", "--id", id, "--by", "li", "--why", "核实属实"); code != 0 || !strings.Contains(out, "1 finding(s) 已确认") {
		t.Fatalf("confirm: %d %s", code, out)
	}
	if code, _ := cli("findings", "dismiss", "--id", id, "--by", "li", "--why", "again"); code != exitFailure {
		t.Errorf("dismissing a confirmed finding: %d", code)
	}
	code, out = cli("findings", "list", "--status", "confirmed", "--limit", "0")
	if code != 0 || !strings.Contains(out, "核实属实") {
		t.Errorf("list confirmed: %d %s", code, out)
	}
}
