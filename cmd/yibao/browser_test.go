package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// screenshotDir keeps the browser test's screenshots as artefacts (gitignored).
var screenshotDir = filepath.Join("testdata", "screenshots")

func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium is not installed: `make test` installs the Debian package chromium")
	return ""
}

type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newBrowser(t *testing.T, base string, extra ...chromedp.ExecAllocatorOption) *browser {
	if testing.Short() {
		// make test runs the suite twice; the browser tests run in the full pass. The -short
		// pass is the race detector's, which the API tests exercise on the same handlers.
		t.Skip("browser tests run in the full pass, not under -short")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.WindowSize(1300, 950))
	opts = append(opts, extra...)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// The first action starts the browser and must run without a timeout of its own.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, base: base}
}

func (b *browser) must(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failure")
		b.t.Fatal(err)
	}
}

func (b *browser) eval(js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// open navigates to a cockpit page and waits until it has rendered.
func (b *browser) open(hash, page string) {
	b.t.Helper()
	b.must(chromedp.Navigate(b.base+"/"+hash), chromedp.WaitVisible(fmt.Sprintf(`#app[data-page="%s"]`, page)))
}

// noCSPViolations: the page broke none of its Content-Security-Policy (no inline script or
// style, nothing from elsewhere), counted by app.js since the page loaded.
func (b *browser) noCSPViolations(where string) {
	b.t.Helper()
	b.must(chromedp.Sleep(200 * time.Millisecond)) // charts draw after the data arrives
	if v := b.eval(`(window.__cspViolations || ["app.js not loaded"]).join("; ")`); v != "" {
		b.t.Fatalf("%s: Content-Security-Policy violations: %s", where, v)
	}
}

// jsClick clicks in the page itself: for controls that re-render the page they sit on.
func (b *browser) jsClick(sel string) {
	b.t.Helper()
	b.eval(fmt.Sprintf(`(document.querySelector(%q).click(), "")`, sel))
}

func (b *browser) shot(name string) {
	os.MkdirAll(screenshotDir, 0o755)
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(screenshotDir, name+".png"), buf, 0o644) // quality 100: PNG, viewable anywhere
	}
}

func (b *browser) login(user, pw string) {
	b.t.Helper()
	b.must(chromedp.Navigate(b.base+"/"), chromedp.WaitVisible("#login"), chromedp.SendKeys("#u", user), chromedp.SendKeys("#p", pw),
		chromedp.Click("#login button"), chromedp.WaitVisible("#nav"))
}

func (b *browser) logout() {
	b.must(chromedp.Click("#logout"), chromedp.WaitVisible("#login"))
}

// visitAll opens every page a role may open and checks that none shows an error.
func (b *browser) visitAll(user, hospital string, bureau bool) {
	b.t.Helper()
	pages := [][2]string{{"#/overview", "overview"}, {"#/hospitals", "hospitals"}, {"#/hospital/" + hospital, "hospital"},
		{"#/drgs", "drgs"}, {"#/audit", "audit"}, {"#/linkage", "linkage"}}
	if bureau {
		pages = append(pages, [2]string{"#/simulation", "simulation"})
	}
	for _, p := range pages {
		b.open(p[0], p[1])
		if msg := b.eval(`(document.querySelector("#app .error") || {}).textContent || ""`); msg != "" {
			b.t.Fatalf("%s: %s shows an error: %s", user, p[0], msg)
		}
		b.noCSPViolations(user + " " + p[0])
		b.shot(p[1] + "-" + user)
	}
}

// TestCockpitInBrowser drives headless Chromium: every role logs in, every page opens,
// key figures on screen equal the API's, a chart click drills down to a settlement, and an
// appeal is filed by a hospital and decided by the bureau.
func TestCockpitInBrowser(t *testing.T) {
	f := copyFixture(t, demoFixture(t)) // it files and decides appeals: keep the shared store as the demo left it
	hs := cockpitServer(t, f, false)
	api := login(t, hs, "analyst", f.passwords["analyst"])
	var ov struct {
		Totals struct {
			TotalFen int64 `json:"total_fen"`
		} `json:"totals"`
		Period struct{ From, To string } `json:"period"`
	}
	api.do("GET", "/api/overview", nil, &ov)
	b := newBrowser(t, hs.URL)

	// Login that says what happened: a wrong password keeps the user name and says so.
	b.must(chromedp.Navigate(b.base+"/"), chromedp.WaitVisible("#login"), chromedp.SendKeys("#u", "admin"), chromedp.SendKeys("#p", "not-the-password"),
		chromedp.Click("#login button"), chromedp.WaitVisible("#login-msg[data-code]"))
	if msg, user := b.eval(`document.getElementById("login-msg").textContent`), b.eval(`document.getElementById("u").value`); msg == "" || user != "admin" {
		t.Fatalf("wrong password: message %q, user name %q", msg, user)
	}
	b.shot("login-wrong")

	// Bureau administrator: every page; the overview's total equals the API's, in 万元 on
	// the card and to the fen in its title, with the period shown.
	b.login("admin", f.passwords["admin"])
	b.open("#/overview", "overview")
	wan := b.eval(`document.getElementById("k-total").textContent`)
	full := strings.ReplaceAll(b.eval(`document.getElementById("k-total").title`), ",", "")
	if want := fmt.Sprintf("%.2f 元", float64(ov.Totals.TotalFen)/100); full != want || !strings.Contains(wan, "万元") && !strings.Contains(wan, "亿元") {
		t.Fatalf("overview total on screen %q (%q), API %s", wan, full, want)
	}
	if p := b.eval(`document.getElementById("k-period").textContent`); !strings.Contains(p, ov.Period.From) || !strings.Contains(p, ov.Period.To) {
		t.Fatalf("period on screen %q, API %+v", p, ov.Period)
	}
	if b.eval(`String(!!echarts.getInstanceByDom(document.getElementById("c-spend")))`) != "true" {
		t.Fatal("spending chart not rendered")
	}
	b.shot("overview-admin")
	b.visitAll("admin", f.hospital, true)
	// The hospital page's score is the API's.
	var hd struct {
		Evaluation struct{ Score float64 } `json:"evaluation"`
	}
	api.do("GET", "/api/hospitals/"+f.hospital, nil, &hd)
	b.open("#/hospital/"+f.hospital, "hospital")
	if got, want := b.eval(`document.getElementById("h-score").textContent`), fmt.Sprintf("%.2f", hd.Evaluation.Score); got != want {
		t.Fatalf("hospital score on screen %s, API %s", got, want)
	}
	// English toggle.
	b.must(chromedp.Click("#lang"), chromedp.WaitVisible(`#app[data-page="hospital"]`))
	var nav string
	eventually(15*time.Second, func() bool {
		nav = b.eval(`(document.querySelector('nav a[href="#/overview"]') || {}).textContent || ""`)
		return nav == "Overview"
	})
	if nav != "Overview" {
		t.Fatalf("English toggle: %q", nav)
	}
	b.must(chromedp.Click("#lang"))

	// Drill down: click the first bar of the DRG chart, then the first case, to a settlement.
	b.open("#/drgs", "drgs")
	xy := b.eval(`(() => { const c = echarts.getInstanceByDom(document.getElementById("c-drg"));
		const r = document.getElementById("c-drg").getBoundingClientRect();
		const d0 = c.getOption().series[0].data[0]; const v = d0.value ?? d0; const p = c.convertToPixel({seriesIndex: 0}, [0, v / 2]);
		return (r.left + p[0]) + "," + (r.top + p[1]); })()`)
	var x, y float64
	fmt.Sscanf(xy, "%f,%f", &x, &y)
	// Click the bar with the mouse.
	b.must(chromedp.MouseClickXY(x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	b.must(chromedp.WaitVisible(`#app[data-page="drg"]`))
	b.must(chromedp.WaitVisible(`#drgcases[aria-busy="false"]`), chromedp.Click(`#drgcases tbody tr:first-child td.c-setl_id a`), chromedp.WaitVisible(`#app[data-page="settlement"]`), chromedp.WaitVisible("#s-id"))
	setl := b.eval(`document.getElementById("s-id").textContent`)
	var detail struct {
		Settlement struct{ ID string } `json:"settlement"`
	}
	if code := api.do("GET", "/api/settlements/"+setl, nil, &detail); code != 200 || detail.Settlement.ID != setl {
		t.Fatalf("drilled to %q, API says %d %+v", setl, code, detail)
	}
	b.shot("settlement")
	// From the audit page to a settlement whose violating line is highlighted.
	b.open("#/audit?category=duplicate_charge", "audit")
	b.must(chromedp.WaitVisible(`#findings[aria-busy="false"]`), chromedp.Click(`#findings tbody tr:first-child td.c-setl_id a`), chromedp.WaitVisible(`#app[data-page="settlement"]`), chromedp.WaitVisible(`#slines tr.violating`))
	if n := b.eval(`String(document.querySelectorAll("#slines tr.violating").length)`); n == "0" {
		t.Fatal("no violating line highlighted")
	}
	b.shot("settlement-findings")
	b.logout()

	// Hospital user: its own hospital page; files an appeal.
	b.login("hospital1", f.passwords["hospital1"])
	b.must(chromedp.WaitVisible(`#app[data-page="hospital"]`))
	if name := b.eval(`document.getElementById("h-name").textContent`); !strings.Contains(name, f.hospital) {
		t.Fatalf("hospital user landed on %q", name)
	}
	if b.eval(`String(document.querySelector('nav a[href="#/simulation"]').hidden)`) != "true" {
		t.Fatal("simulation offered to a hospital user")
	}
	b.shot("hospital-own")
	b.visitAll("hospital1", f.hospital, false)
	b.open("#/linkage", "linkage")
	b.must(chromedp.WaitVisible(`#appeals[aria-busy="false"]`), chromedp.SetValue("#appeal-reason", "CMI 数据有误，请复核"), chromedp.Click("#appeal-form button"),
		chromedp.WaitVisible(`#appeals tbody tr[data-id]`))
	if st := b.eval(`document.querySelector("#appeals tbody tr").textContent`); !strings.Contains(st, "已提交") {
		t.Fatalf("appeal row: %q", st)
	}
	b.shot("appeal-filed")
	// A finding appealed from its row, with the explanation.
	b.open("#/audit", "audit")
	b.must(chromedp.WaitVisible(`#findings [data-appeal]`))
	fid := b.eval(`document.querySelector("#findings [data-appeal]").dataset.appeal`)
	b.must(chromedp.Click(`#findings [data-appeal]`), chromedp.WaitVisible("#dlg-why"), chromedp.SendKeys("#dlg-why", "该药品有适应症诊断，见病程记录"),
		chromedp.Click("#dlg-ok"), chromedp.WaitVisible(`#app[data-page="audit"]`), chromedp.WaitVisible(`#findings[aria-busy="false"]`))
	var fd struct {
		Finding struct {
			Appeal string `json:"appeal"`
		} `json:"finding"`
	}
	eventually(30*time.Second, func() bool { api.do("GET", "/api/findings/"+fid, nil, &fd); return fd.Finding.Appeal == "filed" })
	if fd.Finding.Appeal != "filed" {
		t.Fatalf("finding %s after the appeal from its row: %+v", fid, fd)
	}
	b.logout()

	// Analyst: every page, and decides the appeal in the cockpit.
	b.login("analyst", f.passwords["analyst"])
	b.visitAll("analyst", f.hospital, true)
	b.open("#/linkage", "linkage")
	b.must(chromedp.WaitVisible(`#appeal-tabs a[data-state="pending"]`))
	if tab := b.eval(`document.querySelector('#appeal-tabs a[data-state="pending"]').textContent`); !strings.Contains(tab, "(2)") {
		t.Errorf("pending appeals tab: %q", tab)
	}
	if badge := b.eval(`document.getElementById("badge-linkage").textContent`); badge != "2" {
		t.Errorf("pending appeals badge: %q", badge)
	}
	// The decision dialog needs a reason; nothing is decided without one.
	b.must(chromedp.Click(`[data-decide]`), chromedp.WaitVisible("#dlg-why"), chromedp.Click("#dlg-ok"), chromedp.WaitVisible("#dlg-msg"))
	if msg := b.eval(`document.getElementById("dlg-msg").textContent`); msg == "" {
		t.Error("empty reason accepted")
	}
	b.shot("appeal-dialog")
	b.must(chromedp.SendKeys("#dlg-why", "经核实 CMI 计算口径有误"), chromedp.Click("#dlg-ok"), chromedp.WaitNotPresent("#dlg"),
		chromedp.WaitVisible(`#appeals[aria-busy="false"]`))
	var appeals struct {
		Appeals []struct {
			State string   `json:"state"`
			Cells []string `json:"cells"`
		} `json:"rows"`
	}
	// The dialog closes before the decision's POST returns: on a loaded machine, wait for the
	// decision to land (a bound on waiting, not on speed).
	eventually(30*time.Second, func() bool {
		api.do("GET", "/api/appeals", nil, &appeals)
		return len(appeals.Appeals) > 0 && appeals.Appeals[0].State != "filed"
	})
	if len(appeals.Appeals) < 2 || appeals.Appeals[0].State != "upheld" || !strings.Contains(strings.Join(appeals.Appeals[0].Cells, " "), "经核实 CMI 计算口径有误") {
		t.Fatalf("appeal after the analyst's decision: %+v", appeals)
	}
	b.shot("appeal-decided")

	// Findings: a Chinese filter on what is shown, a finding confirmed with a reason, the
	// filter visible and clearable, previous/next pages, export read back.
	b.open("#/audit", "audit")
	b.must(chromedp.WaitVisible(`#findings[aria-busy="false"]`), chromedp.SendKeys(`input[data-filter="findings"]`, "限年龄"),
		chromedp.WaitVisible(`#findings-chips .chip[data-key="q"]`), chromedp.WaitVisible(`#findings[aria-busy="false"]`))
	rows := b.eval(`[...document.querySelectorAll("#findings tbody tr[data-id]")].map(r => r.querySelector(".c-category").textContent).join("|")`)
	if rows == "" || strings.Trim(strings.ReplaceAll(rows, "限年龄", ""), "|") != "" {
		t.Fatalf("filter 限年龄 shows %q", rows)
	}
	b.shot("audit-filter-zh")
	b.jsClick(`#findings-chips .chip[data-key="q"] button`)
	b.must(chromedp.WaitNotPresent(`#findings-chips .chip[data-key="q"]`))
	b.open("#/audit?status=open", "audit")
	b.must(chromedp.WaitVisible(`#findings [data-review="confirm"]`))
	cid := b.eval(`document.querySelector('#findings [data-review="confirm"]').dataset.id`)
	b.must(chromedp.Click(`#findings [data-review="confirm"]`), chromedp.WaitVisible("#dlg-why"), chromedp.SendKeys("#dlg-why", "收费记录核实，确认违规"),
		chromedp.Click("#dlg-ok"), chromedp.WaitNotPresent("#dlg"), chromedp.WaitVisible(`#findings[aria-busy="false"]`))
	var cf struct {
		Finding map[string]any `json:"finding"`
	}
	eventually(30*time.Second, func() bool { api.do("GET", "/api/findings/"+cid, nil, &cf); return cf.Finding["status"] == "confirmed" })
	if cf.Finding["status"] != "confirmed" || cf.Finding["reviewed_by"] != "analyst" || cf.Finding["review_why"] != "收费记录核实，确认违规" {
		t.Fatalf("finding %s after confirming in the browser: %+v", cid, cf.Finding)
	}
	if chip := b.eval(`document.querySelector('#findings-chips .chip[data-key="status"]').textContent`); !strings.Contains(chip, "待复核") {
		t.Errorf("status filter chip: %q", chip)
	}
	b.jsClick(`#findings-chips .chip[data-key="status"] button`)
	b.must(chromedp.WaitVisible(`#app[data-page="audit"]`), chromedp.WaitVisible(`#findings[aria-busy="false"]`), chromedp.WaitNotPresent(`#findings-chips .chip[data-key="status"]`))
	first := b.eval(`document.querySelector("#findings tbody tr[data-id]").dataset.id`)
	b.must(chromedp.Click("#findings-next"), chromedp.WaitVisible(`#findings[aria-busy="false"]`))
	if b.eval(`document.querySelector("#findings tbody tr[data-id]").dataset.id`) == first {
		t.Fatal("next page shows the same rows")
	}
	b.must(chromedp.Click("#findings-prev"), chromedp.WaitVisible(`#findings[aria-busy="false"]`))
	if got := b.eval(`document.querySelector("#findings tbody tr[data-id]").dataset.id`); got != first {
		t.Fatalf("previous page starts at %s, want %s", got, first)
	}
	// The export link is what the page shows: read it back with the session.
	exp := b.eval(`document.querySelector('.grid a[data-export="csv"]').getAttribute("href")`)
	code, body, _ := api.raw(exp)
	var listed struct{ Total int }
	api.do("GET", strings.Replace(exp, "format=csv", "format=json", 1), nil, &listed)
	if code != 200 || listed.Total == 0 || !strings.Contains(string(body), fmt.Sprintf("行数,%d\r\n", listed.Total)) {
		t.Errorf("export %s: %d, listed %d", exp, code, listed.Total)
	}
	// English covers alerts and evidence.
	b.must(chromedp.Click("#lang"), chromedp.WaitVisible(`#app[data-page="audit"]`), chromedp.WaitVisible(`#findings[aria-busy="false"]`))
	evID := b.eval(`document.querySelector("#findings tbody tr[data-id]").dataset.id`)
	ev := b.eval(`document.querySelector("#findings tbody tr[data-id] td.c-evidence").textContent`)
	var evf struct {
		Finding map[string]any `json:"finding"`
	}
	api.do("GET", "/api/findings/"+evID, nil, &evf)
	if ev == "" || ev != evf.Finding["evidence_en"] || ev == evf.Finding["evidence_zh"] {
		t.Errorf("English evidence on screen %q, API %q", ev, evf.Finding["evidence_en"])
	}
	b.open("#/overview", "overview")
	if al := b.eval(`(document.querySelector("#alerts summary") || {}).textContent || ""`); al != "" && strings.ContainsAny(al, "同比上涨") {
		t.Errorf("English alert: %q", al)
	}
	b.shot("overview-en")
	b.must(chromedp.Click("#lang"))
	// Not found: an unknown hospital says so.
	b.open("#/hospital/NO-SUCH", "notfound")
	b.shot("not-found")
}

// eventually retries a read until it sees what an action in the browser should have done:
// the dialog closes before the action's request returns, and on a loaded machine (or under
// the race detector) the request lands later. A bound on waiting, not on speed.
func eventually(timeout time.Duration, ok func() bool) {
	for deadline := time.Now().Add(timeout); !ok() && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
	}
}
