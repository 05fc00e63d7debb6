package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// TestCockpitFurtherPagesInBrowser opens the value, fund, alert, evaluation, technology,
// DIP, ledger and users pages as the bureau and as a hospital user, checks a figure on each
// against the API, acts (acknowledge an alert with a note, run an evaluation, create a user
// and read the server's error in words), and checks that hostile strings written into the
// store for each page are shown as text and never run.
func TestCockpitFurtherPagesInBrowser(t *testing.T) {
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
	// Hostile names for every hospital (shown on every new page), alert messages, care-gap
	// texts and a user name.
	exec(`UPDATE hospitals SET name = ? || name`, xssScript+xssImg)
	exec(`UPDATE alerts SET message_zh = ? || message_zh, message_en = ? || message_en`, xssSVG, xssSVG)
	exec(`UPDATE value_gaps SET team = ?, value = ? WHERE rowid IN (SELECT rowid FROM value_gaps ORDER BY rowid LIMIT 40)`, xssScript, xssImg)
	exec(`INSERT INTO users (username, password_hash, role, hospital, created_at) VALUES (?, 'x', 'analyst', '', 0)`, "u"+xssImg)
	st.Close()

	hs := cockpitServer(t, f, false)
	api := login(t, hs, "admin", f.passwords["admin"])
	hosp := login(t, hs, "hospital1", f.passwords["hospital1"])
	// An appeal, for the appeal's ledger panel.
	var appealable gridAnswer
	hosp.do("GET", "/api/audit/findings?appealable=1&limit=1", nil, &appealable)
	if len(appealable.Rows) == 0 {
		t.Fatal("no appealable finding in the demo region")
	}
	if code := hosp.do("POST", "/api/appeals", map[string]string{"target": fmt.Sprintf("finding:%d", appealable.Rows[0].ID), "reason": "适应症见病程记录"}, nil); code != 201 && code != 200 {
		t.Fatalf("file appeal: %d", code)
	}
	b := newBrowser(t, hs.URL)
	check := func(where string) {
		t.Helper()
		if v := b.eval(`String(window.__xss || "")`); v != "" {
			t.Fatalf("%s: script from data ran (%s)", where, v)
		}
		if n := b.eval(`String(document.querySelectorAll("#app img, #app script, #app svg, #app iframe, #app [onerror], #app [onload], #app a[href^='javascript']").length)`); n != "0" {
			t.Fatalf("%s: %s elements from data in the page", where, n)
		}
		if msg := b.eval(`(document.querySelector("#app p.error") || {}).textContent || ""`); msg != "" {
			t.Fatalf("%s shows an error: %s", where, msg)
		}
		b.noCSPViolations(where)
	}
	timings := map[string]time.Duration{}
	open := func(hash, page, shot string) {
		t.Helper()
		start := time.Now()
		b.open(hash, page)
		timings[shot] = time.Since(start)
		b.must(chromedp.Sleep(300 * time.Millisecond)) // grids and panels load after the page
		check(hash)
		b.shot(shot)
	}

	b.login("admin", f.passwords["admin"])
	for _, sel := range []string{`nav a[href="#/fund"]`, `nav a[href="#/users"]`, `nav a[href="#/value"]`, `nav a[href="#/evaluation"]`} {
		if b.eval(fmt.Sprintf(`String(document.querySelector(%q).hidden)`, sel)) != "false" {
			t.Fatalf("admin: %s hidden", sel)
		}
	}

	// 价值医疗: the total paid equals the API's; the care gaps' count too; hostile texts shown as text.
	var val struct {
		Institutions []struct {
			Institution string `json:"institution"`
			TotalFen    int64  `json:"total_fen"`
		} `json:"institutions"`
	}
	api.do("GET", "/api/value", nil, &val)
	var total int64
	for _, x := range val.Institutions {
		total += x.TotalFen
	}
	open("#/value", "value", "value-admin")
	if got := strings.ReplaceAll(b.eval(`document.getElementById("v-total").title`), ",", ""); got != fmt.Sprintf("%.2f 元", float64(total)/100) || len(val.Institutions) == 0 {
		t.Fatalf("value total on screen %q, API %d fen over %d institutions", got, total, len(val.Institutions))
	}
	if !strings.Contains(b.eval(`document.getElementById("v-inst").textContent`), xssScript+xssImg) {
		t.Fatal("hostile institution name not shown as text on the value page")
	}
	var gaps gridAnswer
	api.do("GET", "/api/value/gaps/table?limit=1", nil, &gaps)
	b.must(chromedp.WaitVisible(`#gaps[aria-busy="false"]`))
	if info := b.eval(`document.getElementById("gaps-info").textContent`); gaps.Total == 0 || !strings.Contains(info, "共 "+groupInt(gaps.Total)+" 条") {
		t.Fatalf("care gaps on screen %q, API %d", info, gaps.Total)
	}
	if !strings.Contains(b.eval(`document.getElementById("gaps").textContent`), xssImg) {
		t.Fatal("hostile care-gap value not shown as text")
	}
	// The English toggle.
	b.must(chromedp.Click("#lang"), chromedp.WaitVisible(`#app[data-page="value"]`))
	// The page re-renders in English after the click: wait for it (a bound on waiting).
	var h2 string
	eventually(15*time.Second, func() bool {
		h2 = b.eval(`(document.querySelector("#app h2") || {}).textContent || ""`)
		return strings.HasPrefix(h2, "Value-based care")
	})
	if !strings.HasPrefix(h2, "Value-based care") {
		t.Fatalf("English value page: %q", h2)
	}
	b.shot("value-en")
	b.must(chromedp.Click("#lang"), chromedp.WaitVisible(`#app[data-page="value"]`))
	code, body, _ := api.raw("/api/value/gaps/table?format=csv")
	if code != 200 || strings.Count(string(body), "\n") < gaps.Total || !strings.Contains(string(body), "照护缺口") {
		t.Fatalf("care gaps CSV: %d, %d lines for %d gaps", code, strings.Count(string(body), "\n"), gaps.Total)
	}

	// 基金监测: months of reserve as the API's latest month of all funds.
	var books struct {
		Books []struct {
			InsuType string   `json:"insutype"`
			Reserve  *float64 `json:"months_of_reserve"`
		} `json:"books"`
	}
	api.do("GET", "/api/fund/books", nil, &books)
	var reserve *float64
	for _, x := range books.Books {
		if x.InsuType == "all" {
			reserve = x.Reserve
		}
	}
	open("#/fund", "fund", "fund-admin")
	if got := b.eval(`document.getElementById("f-reserve").textContent`); reserve == nil || !strings.HasPrefix(got, fmt.Sprintf("%.1f 个月", *reserve)) {
		t.Fatalf("months of reserve on screen %q, API %v", got, reserve)
	}
	if b.eval(`String(!!echarts.getInstanceByDom(document.getElementById("c-fan")))`) != "true" || !strings.Contains(b.eval(`document.getElementById("f-backtest").textContent`), "MASE") {
		t.Fatal("forecast fan chart or its backtest error missing")
	}
	// The alert inbox: acknowledge the first alert with a note; the API records it.
	b.must(chromedp.WaitVisible(`#alerts-table [data-ack]`))
	key := b.eval(`document.querySelector("#alerts-table [data-ack]").dataset.ack`)
	if !strings.Contains(b.eval(`document.getElementById("alerts-table").textContent`), xssSVG) {
		t.Fatal("hostile alert message not shown as text")
	}
	b.must(chromedp.Click(`#alerts-table [data-ack]`), chromedp.WaitVisible("#dlg-why"), chromedp.SendKeys("#dlg-why", "已通知基金科核查"), chromedp.Click("#dlg-ok"),
		chromedp.WaitVisible(fmt.Sprintf(`#alerts-table tr[data-key=%q].alert-acknowledged`, key)))
	var inbox struct {
		Alerts []struct {
			Key, State string
			History    []struct{ State, By, Note string }
		} `json:"alerts"`
	}
	api.do("GET", "/api/alerts?state=acknowledged", nil, &inbox)
	if len(inbox.Alerts) != 1 || inbox.Alerts[0].Key != key || len(inbox.Alerts[0].History) == 0 || inbox.Alerts[0].History[len(inbox.Alerts[0].History)-1].Note != "已通知基金科核查" {
		t.Fatalf("acknowledged alert: %+v", inbox.Alerts)
	}
	check("alert acknowledged")
	open("#/alerts", "alerts", "alerts-admin")
	// The overview lists the monitor's new alerts, linking to the inbox.
	open("#/overview", "overview", "overview-monitor-alerts")
	if txt := b.eval(`(document.getElementById("monitor-alerts") || {}).textContent || ""`); !strings.Contains(txt, "预警收件箱") || !strings.Contains(txt, xssSVG) {
		t.Fatalf("overview's monitor alerts: %q", txt)
	}

	// 绩效评价: run 2025; the composite on screen equals the API's run of the same period,
	// and it is the sum of its indicators' contributions (score × weight).
	open("#/evaluation?period=2025", "evaluation", "evaluation-admin")
	b.must(chromedp.Click("#eval-run"), chromedp.WaitVisible("#eval-score"))
	var run struct {
		Results []struct {
			Hospital   string
			Score      float64
			Indicators []struct {
				Contribution float64
			}
		} `json:"results"`
	}
	api.do("POST", "/api/evaluate/runs", map[string]string{"period": "2025"}, &run)
	if len(run.Results) == 0 {
		t.Fatal("no evaluation results")
	}
	if got := b.eval(`document.getElementById("eval-score").textContent`); got != fmt.Sprintf("%.2f", run.Results[0].Score) {
		t.Fatalf("composite on screen %s, API %.2f", got, run.Results[0].Score)
	}
	if n := b.eval(`String(document.querySelectorAll("#eval-ind tbody tr").length)`); n != fmt.Sprint(len(run.Results[0].Indicators)) {
		t.Fatalf("decomposition rows %s, API %d", n, len(run.Results[0].Indicators))
	}
	// No-data indicators are grey and say so, never scored best or worst.
	if g := b.eval(`[...document.querySelectorAll("#eval-ind tr.grey")].map(r => r.querySelector(".dot") ? "dot" : r.querySelector(".nodata") ? "ok" : "?").join()`); strings.Contains(g, "dot") || strings.Contains(g, "?") {
		t.Fatalf("no-data indicators drawn as %q", g)
	}
	b.shot("evaluation-run")
	// Drill: the facts, then the cases behind one indicator, to a settlement.
	b.must(chromedp.Click("#eval-show-facts"), chromedp.WaitVisible("#facts-values"), chromedp.Click(`#facts-values a[data-indicator="readmission_31"]`),
		chromedp.WaitVisible("#facts-cases"), chromedp.Click(`#facts-cases tbody tr:first-child a`), chromedp.WaitVisible(`#app[data-page="settlement"]`))
	// The settlement's ledger panel: history, the inclusion proof verified, the lineage.
	b.must(chromedp.WaitVisible("#ledger-verified"))
	if v := b.eval(`document.getElementById("ledger-verified").dataset.verified`); v != "1" {
		t.Fatalf("settlement inclusion proof not verified: %s", b.eval(`document.getElementById("ledger-verified").textContent`))
	}
	if n := b.eval(`String(document.querySelectorAll("#ledger-lineage tbody tr").length)`); n == "0" {
		t.Fatal("no lineage")
	}
	check("settlement ledger")
	b.shot("settlement-ledger")
	open("#/audit?id=1", "audit", "finding-ledger")
	b.must(chromedp.WaitVisible("#ledger-history"))
	open("#/technology", "technology", "technology-admin")
	if n := b.eval(`String(document.querySelectorAll("#tech tbody tr").length)`); n == "0" {
		t.Fatal("no technology rows")
	}

	// DIP beside DRG: the point value as the API's.
	var dip struct {
		PointValue string `json:"point_value"`
	}
	api.do("GET", "/api/dip", nil, &dip)
	open("#/drgs", "drgs", "drgs-dip-admin")
	b.must(chromedp.WaitVisible("#dip-point"))
	if got := b.eval(`document.getElementById("dip-point").textContent`); got != dip.PointValue || got == "" {
		t.Fatalf("DIP point value on screen %q, API %q", got, dip.PointValue)
	}
	check("DIP panel")

	// Users: the list as the API's, the hostile user name as text; an error in words; a
	// user created with a generated password shown once.
	var users struct{ Users []struct{ Username string } }
	api.do("GET", "/api/users", nil, &users)
	open("#/users", "users", "users-admin")
	if n := b.eval(`String(document.querySelectorAll("#users tbody tr").length)`); n != fmt.Sprint(len(users.Users)) {
		t.Fatalf("users on screen %s, API %d", n, len(users.Users))
	}
	if !strings.Contains(b.eval(`document.getElementById("users").textContent`), "u"+xssImg) {
		t.Fatal("hostile user name not shown as text")
	}
	b.must(chromedp.SendKeys("#nu-name", "analyst"), chromedp.Click("#user-form button"), chromedp.WaitVisible("#users-msg.error"))
	if msg := b.eval(`document.getElementById("users-msg").textContent`); msg != "用户名已存在" {
		t.Fatalf("duplicate user: %q", msg)
	}
	b.must(chromedp.SetValue("#nu-name", "analyst2"), chromedp.Click("#user-form button"), chromedp.WaitVisible(`#users tr[data-key="analyst2"]`))
	if msg := b.eval(`document.getElementById("users-msg").textContent`); !strings.HasPrefix(msg, "新密码（只显示一次）：") || len(msg) < 20 {
		t.Fatalf("generated password: %q", msg)
	}
	b.must(chromedp.Click(`#users [data-disable="admin"]`), chromedp.WaitVisible("#users-msg.error"))
	if msg := b.eval(`document.getElementById("users-msg").textContent`); !strings.Contains(msg, "不能停用") {
		t.Fatalf("disabling oneself: %q", msg)
	}
	check("users")
	// An appeal's ledger panel from its row.
	open("#/linkage", "linkage", "linkage-ledger")
	b.must(chromedp.WaitVisible(`#appeals [data-ledger]`), chromedp.Click(`#appeals [data-ledger]`), chromedp.WaitVisible(`#ledger-history`))
	check("appeal ledger")
	b.shot("appeal-ledger")
	b.logout()

	// A hospital user: its own data only; the fund and users pages are not offered.
	b.login("hospital1", f.passwords["hospital1"])
	for _, sel := range []string{`nav a[href="#/fund"]`, `nav a[href="#/users"]`} {
		if b.eval(fmt.Sprintf(`String(document.querySelector(%q).hidden)`, sel)) != "true" {
			t.Fatalf("hospital user offered %s", sel)
		}
	}
	open("#/value", "value", "value-hospital")
	var own struct {
		Institutions []struct{ Institution string } `json:"institutions"`
	}
	hosp.do("GET", "/api/value", nil, &own)
	if n := b.eval(`String(document.querySelectorAll("#v-inst tbody tr").length)`); n != fmt.Sprint(len(own.Institutions)) {
		t.Fatalf("hospital value rows %s, API %d", n, len(own.Institutions))
	}
	open("#/alerts", "alerts", "alerts-hospital")
	open("#/evaluation?period=2025", "evaluation", "evaluation-hospital")
	if b.eval(`String(!!document.getElementById("eval-run"))`) != "false" {
		t.Fatal("hospital user offered to run an evaluation")
	}
	// Its own composite decomposed, as the API's stored evaluation.
	var own2 struct {
		Evaluation struct{ Score float64 } `json:"evaluation"`
	}
	hosp.do("GET", "/api/hospitals/"+f.hospital, nil, &own2)
	if got := b.eval(`(document.getElementById("eval-score") || {}).textContent || ""`); got != fmt.Sprintf("%.2f", own2.Evaluation.Score) {
		t.Fatalf("hospital's composite on screen %q, API %.2f", got, own2.Evaluation.Score)
	}
	b.shot("evaluation-hospital-own")
	b.must(chromedp.Click("#eval-facts-own"), chromedp.WaitVisible("#facts-values"))
	check("hospital facts")
	open("#/technology", "technology", "technology-hospital")
	open("#/drgs", "drgs", "drgs-dip-hospital")
	if n := b.eval(`String(document.querySelectorAll("#dip-hosp tbody tr").length)`); n != "1" {
		t.Fatalf("hospital user sees %s DIP lines", n)
	}
	b.logout()

	// A primary-care institution's user: its own value settlement and care gaps only.
	inst := val.Institutions[0].Institution
	var created struct{ Password string }
	if code := api.do("POST", "/api/users", map[string]string{"username": "clinic1", "role": "hospital", "hospital": inst}, &created); code != 201 || created.Password == "" {
		t.Fatalf("create clinic1: %d", code)
	}
	b.login("clinic1", created.Password)
	open("#/value", "value", "value-institution")
	if keys := b.eval(`[...document.querySelectorAll("#v-inst tbody tr")].map(r => r.dataset.key).join()`); keys != inst {
		t.Fatalf("institution user sees value rows %q, want %q", keys, inst)
	}
	clinic := login(t, hs, "clinic1", created.Password)
	var ownGaps struct {
		Total int
		Rows  []struct {
			Institution string `json:"institution"`
			SetlID      string `json:"setl_id"`
			Team        string `json:"team"`
		}
	}
	clinic.do("GET", "/api/value/gaps/table?limit=1000", nil, &ownGaps)
	b.must(chromedp.WaitVisible(`#gaps[aria-busy="false"]`))
	if info := b.eval(`document.getElementById("gaps-info").textContent`); ownGaps.Total == 0 || ownGaps.Total >= gaps.Total || !strings.Contains(info, "共 "+groupInt(ownGaps.Total)+" 条") {
		t.Fatalf("institution's care gaps on screen %q, API %d of %d", info, ownGaps.Total, gaps.Total)
	}
	for _, r := range ownGaps.Rows {
		if r.Institution != inst || r.SetlID != "" || r.Team == "" {
			t.Fatalf("another institution's gap: %+v", r)
		}
	}
	if code := clinic.do("GET", "/api/value/gaps/table?institution="+val.Institutions[1].Institution, nil, nil); code != 404 {
		t.Fatalf("another institution's gaps: %d", code)
	}
	var ts []string
	for k, v := range timings {
		ts = append(ts, fmt.Sprintf("%s %d ms", k, v.Milliseconds()))
	}
	t.Logf("page timings (navigate to rendered): %s", strings.Join(ts, ", "))
}
