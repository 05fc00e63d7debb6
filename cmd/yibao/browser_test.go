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

func newBrowser(t *testing.T, base string) *browser {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.WindowSize(1300, 950))
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

func (b *browser) shot(name string) {
	os.MkdirAll(screenshotDir, 0o755)
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(80)); err == nil {
		os.WriteFile(filepath.Join(screenshotDir, name+".jpg"), buf, 0o644) // FullScreenshot encodes JPEG
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
		b.shot(p[1] + "-" + user)
	}
}

// TestCockpitInBrowser drives headless Chromium: every role logs in, every page opens,
// key figures on screen equal the API's, a chart click drills down to a settlement, and an
// appeal is filed by a hospital and decided by the bureau.
func TestCockpitInBrowser(t *testing.T) {
	f := demoFixture(t)
	hs := cockpitServer(t, f, false)
	api := login(t, hs, "analyst", f.passwords["analyst"])
	var ov struct {
		Totals struct {
			TotalFen int64 `json:"total_fen"`
		} `json:"totals"`
	}
	api.do("GET", "/api/overview", nil, &ov)
	b := newBrowser(t, hs.URL)

	// Bureau administrator: every page; the overview's total equals the API's.
	b.login("admin", f.passwords["admin"])
	b.open("#/overview", "overview")
	shown := strings.ReplaceAll(b.eval(`document.getElementById("k-total").textContent`), ",", "")
	if want := fmt.Sprintf("%.2f", float64(ov.Totals.TotalFen)/100); shown != want {
		t.Fatalf("overview total on screen %s, API %s", shown, want)
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
	if nav := b.eval(`document.querySelector('nav a[href="#/overview"]').textContent`); nav != "Overview" {
		t.Fatalf("English toggle: %q", nav)
	}
	b.must(chromedp.Click("#lang"))

	// Drill down: click the first bar of the DRG chart, then the first case, to a settlement.
	b.open("#/drgs", "drgs")
	xy := b.eval(`(() => { const c = echarts.getInstanceByDom(document.getElementById("c-drg"));
		const r = document.getElementById("c-drg").getBoundingClientRect();
		const v = c.getOption().series[0].data[0]; const p = c.convertToPixel({seriesIndex: 0}, [0, v / 2]);
		return (r.left + p[0]) + "," + (r.top + p[1]); })()`)
	var x, y float64
	fmt.Sscanf(xy, "%f,%f", &x, &y)
	// Click the bar with the mouse.
	b.must(chromedp.MouseClickXY(x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	b.must(chromedp.WaitVisible(`#app[data-page="drg"]`))
	b.must(chromedp.Click(`#drgcases tbody tr:first-child a`), chromedp.WaitVisible(`#app[data-page="settlement"]`), chromedp.WaitVisible("#s-id"))
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
	b.must(chromedp.Click(`#findings tbody tr:first-child a`), chromedp.WaitVisible(`#app[data-page="settlement"]`), chromedp.WaitVisible(`#slines tr.violating`))
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
	b.must(chromedp.SetValue("#appeal-reason", "CMI 数据有误，请复核"), chromedp.Click("#appeal-form button"),
		chromedp.WaitVisible(`#appeals tbody tr`))
	if st := b.eval(`document.querySelector("#appeals tbody tr").textContent`); !strings.Contains(st, "filed") {
		t.Fatalf("appeal row: %q", st)
	}
	b.shot("appeal-filed")
	b.logout()

	// Analyst: every page, and decides the appeal in the cockpit.
	b.login("analyst", f.passwords["analyst"])
	b.visitAll("analyst", f.hospital, true)
	b.open("#/linkage", "linkage")
	b.must(chromedp.Click(`[data-decide][data-uphold="1"]`), chromedp.Sleep(300*time.Millisecond), chromedp.WaitVisible(`#app[data-page="linkage"]`))
	var appeals struct{ Appeals []struct{ State string } }
	api.do("GET", "/api/appeals", nil, &appeals)
	if len(appeals.Appeals) == 0 || appeals.Appeals[0].State != "upheld" {
		t.Fatalf("appeal after the analyst's decision: %+v", appeals)
	}
	b.shot("appeal-decided")
}
