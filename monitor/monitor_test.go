package monitor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/forecast"
)

func fen(y int64) yibao.Fen      { return yibao.Fen(y * 100) }
func ptr(f yibao.Fen) *yibao.Fen { return &f }

// TestBooksHandCalculation: an employee fund opening at 200,000 yuan, income 50,000 a month,
// settled spending 80,000 (60,000 inpatient at level 3, 20,000 outpatient at level 2), other
// expenditure 5,000. By hand: expenditure 85,000 a month; closing balance January
// 200,000 + 50,000 − 85,000 = 165,000, February 130,000, March 95,000; months of reserve
// 165,000/85,000 = 1.941, 130,000/85,000 = 1.529, 95,000/85,000 = 1.118 (red, < 3).
// A stated March opening of 140,000 (10,000 more than carried) is kept and reported.
func TestBooksHandCalculation(t *testing.T) {
	m := func(s string) forecast.Month { v, _ := forecast.ParseMonth(s); return v }
	ledger := []LedgerRow{
		{Period: m("2024-01"), InsuType: Employee, Income: fen(50000), OtherExpenditure: fen(5000), OpeningBalance: ptr(fen(200000)), Insured: 1000},
		{Period: m("2024-02"), InsuType: Employee, Income: fen(50000), OtherExpenditure: fen(5000), Insured: 1000},
		{Period: m("2024-03"), InsuType: Employee, Income: fen(50000), OtherExpenditure: fen(5000), Insured: 1000},
	}
	var spend []SpendRow
	for _, p := range []string{"2024-01", "2024-02", "2024-03"} {
		spend = append(spend, SpendRow{Period: m(p), InsuType: Employee, Category: Inpatient, Level: 3, FundFen: fen(60000), Cases: 6},
			SpendRow{Period: m(p), InsuType: Employee, Category: Outpatient, Level: 2, FundFen: fen(20000), Cases: 100})
	}
	books, err := Books(ledger, spend, DefaultBands)
	if err != nil {
		t.Fatal(err)
	}
	if len(books) != 3 {
		t.Fatalf("%d months", len(books))
	}
	wantClose := []int64{165000, 130000, 95000}
	wantMoR := []float64{165000.0 / 85000, 130000.0 / 85000, 95000.0 / 85000}
	for i, b := range books {
		if b.ClosingFen != wantClose[i]*100 || b.ExpenditureFen != 8500000 || math.Abs(b.MonthsOfReserve-wantMoR[i]) > 1e-12 || b.Band != "red" {
			t.Errorf("%s: closing %d expenditure %d MoR %.4f band %s", b.Period, b.ClosingFen, b.ExpenditureFen, b.MonthsOfReserve, b.Band)
		}
		if b.ByCategory[Inpatient] != 6000000 || b.ByLevel["2"] != 2000000 || b.PerCapitaSpendYuan != 85 {
			t.Errorf("%s: %v %v %v", b.Period, b.ByCategory, b.ByLevel, b.PerCapitaSpendYuan)
		}
	}
	// Reconciliation.
	ledger[2].OpeningBalance = ptr(fen(140000))
	books, _ = Books(ledger, spend, DefaultBands)
	if books[2].ReconciledFen != 1000000 || books[2].ClosingFen != 10500000 {
		t.Errorf("reconciled %d closing %d", books[2].ReconciledFen, books[2].ClosingFen)
	}
	// A missing opening balance and a gap are errors.
	if _, err := Books(ledger[1:], spend, DefaultBands); err == nil {
		t.Error("no opening balance accepted")
	}
	if _, err := Books([]LedgerRow{ledger[0], ledger[2]}, spend, DefaultBands); err == nil {
		t.Error("gap accepted")
	}
}

func TestBands(t *testing.T) {
	for _, c := range []struct {
		m    float64
		want string
	}{{2.99, "red"}, {3, "yellow"}, {5.99, "yellow"}, {6, "normal"}, {15, "normal"}, {15.01, "excess"}, {math.NaN(), "unknown"}} {
		if got, _ := DefaultBands.Band(c.m); got != c.want {
			t.Errorf("%v: %s, want %s", c.m, got, c.want)
		}
	}
}

func TestGrowthAndTwoFunds(t *testing.T) {
	var ledger []LedgerRow
	var spend []SpendRow
	start := forecast.Month{Year: 2022, Month: 1}
	for i := 0; i < 24; i++ {
		m := start.Add(i)
		inc, sp := fen(100000), fen(70000)
		if i >= 12 { // income +5%, spending +10%
			inc, sp = fen(105000), fen(77000)
		}
		for _, ty := range []string{Employee, Resident} {
			r := LedgerRow{Period: m, InsuType: ty, Income: inc}
			if i == 0 {
				r.OpeningBalance = ptr(fen(1000000))
			}
			ledger = append(ledger, r)
			spend = append(spend, SpendRow{Period: m, InsuType: ty, Category: Inpatient, FundFen: sp})
		}
	}
	books, err := Books(ledger, spend, DefaultBands)
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]BookMonth{}
	for _, b := range books {
		last[b.InsuType] = b
	}
	e := last[Employee]
	if math.Abs(e.IncomeGrowth-0.05) > 1e-12 || math.Abs(e.ExpenditureGrowth-0.10) > 1e-12 || !e.SpendingOutpacesIncome {
		t.Errorf("growth %v %v %v", e.IncomeGrowth, e.ExpenditureGrowth, e.SpendingOutpacesIncome)
	}
	all := last[AllTypes]
	if all.ClosingFen != 2*e.ClosingFen || all.Period != "2023-12" {
		t.Errorf("all %+v", all)
	}
	alerts, err := Evaluate(context.Background(), DefaultRules(), Inputs{Books: books})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range alerts {
		if a.Rule == "spending-outpaces-income" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("spending-outpaces-income fired %d times, want 3 (two funds and both): %v", n, alerts)
	}
}

func TestLedgerParser(t *testing.T) {
	in := "period,insutype,income,other_expenditure,opening_balance,insured\n" +
		"2024-01,310,100000.50,5000,2000000,120000\n" +
		"2024-01,390,80000,0,-100.5,\n" +
		"2024-13,310,1,1,,\n" +
		"2024-02,320,1,1,,\n" +
		"2024-02,310,abc,1,,\n" +
		"2024-02,310,-1,1,,\n" +
		"2024-02,310,1,1,,x\n" +
		"2024-01,310,1,1,,\n" +
		"2024-02,310,1\n"
	rows, rejects, err := ReadLedger(strings.NewReader(in), "fund.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Income != 10000050 || *rows[1].OpeningBalance != -10050 || rows[0].Insured != 120000 {
		t.Errorf("rows %+v", rows)
	}
	want := []string{"fund.csv:4: field period", "fund.csv:5: field insutype", "fund.csv:6: field income", "fund.csv:7: field income: \"-1\" is negative",
		"fund.csv:8: field insured", "fund.csv:9: field period: 2024-01 310 already given on line 2", "fund.csv:10: 3 fields"}
	if len(rejects) != len(want) {
		t.Fatalf("rejects %v", rejects)
	}
	for i, w := range want {
		if !strings.HasPrefix(rejects[i].Error(), w) {
			t.Errorf("reject %d: %s, want %s", i, rejects[i], w)
		}
	}
	if _, _, err := ReadLedger(strings.NewReader("period,insutype,income\n"), "f.csv"); err == nil {
		t.Error("bad header accepted")
	}
}

func FuzzReadLedger(f *testing.F) {
	f.Add("period,insutype,income,other_expenditure,opening_balance\n2024-01,310,1,2,3\n")
	f.Add("period,insutype,income,other_expenditure,opening_balance,insured\n2024-01,390,1.005,2,,7\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, rejects, err := ReadLedger(strings.NewReader(in), "f.csv")
		if err != nil && (rows != nil || rejects != nil) {
			t.Fatal("rows with an error")
		}
		for _, r := range rows {
			if r.InsuType != Employee && r.InsuType != Resident || r.Income < 0 || r.OtherExpenditure < 0 {
				t.Fatalf("bad row %+v", r)
			}
		}
	})
}

// drgCases makes n cases a month for 24 months around base fen, the second year scaled by
// rise, with ±10% spread so that the test has variance.
func drgCases(n int, base float64, rise float64) []CaseCost {
	var out []CaseCost
	start := forecast.Month{Year: 2023, Month: 1}
	for i := 0; i < 24; i++ {
		f := 1.0
		if i >= 12 {
			f = 1 + rise
		}
		for k := 0; k < n; k++ {
			spread := 0.9 + 0.2*float64(k%5)/4
			out = append(out, CaseCost{Month: start.Add(i), CostFen: int64(base * f * spread)})
		}
	}
	return out
}

func TestDRGRule(t *testing.T) {
	rules := []Rule{DefaultRules()[4]}
	in := Inputs{DRGCases: map[string][]CaseCost{
		"FIRES": drgCases(5, 1e6, 0.30), // 60 cases a year, +30%
		"SMALL": drgCases(2, 1e6, 0.30), // 24 cases a year: below the minimum of 30
		"FLAT":  drgCases(5, 1e6, 0.05), // +5%: below the 20% threshold
		"NOISY": noisy(),                // +25% on average but not significant
	}}
	alerts, err := Evaluate(context.Background(), rules, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].Subject != "FIRES" || math.Abs(alerts[0].Value-0.30) > 0.01 || alerts[0].Period != "2024-12" {
		t.Fatalf("alerts %+v", alerts)
	}
	// Deduplication: evaluating again and merging adds nothing.
	now := time.Date(2025, 1, 5, 9, 0, 0, 0, time.UTC)
	stored, added := Merge(nil, alerts, now)
	if len(added) != 1 {
		t.Fatal(added)
	}
	if err := Transition(&stored[0], StateAcknowledged, "analyst", "looking", now); err != nil {
		t.Fatal(err)
	}
	again, _ := Evaluate(context.Background(), rules, in)
	merged, added := Merge(stored, again, now.Add(time.Hour))
	if len(added) != 0 || len(merged) != 1 || merged[0].State != StateAcknowledged || !merged[0].LastSeenAt.Equal(now.Add(time.Hour)) {
		t.Errorf("dedup: added %v merged %+v", added, merged)
	}
}

func noisy() []CaseCost {
	var out []CaseCost
	start := forecast.Month{Year: 2023, Month: 1}
	// Costs alternate 0.2× and 1.8× of the base: huge variance; a 25% rise is not significant
	// on 36 cases a year.
	for i := 0; i < 24; i++ {
		f := 1.0
		if i >= 12 {
			f = 1.25
		}
		for k := 0; k < 3; k++ {
			s := 0.2
			if (i+k)%2 == 0 {
				s = 1.8
			}
			out = append(out, CaseCost{Month: start.Add(i), CostFen: int64(1e6 * f * s)})
		}
	}
	return out
}

// TestWelchAgainstR: t.test(log(a), log(b), alternative = "greater") in R 4.2.2 gives
// t = 2.922932843, df = 13.83238199, p-value = 0.00562121802 for these samples.
func TestWelchAgainstR(t *testing.T) {
	a := []float64{5.1, 5.5, 5.3, 5.9, 6.2, 5.8, 5.4, 5.7}
	b := []float64{5.0, 5.2, 4.9, 5.4, 5.1, 5.6, 5.3, 4.8, 5.5, 4.7}
	if p := WelchOneSided(a, b); math.Abs(p-0.00562121802) > 1e-8 {
		t.Errorf("p = %.10g, R 0.00562121802", p)
	}
}

func TestAuditSurgeAndStates(t *testing.T) {
	rules := []Rule{DefaultRules()[6]}
	f := map[string]map[string]int{
		"H1": {"2024-01": 3, "2024-02": 4, "2024-03": 3, "2024-04": 5, "2024-05": 4, "2024-06": 3, "2024-07": 20}, // fires
		"H2": {"2024-01": 1, "2024-02": 1, "2024-03": 1, "2024-04": 1, "2024-05": 1, "2024-06": 1, "2024-07": 8},  // below 10
		"H3": {"2024-01": 9, "2024-02": 10, "2024-03": 11, "2024-04": 10, "2024-05": 9, "2024-06": 11, "2024-07": 14},
	}
	alerts, err := Evaluate(context.Background(), rules, Inputs{Findings: f})
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].Hospital != "H1" || alerts[0].Period != "2024-07" {
		t.Fatalf("%+v", alerts)
	}
	if got := Inbox(alerts, "H2", ""); len(got) != 0 {
		t.Error("H2 sees H1's alert")
	}
	if got := Inbox(alerts, "H1", StateNew); len(got) != 1 {
		t.Error("H1 does not see its alert")
	}
	a := alerts[0]
	now := time.Now()
	if err := Transition(&a, StateResolved, "", "", now); err == nil {
		t.Error("anonymous change accepted")
	}
	if err := Transition(&a, StateAcknowledged, "h1-office", "checking", now); err != nil {
		t.Fatal(err)
	}
	if err := Transition(&a, StateNew, "x", "", now); err == nil {
		t.Error("back to new accepted")
	}
	if err := Transition(&a, StateResolved, "h1-office", "coding error fixed", now); err != nil {
		t.Fatal(err)
	}
	if err := Transition(&a, StateAcknowledged, "x", "", now); err == nil {
		t.Error("resolved reopened")
	}
	if len(a.History) != 2 || a.History[1].Note != "coding error fixed" {
		t.Errorf("%+v", a.History)
	}
}

func TestReserveRuleAndHospitalForecast(t *testing.T) {
	books := []BookMonth{{Period: "2024-06", InsuType: Resident, MonthsOfReserve: 2.5}, {Period: "2024-06", InsuType: Employee, MonthsOfReserve: 8}}
	alerts, _ := Evaluate(context.Background(), DefaultRules()[:3], Inputs{Books: books})
	got := map[string]bool{}
	for _, a := range alerts {
		got[a.Rule+"/"+a.Subject] = true
	}
	// Below 3 months both the red and the yellow band hold; only the red alert is raised.
	if len(alerts) != 1 || !got["reserve-red/390"] {
		t.Errorf("%+v", alerts)
	}
	// A hospital whose spending jumps 60% in its last month, after 36 steady seasonal months.
	v := make([]float64, 37)
	for i := range v {
		v[i] = 1e7 * (1 + 0.1*math.Sin(2*math.Pi*float64(i)/12) + 0.01*float64(i%3))
	}
	v[36] *= 1.6
	steady := append([]float64(nil), v...)
	steady[36] /= 1.6
	hs := map[string]forecast.Series{"JUMP": {Start: forecast.Month{Year: 2021, Month: 1}, Values: v}, "STEADY": {Start: forecast.Month{Year: 2021, Month: 1}, Values: steady},
		"SHORT": {Start: forecast.Month{Year: 2021, Month: 1}, Values: v[20:]}}
	alerts, err := Evaluate(context.Background(), []Rule{DefaultRules()[5]}, Inputs{HospitalSpend: hs})
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].Subject != "JUMP" {
		t.Errorf("%+v", alerts)
	}
}

func TestWebhook(t *testing.T) {
	var got WebhookPayload
	var sig string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig = r.Header.Get("X-Yibao-Signature")
		mac := hmac.New(sha256.New, []byte("s3cret"))
		mac.Write(body)
		if hex.EncodeToString(mac.Sum(nil)) != sig {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		json.Unmarshal(body, &got)
	}))
	defer srv.Close()
	a := []Alert{{Key: "k", Rule: "reserve-red", MessageZh: "<script>x</script>"}}
	if err := (Webhook{URL: srv.URL, Secret: "s3cret", Client: srv.Client()}).Deliver(context.Background(), a, time.Now()); err != nil {
		t.Fatal(err)
	}
	if len(got.Alerts) != 1 || got.Alerts[0].MessageZh != "<script>x</script>" {
		t.Errorf("%+v", got)
	}
	if err := (Webhook{URL: srv.URL, Secret: "wrong", Client: srv.Client()}).Deliver(context.Background(), a, time.Now()); err == nil {
		t.Error("a 401 counted as delivered")
	}
}

func TestProjection(t *testing.T) {
	var books []BookMonth
	closing := int64(1e9)
	for i := 0; i < 36; i++ {
		m := forecast.Month{Year: 2022, Month: 1}.Add(i)
		exp := int64(1e8 * (1 + 0.005*float64(i) + 0.05*math.Sin(2*math.Pi*float64(i)/12)))
		closing += 1e8 - exp
		books = append(books, BookMonth{Period: m.String(), InsuType: Employee, IncomeFen: 1e8, ExpenditureFen: exp, ClosingFen: closing})
	}
	base, err := Project(context.Background(), books, Employee, 3, DefaultScenarios()[0], DefaultBands)
	if err != nil {
		t.Fatal(err)
	}
	aged, err := Project(context.Background(), books, Employee, 3, DefaultScenarios()[1], DefaultBands)
	if err != nil {
		t.Fatal(err)
	}
	if len(base.Months) != 36 || base.Months[0].Period != "2025-01" {
		t.Fatalf("%+v", base.Months[0])
	}
	lb, la := base.Months[35], aged.Months[35]
	// Ageing adds 2% a year to expenditure: (1.02)^3 at the end.
	if r := float64(la.ExpenditureFen) / float64(lb.ExpenditureFen); math.Abs(r-math.Pow(1.02, 3)) > 1e-6 {
		t.Errorf("ageing ratio %v", r)
	}
	if la.ClosingFen >= lb.ClosingFen {
		t.Error("ageing did not lower the balance")
	}
	// Income grows 4% a year: the first projected year's income is 1.04 × last year's.
	if base.Months[0].IncomeFen != 104000000 {
		t.Errorf("income %d", base.Months[0].IncomeFen)
	}
}

// TestPolicyFactor: a year's expenditure of 12 × 85,000 = 1,020,000 yuan and a simulated
// saving of 51,000 yuan give 1 − 51,000/1,020,000 = 0.95.
func TestPolicyFactor(t *testing.T) {
	var books []BookMonth
	for i := 0; i < 14; i++ {
		books = append(books, BookMonth{Period: forecast.Month{Year: 2024, Month: 1}.Add(i).String(), InsuType: AllTypes, ExpenditureFen: 8500000})
	}
	f, err := PolicyFactor(books, AllTypes, 50000000, 50000000-5100000)
	if err != nil || math.Abs(f-0.95) > 1e-12 {
		t.Errorf("%v %v", f, err)
	}
	if _, err := PolicyFactor(books[:5], AllTypes, 1, 2); err == nil {
		t.Error("5 months accepted")
	}
}
