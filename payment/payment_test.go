package payment

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/yibao-dev/yibao"
)

func repeat(drg, adrg string, cost yibao.Fen, n int) []WeightCase {
	out := make([]WeightCase, n)
	for i := range out {
		out[i] = WeightCase{DRG: drg, ADRG: adrg, Cost: cost, LOS: 8}
	}
	return out
}

// Hand-computed weights. Overall: 68 costs, the percentile band [1,000, 4,000] yuan keeps
// all, mean 19,800,000/68 = 291,176.47 → 291,176 fen. RW(A11) = 200,000/291,176 = 0.6869;
// RW(B11) = 400,000/291,176 = 1.3737; A13 has 5 cases < 30 and borrows ADRG A1's pooled mean
// 7,500,000/35 = 214,286 → 0.7359; D11 has 2 cases and the configured 1.5; E11 has none.
func goldenWeights(t *testing.T) *Weights {
	t.Helper()
	var cs []WeightCase
	cs = append(cs, repeat("A11", "A1", 200000, 30)...)
	cs = append(cs, repeat("B11", "B1", 400000, 30)...)
	cs = append(cs, repeat("A13", "A1", 300000, 5)...)
	cs = append(cs, repeat("D11", "D1", 100000, 2)...)
	cs = append(cs, repeat("E11", "E1", 100000, 1)...)
	w, err := ComputeWeights(cs, 30, map[string]Ratio{"D11": 15000})
	if err != nil {
		t.Fatal(err)
	}
	w.Version = "test"
	return w
}

func TestWeightsGolden(t *testing.T) {
	w := goldenWeights(t)
	if w.OverallMean != 291176 {
		t.Fatalf("overall %d", w.OverallMean)
	}
	for drg, want := range map[string]struct {
		rw     Ratio
		source string
	}{"A11": {6869, "local"}, "B11": {13737, "local"}, "A13": {7359, "adrg"}, "D11": {15000, "fallback"}} {
		x, ok := w.Of(drg)
		if !ok || x.RW != want.rw || x.Source != want.source {
			t.Errorf("%s: %+v, want %+v", drg, x, want)
		}
	}
	if _, ok := w.Of("E11"); ok || !strings.Contains(w.Borrowed["E11"], "no weight") {
		t.Errorf("E11 should be listed without a weight: %v", w.Borrowed)
	}
	if len(w.Borrowed) != 3 {
		t.Errorf("borrowed list %v", w.Borrowed)
	}
}

func testParams() *Params {
	p := DefaultParams()
	p.Version = "t"
	p.Coefficients = map[string]Ratio{"H2": 11000}
	return p
}

// Budget 10,000 yuan over two A11 cases at H1 (coefficient 1.0) and one B11 at H2 (1.1):
// Σ RW × coef = 2 × 0.6869 + 1.3737 × 1.1 = 2.88487, rate = 1,000,000 / 2.88487 = 346,636 fen.
// Standard payments: 0.6869 × 3,466.36 = 2,381.04 yuan; 1.3737 × 1.1 × 3,466.36 = 5,237.91.
func TestBaseRateAndStandardPaymentGolden(t *testing.T) {
	w := goldenWeights(t)
	p := testParams()
	cases := []Case{
		{SetlID: "1", Hospital: "H1", Level: 3, Grouped: true, DRG: "A11", Cost: 230000, LOS: 8},
		{SetlID: "2", Hospital: "H1", Level: 3, Grouped: true, DRG: "A11", Cost: 230000, LOS: 8},
		{SetlID: "3", Hospital: "H2", Level: 3, Grouped: true, DRG: "B11", Cost: 500000, LOS: 8},
	}
	rate, err := DeriveBaseRate(cases, w, p, 1000000)
	if err != nil || rate != 346636 {
		t.Fatalf("rate %d %v", rate, err)
	}
	br := BaseRate{Single: rate}
	for i, want := range []yibao.Fen{238104, 238104, 523791} {
		pr, err := PriceCase(cases[i], w, p, br)
		if err != nil || pr.Standard != want || pr.Payment != want || pr.Kind != KindStandard {
			t.Errorf("case %d: %+v %v, want %d", i, pr, err, want)
		}
	}
	if _, err := PriceCase(Case{SetlID: "x", Grouped: true, DRG: "E11"}, w, p, br); err == nil || !strings.Contains(err.Error(), "E11") {
		t.Errorf("missing weight not refused: %v", err)
	}
}

// RW 1.0 × 10,000 yuan: a 35,000 case is a high outlier (threshold 3 × 10,000): 10,000 +
// 5,000 × 0.9 = 14,500; a 3,000 case is below 0.4 × 10,000 and paid its cost; a transfer
// of 2 days against a mean stay of 8 is paid 10,000 × 2/8 = 2,500; a death under the ffs rule
// is paid its cost; an ungroupable case is paid its cost.
func TestOutliersAndRulesGolden(t *testing.T) {
	w := &Weights{Version: "t", DRGs: []Weight{{DRG: "X11", RW: RatioOne, MeanLOS: 8}}}
	w.buildIndex()
	p := testParams()
	p.Rules.Death = "ffs"
	br := BaseRate{Single: 1000000}
	for _, tc := range []struct {
		c    Case
		kind string
		pay  yibao.Fen
	}{
		{Case{Grouped: true, DRG: "X11", Cost: 3500000, LOS: 9}, KindHighOutlier, 1450000},
		{Case{Grouped: true, DRG: "X11", Cost: 300000, LOS: 9}, KindLowOutlier, 300000},
		{Case{Grouped: true, DRG: "X11", Cost: 800000, LOS: 9}, KindStandard, 1000000},
		{Case{Grouped: true, DRG: "X11", Cost: 800000, LOS: 2, Disposition: "2"}, KindTransfer, 250000},
		{Case{Grouped: true, DRG: "X11", Cost: 800000, LOS: 9, Disposition: "5"}, KindDeath, 800000},
		{Case{Grouped: true, DRG: "X11", Cost: 120000, LOS: 1}, KindShortStay, 120000},
		{Case{Grouped: false, Cost: 700000, LOS: 5}, KindUngroupable, 700000},
	} {
		pr, err := PriceCase(tc.c, w, p, br)
		if err != nil || pr.Kind != tc.kind || pr.Payment != tc.pay {
			t.Errorf("%+v: %s %d, want %s %d (%v)", tc.c, pr.Kind, pr.Payment, tc.kind, tc.pay, err)
		}
	}
}

// Employee at a level-3 hospital: deductible 900, ratio 0.8, ceiling lowered to 4,000.
// Stay 1 costs 10,000: (10,000 − 900) × 0.8 = 7,280, capped at 4,000; the patient pays 6,000.
// Stay 2 the same year costs 2,000: the ceiling is used up, the patient pays 2,000; it is a
// low-cost case paid its cost, so the fund pays nothing for it. The fund pays the hospital
// the DRG payment less the patient's part: 10,000 − 6,000 = 4,000 for stay 1.
func TestFundPatientSplitGolden(t *testing.T) {
	w := &Weights{Version: "t", DRGs: []Weight{{DRG: "X11", RW: RatioOne, MeanLOS: 8}}}
	w.buildIndex()
	p := testParams()
	for i := range p.Benefits {
		if p.Benefits[i].InsuType == "310" && p.Benefits[i].Level == 3 {
			p.Benefits[i].Ceiling = 400000
		}
	}
	day := func(d int) time.Time { return time.Date(2024, 3, d, 0, 0, 0, 0, time.UTC) }
	cases := []Case{
		{SetlID: "b", Person: "p", InsuType: "310", Level: 3, Grouped: true, DRG: "X11", Cost: 200000, LOS: 5, Discharge: day(20)},
		{SetlID: "a", Person: "p", InsuType: "310", Level: 3, Grouped: true, DRG: "X11", Cost: 1000000, LOS: 5, Discharge: day(2)},
	}
	priced, err := PriceAll(cases, w, p, BaseRate{Single: 1000000})
	if err != nil {
		t.Fatal(err)
	}
	if priced[1].PatientPay != 600000 || priced[1].FundPay != 400000 || priced[0].PatientPay != 200000 || priced[0].Payment != 200000 || priced[0].FundPay != 0 {
		t.Fatalf("split %+v / %+v", priced[1], priced[0])
	}
}

// H1: payments 100,000, costs 90,000 → surplus 10,000, 60% retained → settled 96,000.
// H2: payments 100,000, costs 130,000 including a flagged case (payment 8,000, cost 10,000):
// unflagged overspend 28,000, band 10% × 92,000 = 9,200, fund 70% → 6,440; settled 106,440,
// the hospital bears 23,560.
func TestSettlementGolden(t *testing.T) {
	p := testParams()
	pr := func(h string, pay, cost yibao.Fen, flagged bool) Priced {
		return Priced{Case: Case{Hospital: h, Cost: cost, Flagged: flagged}, Payment: pay}
	}
	s := Settle([]Priced{
		pr("H1", 6000000, 5000000, false), pr("H1", 4000000, 4000000, false),
		pr("H2", 9200000, 12000000, false), pr("H2", 800000, 1000000, true),
	}, p)
	h1, h2 := s[0], s[1]
	if h1.Surplus != 1000000 || h1.Retained != 600000 || h1.Settled != 9600000 {
		t.Errorf("H1 %+v", h1)
	}
	if h2.Overspend != 3000000 || h2.Shareable != 920000 || h2.FundShare != 644000 || h2.Settled != 10644000 || h2.HospitalBears != 2356000 || h2.Flagged != 1 {
		t.Errorf("H2 %+v", h2)
	}
}

// Budget 10,000 yuan; H1 two cases of score 1,000 (months 1 and 2), H2 one of score 500 with
// coefficient 1.2 (month 1): points 2,000 and 600. Payments 10,000 × 2000/2600 = 7,692.31 and
// 2,307.69. Monthly prepayment pot 10,000 × 0.9 / 12 = 750: month 1 split 1000:600 →
// 468.75 and 281.25; month 2 all to H1. Liquidation H1 7,692.31 − 1,218.75 = 6,473.56.
func TestDIPGolden(t *testing.T) {
	p := testParams()
	p.Coefficients = map[string]Ratio{"H2": 12000}
	p.DIP.Budget = 1000000
	r, err := SettleDIP([]DIPCase{{"1", "H1", 1, 1000}, {"2", "H1", 2, 1000}, {"3", "H2", 1, 500}}, p)
	if err != nil {
		t.Fatal(err)
	}
	h1, h2 := r.Hospitals[0], r.Hospitals[1]
	if h1.Payment != 769231 || h2.Payment != 230769 || h1.Prepaid != 121875 || h2.Prepaid != 28125 || h1.Liquidation != 647356 || h2.Liquidation != 202644 {
		t.Fatalf("%+v %+v", h1, h2)
	}
	if r.Points != 2600 {
		t.Fatalf("points %v", r.Points)
	}
}

func TestCMIGolden(t *testing.T) {
	priced := []Priced{{Case: Case{Hospital: "H1"}, RW: 5000}, {Case: Case{Hospital: "H1"}, RW: 15000}, {Case: Case{Hospital: "H2"}, RW: 12345}, {Case: Case{Hospital: "H2"}}}
	got := CMI(priced, func(p *Priced) string { return p.Hospital })
	if len(got) != 2 || got[0].CMI != 1.0 || got[0].Cases != 2 || got[1].CMI != 1.2345 || got[1].Cases != 1 {
		t.Fatalf("%+v", got)
	}
}

// Property: a budget-derived rate reproduces the budget within rounding, for any mix.
func TestBudgetNeutralRateReproducesBudget(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		w := &Weights{Version: "p"}
		for i := 0; i < 20; i++ {
			w.DRGs = append(w.DRGs, Weight{DRG: string(rune('A'+i)) + "11", RW: Ratio(1000 + rng.IntN(50000))})
		}
		w.buildIndex()
		p := testParams()
		p.Coefficients = map[string]Ratio{"H1": Ratio(8000 + rng.IntN(4000)), "H2": Ratio(9000 + rng.IntN(3000))}
		var cases []Case
		for i := 0; i < 1+rng.IntN(500); i++ {
			cases = append(cases, Case{SetlID: "c", Hospital: []string{"H1", "H2", "H3"}[rng.IntN(3)], Grouped: true, DRG: w.DRGs[rng.IntN(20)].DRG, Cost: 1, LOS: 9})
		}
		budget := yibao.Fen(1_000_000 + rng.Int64N(10_000_000_000))
		rate, err := DeriveBaseRate(cases, w, p, budget)
		if err != nil {
			t.Fatal(err)
		}
		var sum, weight int64
		for _, c := range cases {
			x, _ := w.Of(c.DRG)
			sum += int64(standardPayment(x.RW, rate, p.Coefficient(c.Hospital)))
			weight += int64(x.RW) * int64(p.Coefficient(c.Hospital))
		}
		// Each standard payment rounds by at most half a fen; the rate by half a fen per unit of Σ RW × coef.
		tol := int64(len(cases))/2 + 1 + weight/(2*int64(RatioOne)*int64(RatioOne)) + 1
		if d := sum - int64(budget); d > tol || d < -tol {
			t.Fatalf("trial %d: Σ payments %d vs budget %d (tolerance %d)", trial, sum, budget, tol)
		}
	}
}

func TestBadParametersAreRefusedByName(t *testing.T) {
	for name, mutate := range map[string]func(*Params){
		"outliers.high_ratio":          func(p *Params) { p.Outliers.HighRatio = -1 },
		"outliers.low_factor":          func(p *Params) { p.Outliers.LowFactor = 10000 },
		"outliers.high_factor":         func(p *Params) { p.Outliers.HighFactor = 9000 },
		"settlement.overspend_band":    func(p *Params) { p.Settlement.OverspendBand = -5 },
		"coefficients.H9":              func(p *Params) { p.Coefficients = map[string]Ratio{"H9": 0} },
		"base_rate.mode":               func(p *Params) { p.BaseRate.Mode = "guess" },
		"base_rate.by_level.2":         func(p *Params) { p.BaseRate.Mode = "by_level"; p.BaseRate.ByLevel = map[string]Yuan{"1": 1, "3": 1} },
		"benefits[0].ratio":            func(p *Params) { p.Benefits[0].Ratio = 20000 },
		"rules.death":                  func(p *Params) { p.Rules.Death = "maybe" },
		"weights.min_cases":            func(p *Params) { p.Weights.MinCases = 0 },
		"settlement.surplus_retention": func(p *Params) { p.Settlement.SurplusRetention = 10001 },
	} {
		p := testParams()
		mutate(p)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := testParams().Validate(); err != nil {
		t.Fatal(err)
	}
}
