package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/yibao-dev/yibao/store/sqlite"
)

// cockpitFixture runs the demo pipeline once on a small region (without serving) and
// returns its directories and the demo accounts' passwords.
type cockpitFixture struct {
	region, db string
	passwords  map[string]string
	hospital   string // hospital1's hospital
}

var (
	fixtureOnce sync.Once
	fixture     cockpitFixture
	fixtureErr  error
)

func demoFixture(t *testing.T) cockpitFixture {
	t.Helper()
	fixtureOnce.Do(func() {
		dir, err := os.MkdirTemp("", "yibao-cockpit")
		if err != nil {
			fixtureErr = err
			return
		}
		fixture = cockpitFixture{region: filepath.Join(dir, "region"), db: filepath.Join(dir, "db"), passwords: map[string]string{}}
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		if code := run(context.Background(), e, []string{"demo", "--out", fixture.region, "--db", fixture.db, "--persons", "5000",
			"--hospitals", "12", "--no-serve"}); code != 0 {
			fixtureErr = fmt.Errorf("demo exit %d: %s", code, errb.String())
			return
		}
		b, _ := os.ReadFile(filepath.Join(fixture.region, "accounts.txt"))
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			f := strings.Fields(line)
			fixture.passwords[f[0]] = f[len(f)-1]
			if f[0] == "hospital1" {
				fixture.hospital = f[2]
			}
		}
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixture
}

func cockpitServer(t *testing.T, f cockpitFixture, tls bool) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(f.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := newWebServer(st, f.db, filepath.Join(f.region, "kb"), f.region, "2025", log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	var hs *httptest.Server
	if tls {
		hs = httptest.NewTLSServer(srv.Handler())
	} else {
		hs = httptest.NewServer(srv.Handler())
	}
	t.Cleanup(hs.Close)
	return hs
}

type apiClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func login(t *testing.T, hs *httptest.Server, user, pw string) *apiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: hs.Client().Transport, Jar: jar} // one cookie jar per user
	a := &apiClient{t: t, base: hs.URL, c: c}
	var me struct{ CSRF string }
	if code := a.do("POST", "/api/login", map[string]string{"username": user, "password": pw}, &me); code != 200 {
		t.Fatalf("login %s: %d", user, code)
	}
	a.csrf = me.CSRF
	return a
}

func (a *apiClient) do(method, path string, body any, out any) int {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, r)
	if a.csrf != "" && method != "GET" {
		req.Header.Set("X-CSRF-Token", a.csrf)
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func TestCockpitAPIAndAuthorization(t *testing.T) {
	f := copyFixture(t, demoFixture(t)) // files and decides appeals, locks an account: the shared store stays as the demo left it
	hs := cockpitServer(t, f, true)
	anon := &apiClient{t: t, base: hs.URL, c: hs.Client()}
	if code := anon.do("GET", "/api/overview", nil, nil); code != 401 {
		t.Fatalf("anonymous overview: %d", code)
	}
	admin := login(t, hs, "admin", f.passwords["admin"])
	hosp := login(t, hs, "hospital1", f.passwords["hospital1"])
	analyst := login(t, hs, "analyst", f.passwords["analyst"])

	var ov struct {
		Totals struct{ Settlements int } `json:"totals"`
		Months []json.RawMessage         `json:"months"`
	}
	if admin.do("GET", "/api/overview", nil, &ov) != 200 || ov.Totals.Settlements == 0 || len(ov.Months) < 24 {
		t.Fatalf("overview %+v", ov)
	}
	var hl struct {
		Hospitals []struct{ Code, Grade string } `json:"rows"`
	}
	if admin.do("GET", "/api/hospitals", nil, &hl) != 200 || len(hl.Hospitals) != 12 || hl.Hospitals[0].Grade == "" {
		t.Fatalf("hospitals %+v", hl)
	}
	other := hl.Hospitals[0].Code
	if other == f.hospital {
		other = hl.Hospitals[1].Code
	}
	// Every GET endpoint answers the bureau.
	var drgs struct {
		DRGs []struct{ DRG string } `json:"rows"`
	}
	admin.do("GET", "/api/drgs", nil, &drgs)
	if len(drgs.DRGs) == 0 {
		t.Fatal("no DRGs")
	}
	var cases struct {
		Cases []struct {
			SetlID string `json:"setl_id"`
		} `json:"rows"`
	}
	admin.do("GET", "/api/drgs/"+drgs.DRGs[0].DRG+"/cases", nil, &cases)
	var findings struct {
		Findings []struct {
			SetlID   string `json:"setl_id"`
			Hospital string `json:"hospital"`
		} `json:"rows"`
	}
	admin.do("GET", "/api/audit/findings?hospital="+other, nil, &findings)
	if len(cases.Cases) == 0 || len(findings.Findings) == 0 {
		t.Fatalf("cases %d findings %d", len(cases.Cases), len(findings.Findings))
	}
	// Paging: the second page continues where the first ended, and the total is stable.
	var p1, p2 struct {
		Findings []struct {
			ID int64 `json:"id"`
		} `json:"rows"`
		Total int `json:"total"`
	}
	admin.do("GET", "/api/audit/findings?limit=25", nil, &p1)
	admin.do("GET", fmt.Sprintf("/api/audit/findings?limit=25&offset=%d", len(p1.Findings)), nil, &p2)
	if p1.Total != p2.Total || (p1.Total > len(p1.Findings) && (len(p2.Findings) == 0 || p2.Findings[0].ID <= p1.Findings[len(p1.Findings)-1].ID)) {
		t.Errorf("paging: %d+%d of %d", len(p1.Findings), len(p2.Findings), p1.Total)
	}
	var scen struct{ Scenarios []string }
	admin.do("GET", "/api/scenarios", nil, &scen)
	for _, p := range []string{"/api/me", "/api/hospitals/" + other, "/api/hospitals/" + other + "/report", "/api/audit/summary?by=rule",
		"/api/audit/summary?by=month", "/api/settlements/" + findings.Findings[0].SetlID, "/api/linkage", "/api/appeals",
		"/api/simulate?scenario=" + scen.Scenarios[0], "/api/openapi.json"} {
		if code := admin.do("GET", p, nil, nil); code != 200 {
			t.Errorf("admin GET %s: %d", p, code)
		}
	}
	// A hospital user sees its own hospital and gets 404 for another's resources.
	for _, p := range []string{"/api/hospitals/" + other, "/api/hospitals/" + other + "/report", "/api/settlements/" + findings.Findings[0].SetlID,
		"/api/audit/findings?hospital=" + other, "/api/simulate?scenario=" + scen.Scenarios[0]} {
		if code := hosp.do("GET", p, nil, nil); code != 404 {
			t.Errorf("hospital user GET %s: %d, want 404", p, code)
		}
	}
	var hdet struct {
		Trend []struct {
			Period string
			Score  float64
		} `json:"trend"`
	}
	if code := hosp.do("GET", "/api/hospitals/"+f.hospital, nil, &hdet); code != 200 || len(hdet.Trend) != 2 || hdet.Trend[0].Period != "2024" {
		t.Errorf("own hospital: %d, trend %+v", code, hdet.Trend)
	}
	var own struct {
		Hospitals []struct{ Code string } `json:"rows"`
	}
	hosp.do("GET", "/api/hospitals", nil, &own)
	var ownFindings struct {
		Findings []struct{ Hospital string } `json:"rows"`
	}
	hosp.do("GET", "/api/audit/findings", nil, &ownFindings)
	if len(own.Hospitals) != 1 || own.Hospitals[0].Code != f.hospital {
		t.Errorf("hospital list for a hospital user: %+v", own)
	}
	for _, x := range ownFindings.Findings {
		if x.Hospital != f.hospital {
			t.Fatalf("hospital user sees a finding of %s", x.Hospital)
		}
	}
	// State changes need the CSRF token; only hospitals file, only the bureau decides.
	var link struct {
		Adjustments []struct {
			Run      int64
			Hospital string
		} `json:"rows"`
	}
	hosp.do("GET", "/api/linkage", nil, &link)
	target := fmt.Sprintf("adjustment:%d:%s", link.Adjustments[0].Run, f.hospital)
	noCSRF := *hosp
	noCSRF.csrf = ""
	if code := noCSRF.do("POST", "/api/appeals", map[string]string{"target": target, "reason": "x"}, nil); code != 403 {
		t.Errorf("appeal without CSRF: %d", code)
	}
	if code := admin.do("POST", "/api/appeals", map[string]string{"target": target, "reason": "x"}, nil); code != 403 {
		t.Errorf("bureau filing an appeal: %d", code)
	}
	if code := hosp.do("POST", "/api/appeals", map[string]string{"target": fmt.Sprintf("adjustment:%d:%s", link.Adjustments[0].Run, other), "reason": "x"}, nil); code != 404 {
		t.Errorf("appeal against another hospital's adjustment: %d", code)
	}
	// The browser test appeals the adjustment; this one appeals one of the hospital's
	// findings, so that neither depends on the other's order (an appeal is refiled only
	// after a rejection).
	var ownF struct {
		Findings []struct {
			ID int64 `json:"id"`
		} `json:"rows"`
	}
	hosp.do("GET", "/api/audit/findings", nil, &ownF)
	if len(ownF.Findings) == 0 {
		t.Fatal("the fixture hospital has no findings to appeal")
	}
	var filed struct{ ID int64 }
	if code := hosp.do("POST", "/api/appeals", map[string]string{"target": fmt.Sprintf("finding:%d", ownF.Findings[len(ownF.Findings)-1].ID), "reason": "该项目有医嘱"}, &filed); code != 201 {
		t.Fatalf("file appeal: %d", code)
	}
	if code := hosp.do("POST", fmt.Sprintf("/api/appeals/%d/decision", filed.ID), map[string]any{"uphold": true, "why": "x"}, nil); code != 404 {
		t.Errorf("hospital deciding: %d", code)
	}
	var dec struct{ State string }
	if code := analyst.do("POST", fmt.Sprintf("/api/appeals/%d/decision", filed.ID), map[string]any{"uphold": true, "why": "复核属实"}, &dec); code != 200 || dec.State != "upheld" {
		t.Errorf("decision: %d %+v", code, dec)
	}
	if admin.do("POST", "/api/logout", nil, nil) != 200 || admin.do("GET", "/api/me", nil, nil) != 401 {
		t.Error("logout did not end the session")
	}
	// Login rate limiting: five failures, then 429 even with the right password.
	for i := 0; i < 5; i++ {
		anon.do("POST", "/api/login", map[string]string{"username": "analyst", "password": "wrong-" + fmt.Sprint(i)}, nil)
	}
	if code := anon.do("POST", "/api/login", map[string]string{"username": "analyst", "password": f.passwords["analyst"]}, nil); code != 429 {
		t.Errorf("after 5 failures: %d, want 429", code)
	}
	// The served OpenAPI document is the one kept in docs/.
	resp, _ := hs.Client().Get(hs.URL + "/api/openapi.json")
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	kept, _ := os.ReadFile(filepath.Join("..", "..", "docs", "openapi.json"))
	if !bytes.Equal(served, kept) || !json.Valid(served) {
		t.Error("docs/openapi.json differs from the served document")
	}
	st, _ := sqlite.Open(f.db)
	defer st.Close()
	var logged int
	st.DB().QueryRow(`SELECT count(*) FROM audit_log WHERE action IN ('login', 'appeal.file', 'appeal.decide', 'logout')`).Scan(&logged)
	if logged < 5 {
		t.Errorf("state-changing actions logged: %d", logged)
	}
}
