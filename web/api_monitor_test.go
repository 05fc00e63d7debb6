package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/forecast"
	"github.com/yibao-dev/yibao/monitor"
	"github.com/yibao-dev/yibao/store/sqlite"
)

type client struct {
	t    *testing.T
	c    *http.Client
	base string
	csrf string
}

func login(t *testing.T, srv *httptest.Server, user, pw string) *client {
	jar, _ := cookiejar.New(nil)
	c := *srv.Client() // a copy: each user has its own cookie jar
	c.Jar = jar
	cl := &client{t: t, c: &c, base: srv.URL}
	var out struct{ CSRF string }
	if code := cl.do("POST", "/api/login", map[string]string{"username": user, "password": pw}, &out); code != 200 {
		t.Fatalf("login %s: %d", user, code)
	}
	cl.csrf = out.CSRF
	return cl
}

func (cl *client) do(method, path string, body any, out any) int {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, cl.base+path, rd)
	if cl.csrf != "" {
		req.Header.Set("X-CSRF-Token", cl.csrf)
	}
	resp, err := cl.c.Do(req)
	if err != nil {
		cl.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(b, out); err != nil {
			cl.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// TestMonitorAPI: the fund books are the bureau's; the alert inbox shows a hospital its own
// alerts only; a hospital cannot change another's alert; states move new → acknowledged →
// resolved and not back.
func TestMonitorAPI(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, u := range []sqlite.User{{Username: "ana", Role: RoleAnalyst}, {Username: "h1", Role: RoleHospital, Hospital: "H1"}} {
		u.PasswordHash, _ = HashPassword("Quiet-Harbour-"+u.Username+"-7319", "")
		if err := st.AddUser(ctx, u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	open := yibao.Fen(100000000)
	var ledger []monitor.LedgerRow
	for i := 0; i < 24; i++ {
		r := monitor.LedgerRow{Period: forecast.Month{Year: 2024, Month: 1}.Add(i), InsuType: monitor.Employee, Income: 5000000}
		if i == 0 {
			r.OpeningBalance = &open
		}
		ledger = append(ledger, r)
	}
	if err := st.PutLedger(ctx, ledger, "test"); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := st.SaveAlerts(ctx, []monitor.Alert{
		{Key: "audit-surge|H1|2025-12", Rule: "audit-surge", Severity: "yellow", Scope: "hospital", Subject: "H1", Hospital: "H1", Period: "2025-12", MessageZh: "<b>x</b>"},
		{Key: "audit-surge|H2|2025-12", Rule: "audit-surge", Severity: "yellow", Scope: "hospital", Subject: "H2", Hospital: "H2", Period: "2025-12"},
		{Key: "reserve-red|310|2025-12", Rule: "reserve-red", Severity: "red", Scope: "fund", Subject: "310", Period: "2025-12"},
	}, now); err != nil {
		t.Fatal(err)
	}
	s := New(Config{Store: st, Pseudonymise: func(s string) string { return s }, Cockpit: st, Scheme: "x", Log: log.New(io.Discard, "", 0)})
	srv := httptest.NewTLSServer(s.Handler())
	defer srv.Close()

	ana, h1 := login(t, srv, "ana", "Quiet-Harbour-ana-7319"), login(t, srv, "h1", "Quiet-Harbour-h1-7319")
	var books struct {
		Books []map[string]any `json:"books"`
	}
	if code := ana.do("GET", "/api/fund/books?insutype=310", nil, &books); code != 200 || len(books.Books) != 24 {
		t.Fatalf("books: %d %d", code, len(books.Books))
	}
	// No settlements: expenditure 0, so the months of reserve cannot be computed (null).
	if books.Books[0]["months_of_reserve"] != nil || books.Books[23]["closing_fen"].(float64) != 100000000+24*5000000 {
		t.Errorf("book %v", books.Books[23])
	}
	if code := h1.do("GET", "/api/fund/books", nil, nil); code != http.StatusForbidden {
		t.Errorf("hospital reads the fund's books: %d", code)
	}
	if code := ana.do("GET", "/api/fund/books?insutype=999", nil, nil); code != http.StatusBadRequest {
		t.Errorf("bad insutype: %d", code)
	}
	var inbox struct{ Alerts []monitor.Alert }
	ana.do("GET", "/api/alerts", nil, &inbox)
	if len(inbox.Alerts) != 3 {
		t.Errorf("bureau inbox %d", len(inbox.Alerts))
	}
	h1.do("GET", "/api/alerts", nil, &inbox)
	if len(inbox.Alerts) != 1 || inbox.Alerts[0].Hospital != "H1" || inbox.Alerts[0].MessageZh != "<b>x</b>" {
		t.Errorf("hospital inbox %+v", inbox.Alerts)
	}
	if code := h1.do("POST", "/api/alerts/state", map[string]string{"key": "audit-surge|H2|2025-12", "state": "acknowledged"}, nil); code != http.StatusNotFound {
		t.Errorf("hospital changed another's alert: %d", code)
	}
	if code := h1.do("POST", "/api/alerts/state", map[string]string{"key": "audit-surge|H1|2025-12", "state": "acknowledged", "note": "checking"}, nil); code != 200 {
		t.Errorf("ack: %d", code)
	}
	if code := ana.do("POST", "/api/alerts/state", map[string]string{"key": "audit-surge|H1|2025-12", "state": "resolved", "note": "fixed"}, nil); code != 200 {
		t.Errorf("resolve: %d", code)
	}
	if code := ana.do("POST", "/api/alerts/state", map[string]string{"key": "audit-surge|H1|2025-12", "state": "acknowledged"}, nil); code != http.StatusConflict {
		t.Errorf("resolved → acknowledged: %d", code)
	}
	ana.do("GET", "/api/alerts?state=resolved", nil, &inbox)
	if len(inbox.Alerts) != 1 || len(inbox.Alerts[0].History) != 2 || inbox.Alerts[0].History[0].By != "h1" || inbox.Alerts[0].History[1].Note != "fixed" {
		t.Errorf("history %+v", inbox.Alerts)
	}
	// Forecast: a hospital may only ask for its own series.
	if code := h1.do("GET", "/api/forecast?by=hospital&key=H2", nil, nil); code != http.StatusNotFound {
		t.Errorf("hospital forecast of another: %d", code)
	}
	if code := ana.do("GET", "/api/forecast?horizon=99", nil, nil); code != http.StatusBadRequest {
		t.Errorf("horizon 99: %d", code)
	}
	var fc map[string]any
	if code := ana.do("GET", "/api/forecast", nil, &fc); code != 200 || fc["found"] != false {
		t.Errorf("forecast without settlements: %d %v", code, fc)
	}
	// Without the CSRF header a state change is refused.
	ana.csrf = ""
	if code := ana.do("POST", "/api/alerts/state", map[string]string{"key": "reserve-red|310|2025-12", "state": "acknowledged"}, nil); code == 200 {
		t.Error("state change without CSRF token")
	}
}

// TestMonitorOpenAPI: both copies of the OpenAPI document are equal and describe every
// monitoring endpoint.
func TestMonitorOpenAPI(t *testing.T) {
	served, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	kept, err := os.ReadFile(filepath.Join("..", "docs", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(served, kept) {
		t.Fatal("web/openapi.json and docs/openapi.json differ")
	}
	var doc struct{ Paths map[string]map[string]any }
	if err := json.Unmarshal(served, &doc); err != nil {
		t.Fatal(err)
	}
	for _, route := range []string{"GET /api/fund/books", "GET /api/fund/projection", "GET /api/forecast", "GET /api/alerts", "GET /api/alerts/rules", "POST /api/alerts/state"} {
		method, path, _ := strings.Cut(route, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("%s missing from openapi.json", route)
		}
	}
}
