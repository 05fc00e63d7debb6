package payment

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/yibao-dev/yibao"
)

// Golden numbers below are hand calculations of the rule text (docs/payment.md), never
// values read off the engine.

func refCases(drg, adrg string, cost yibao.Fen, n, los int) []RefCase {
	out := make([]RefCase, n)
	for i := range out {
		out[i] = RefCase{ID: fmt.Sprintf("%s-%d-%d", drg, cost, i), DRG: drg, ADRG: adrg, Status: StatusGrouped, Cost: cost, LOS: los}
	}
	return out
}

func testPolicy(t *testing.T) *Policy {
	t.Helper()
	p := DefaultPolicy()
	q := *p
	return &q
}

// Reference set: GB11 3 × 6,000; GB13 4 × 8,000; GB15 2 × 4,000 (small: < 3); ES21
// 5 × 2,000; ES25 5 × 1,000 plus one 10,000 (above 3 × the median 1,000: trimmed); one
// ungroupable case (excluded). Retained 19 cases, Σ = 73,000 yuan, Ā = 73,000 / 19.
//
//	own RW: GB11 6000×19/73000 = 1.5616, GB13 2.0822, GB15 1.0411, ES21 0.5205, ES25 0.2603
//	own CMI = (3×1.5616 + 4×2.0822 + 2×1.0411 + 5×0.5205 + 5×0.2603) / 19 = 18.9998/19 = 1.0000
//	own inversions: GB11 < GB13 → 1.
//	rule: GB15 borrows the ADRG mean 58,000/9 = 6,444.44; the ladder 6,000 < 8,000 pools
//	GB11+GB13 to (18,000 + 32,000)/7 = 7,142.86 ≥ 6,444.44:
//	RW GB11 = GB13 = 50000/7 × 19/73000 = 1.8591, GB15 = 58000/9 × 19/73000 = 1.6773
//	CMI = (7×1.8591 + 2×1.6773 + 5×0.5205 + 5×0.2603)/19 = 20.2723/19 = 1.0670.
func TestReferenceGolden(t *testing.T) {
	var cs []RefCase
	cs = append(cs, refCases("GB11", "GB1", 600000, 3, 10)...)
	cs = append(cs, refCases("GB13", "GB1", 800000, 4, 8)...)
	cs = append(cs, refCases("GB15", "GB1", 400000, 2, 6)...)
	cs = append(cs, refCases("ES21", "ES2", 200000, 5, 5)...)
	cs = append(cs, refCases("ES25", "ES2", 100000, 5, 4)...)
	cs = append(cs, RefCase{ID: "out", DRG: "ES25", ADRG: "ES2", Status: StatusGrouped, Cost: 1000000, LOS: 4})
	cs = append(cs, RefCase{ID: "u", DRG: "0000", Status: StatusUngroupable, Cost: 50000})
	pol := testPolicy(t)
	pol.Reference.MinCases = 3
	w, err := BuildReference(cs, pol, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w.Cases != 19 || w.SumCost != 7300000 || w.SumWeight != 19 || w.Trimmed != 1 || w.Excluded != 1 {
		t.Fatalf("reference set: %d cases Σ %d / %d, trimmed %d excluded %d", w.Cases, w.SumCost, w.SumWeight, w.Trimmed, w.Excluded)
	}
	if w.CMIOwn != 10000 || w.CMI != 10670 || w.ViolationsOwn != 1 || w.Violations != 0 {
		t.Fatalf("CMI own %s after %s, inversions %d → %d", w.CMIOwn, w.CMI, w.ViolationsOwn, w.Violations)
	}
	want := map[string]struct {
		rw     Ratio
		mean   yibao.Fen
		cases  int
		source string
	}{
		"GB11": {18591, 600000, 3, "own+monotone"}, "GB13": {18591, 800000, 4, "own+monotone"},
		"GB15": {16773, 400000, 2, "borrowed"}, "ES21": {5205, 200000, 5, "own"}, "ES25": {2603, 100000, 5, "own"},
	}
	for d, x := range want {
		g, ok := w.Of(d)
		if !ok || g.RW != x.rw || g.MeanCost != x.mean || g.Cases != x.cases || g.Source != x.source {
			t.Errorf("%s: %+v, want %+v", d, g, x)
		}
	}
	if g, _ := w.Of("GB11"); g.BasePoints() != 1859100 || g.MeanLOS != 100000 {
		t.Errorf("GB11 base points %s mean LOS %s", g.BasePoints(), g.MeanLOS)
	}
	// an official table replaces a group's weight and records it
	w2, err := BuildReference(cs, pol, map[string]Ratio{"ES21": 6000, "XX11": 12000})
	if err != nil {
		t.Fatal(err)
	}
	if g, _ := w2.Of("ES21"); g.RW != 6000 || g.Source != SourceOfficial {
		t.Errorf("official ES21: %+v", g)
	}
	if g, ok := w2.Of("XX11"); !ok || g.RW != 12000 {
		t.Errorf("official XX11 missing")
	}
}

// Year weights 1:2:7: a case of y−2 counts 1, y−1 2, y 7 in Ā_g and Ā alike. A11: one case
// 1,000 in 2023 and one 2,000 in 2025 → (1×1000 + 7×2000)/8 = 1,875; B11: one 3,000 in
// 2024 → 3,000. Ā = (1000 + 14000 + 6000)/10 = 2,100. RW A11 = 1875/2100 = 0.8929, B11
// 3000/2100 = 1.4286; weighted CMI = (8×0.8929 + 2×1.4286)/10 = 1.0000.
func TestReferenceYearWeights(t *testing.T) {
	pol := testPolicy(t)
	pol.Reference.YearWeights = []int64{1, 2, 7}
	pol.Reference.MinCases = 1
	cs := []RefCase{
		{ID: "a", DRG: "A11", ADRG: "A1", Status: StatusGrouped, Cost: 100000, Year: 2023},
		{ID: "b", DRG: "A11", ADRG: "A1", Status: StatusGrouped, Cost: 200000, Year: 2025},
		{ID: "c", DRG: "B11", ADRG: "B1", Status: StatusGrouped, Cost: 300000, Year: 2024},
	}
	w, err := BuildReference(cs, pol, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := w.Of("A11")
	b, _ := w.Of("B11")
	if a.MeanCost != 187500 || a.RW != 8929 || b.RW != 14286 || w.CMI != 10000 {
		t.Fatalf("A11 %+v B11 %+v CMI %s", a, b, w.CMI)
	}
	if b.Source != SourceMulti { // no case in the latest year
		t.Errorf("B11 source %s", b.Source)
	}
	cs = append(cs, RefCase{ID: "old", DRG: "A11", ADRG: "A1", Status: StatusGrouped, Cost: 1, Year: 2020})
	if _, err := BuildReference(cs, pol, nil); err == nil {
		t.Fatal("a case outside the reference years must be refused")
	}
}

// Property: on random reference sets, the CMI with every group on its own data is 1 up to
// the rounding of RW to four decimals, and no ADRG is left with a severity inversion.
func TestReferenceProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	pol := testPolicy(t)
	for trial := 0; trial < 100; trial++ {
		var cs []RefCase
		for a := 0; a < 1+r.IntN(8); a++ {
			adrg := fmt.Sprintf("A%02d", a)
			for _, sev := range []string{"1", "3", "5", "9"} {
				if r.IntN(4) == 0 {
					continue
				}
				n := 1 + r.IntN(60)
				base := 1000 + r.IntN(50000)
				for i := 0; i < n; i++ {
					cs = append(cs, RefCase{ID: fmt.Sprint(len(cs)), DRG: adrg + sev, ADRG: adrg, Status: StatusGrouped,
						Cost: yibao.Fen((base + r.IntN(base)) * 100), LOS: 1 + r.IntN(20)})
				}
			}
		}
		if len(cs) == 0 {
			continue
		}
		w, err := BuildReference(cs, pol, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := w.CMIOwn - RatioOne; d < -1 || d > 1 {
			t.Fatalf("trial %d: own CMI %s", trial, w.CMIOwn)
		}
		if inv := w.Inversions(pol.Reference.Severity); len(inv) != 0 || w.Violations != 0 {
			t.Fatalf("trial %d: inversions left %v", trial, inv)
		}
		// pooling alone (no small groups) keeps the CMI at 1
		small := false
		for _, g := range w.DRGs {
			small = small || strings.HasPrefix(g.Source, SourceBorrowed)
		}
		if d := w.CMI - RatioOne; !small && (d < -2 || d > 2) {
			t.Fatalf("trial %d: CMI %s without small groups", trial, w.CMI)
		}
	}
}

// goldenWeights: AA11 RW 0.8 (mean 4,000), BB11 2.0 (10,000), CC11 4.0 (20,000), TR11 1.0
// (5,000, mean LOS 20), 10 cases each: Ā = 390,000/40 = 9,750 yuan.
func goldenWeights(t *testing.T) *Weights {
	t.Helper()
	w, err := NewWeights("golden", []Weight{
		{DRG: "AA11", ADRG: "AA1", Cases: 10, MeanCost: 400000, MeanLOS: 50000, RW: 8000, Source: SourceOwn},
		{DRG: "BB11", ADRG: "BB1", Cases: 10, MeanCost: 1000000, MeanLOS: 80000, RW: 20000, Source: SourceOwn},
		{DRG: "CC11", ADRG: "CC1", Cases: 10, MeanCost: 2000000, MeanLOS: 100000, RW: 40000, Source: SourceOwn},
		{DRG: "TR11", ADRG: "TR1", Cases: 10, MeanCost: 500000, MeanLOS: 200000, RW: 10000, Source: SourceOwn},
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestCasePointsGolden(t *testing.T) {
	w := goldenWeights(t)
	pol := testPolicy(t)
	pol.PerDiem.DRGs = []string{"TR11"}
	pol.Coefficients.Hospitals = map[string]Ratio{"HK": 10500, "HX": 13000}
	pol.Coefficients.Technologies = []Technology{{ID: "lap", Procedures: []string{"47.01"}, DRGs: []string{"AA11"}, Coefficient: 11000}}
	pr, err := newPricer(w, pol)
	if err != nil {
		t.Fatal(err)
	}
	g := func(drg string, cost yibao.Fen, los int, way string) PayCase {
		return PayCase{ID: "c", Hospital: "H1", DRG: drg, Status: StatusGrouped, Cost: cost, LOS: los, DischargeWay: way}
	}
	cases := []struct {
		name      string
		c         PayCase
		kind      string
		points    Points
		threshold Ratio
	}{
		{"normal r=1", g("AA11", 400000, 5, "1"), KindNormal, 800000, 30000},
		{"high RW≤1 t=3: r=3.5 → 80+80×0.5", g("AA11", 1400000, 5, "1"), KindHigh, 1200000, 30000},
		{"r = t exactly is not high", g("AA11", 1200000, 5, "1"), KindNormal, 800000, 30000},
		{"high 1<RW≤3 t=2: r=2.5 → 200+200×0.5", g("BB11", 2500000, 5, "1"), KindHigh, 3000000, 20000},
		{"high RW>3 t=1.5: r=1.55 → 400+400×0.05", g("CC11", 3100000, 5, "1"), KindHigh, 4200000, 15000},
		{"low r=0.25 → 80×0.25", g("AA11", 100000, 5, "1"), KindLow, 200000, 30000},
		{"r = 0.4 exactly is not low", g("AA11", 160000, 5, "1"), KindNormal, 800000, 30000},
		{"transfer r=0.7 → min(140, 200)", g("BB11", 700000, 5, "2"), KindIncomplete, 1400000, 20000},
		{"against advice r=1.2 → min(240, 200)", g("BB11", 1200000, 5, "4"), KindIncomplete, 2000000, 20000},
		{"one-day stay r=0.5 → 100", g("BB11", 500000, 1, "1"), KindIncomplete, 1000000, 20000},
		{"death within a day r=0.9", g("BB11", 900000, 1, "5"), KindIncomplete, 1800000, 20000},
		{"high tested before incomplete: transfer r=3 → 200+200×1", g("BB11", 3000000, 5, "2"), KindHigh, 4000000, 20000},
		{"per diem 100×8/20", g("TR11", 500000, 8, "1"), KindPerDiem, 400000, 0},
		{"ungroupable", PayCase{ID: "u", Hospital: "H1", DRG: "0000", Status: StatusUngroupable, Cost: 975000, LOS: 3}, KindSpecialReview, 0, 0},
		{"failed validation", PayCase{ID: "f", Hospital: "H1", DRG: "AA11", Status: StatusFailed, Cost: 975000, LOS: 3}, KindSpecialReview, 0, 0},
		{"no weight", g("ZZ11", 975000, 3, "1"), KindSpecialReview, 0, 0},
		{"LOS 61 > 60", g("AA11", 400000, 61, "1"), KindSpecialReview, 0, 0},
		{"LOS 60 is not special", g("AA11", 400000, 60, "1"), KindNormal, 800000, 30000},
		{"approved: C/Ā×100 = 19,500/9,750×100", PayCase{ID: "a", Hospital: "H1", Status: StatusUngroupable, Cost: 1950000, Review: "approved"}, KindSpecialReview, 2000000, 0},
		{"approved with decided points", PayCase{ID: "a", Hospital: "H1", Status: StatusUngroupable, Cost: 1950000, Review: "approved", DecidedPoints: 1234567}, KindSpecialReview, 1234567, 0},
		{"rejected long stay priced by the rules", PayCase{ID: "r", Hospital: "H1", DRG: "AA11", Status: StatusGrouped, Cost: 400000, LOS: 70, Review: "rejected"}, KindNormal, 800000, 30000},
		{"rejected ungroupable earns nothing", PayCase{ID: "r", Hospital: "H1", Status: StatusUngroupable, Cost: 400000, Review: "rejected"}, KindSpecialReview, 0, 0},
		{"hospital K 1.05: 84", PayCase{ID: "k", Hospital: "HK", DRG: "AA11", Status: StatusGrouped, Cost: 400000, LOS: 5}, KindNormal, 840000, 30000},
		{"K capped at 1.2: 96", PayCase{ID: "k", Hospital: "HX", DRG: "AA11", Status: StatusGrouped, Cost: 400000, LOS: 5}, KindNormal, 960000, 30000},
		{"technology × hospital: K 1.05×1.1 = 1.155 → 92.4", PayCase{ID: "k", Hospital: "HK", DRG: "AA11", Status: StatusGrouped, Cost: 400000, LOS: 5, Procedures: []string{"47.0100x001"}}, KindNormal, 924000, 30000},
		{"rounding half away: 80×1.05×1,000.05/4,000 = 21.00105 → 21.0011", PayCase{ID: "k", Hospital: "HK", DRG: "AA11", Status: StatusGrouped, Cost: 100005, LOS: 5}, KindLow, 210011, 30000},
		{"high with K: 80×1.05 + 80×(3.5−3) = 124", PayCase{ID: "k", Hospital: "HK", DRG: "AA11", Status: StatusGrouped, Cost: 1400000, LOS: 5}, KindHigh, 1240000, 30000},
	}
	for _, tc := range cases {
		p, err := pr.price(&tc.c)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.Kind != tc.kind || p.Points != tc.points || p.Threshold != tc.threshold {
			t.Errorf("%s: kind %s points %s t %s, want %s %s %s", tc.name, p.Kind, p.Points, p.Threshold, tc.kind, tc.points, tc.threshold)
		}
	}
}

// B = 1,000.00; H1: AA11 normal 80 points, patient paid 1,000.00, and an ungroupable case
// pending review (patient paid 500.00, not in P); H2: BB11 normal 200 points, patient paid
// 2,000.00, deduction 100.00. T = 280, P = 3,000.00, B + P = 4,000.00, PV = 14.285714.
// A_H1 = 1,142.857… and A_H2 = 2,857.142…: floors 114,285 + 285,714 = 399,999 fen, the fen
// left goes to the larger remainder (H1): 1,142.86 and 2,857.14. F_H1 = 142.86,
// F_H2 = 2,857.14 − 2,000 − 100 = 757.14.
func TestPayPointValueGolden(t *testing.T) {
	w := goldenWeights(t)
	cases := []PayCase{
		{ID: "a", Hospital: "H1", DRG: "AA11", Status: StatusGrouped, Cost: 400000, LOS: 5, PatientPaid: 100000},
		{ID: "u", Hospital: "H1", Status: StatusUngroupable, Cost: 300000, LOS: 5, PatientPaid: 50000},
		{ID: "b", Hospital: "H2", DRG: "BB11", Status: StatusGrouped, Cost: 1000000, LOS: 5, PatientPaid: 200000, Deduction: 10000},
	}
	res, err := Pay(cases, w, DefaultPolicy(), 100000)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.PointValue(6); got != "14.285714" {
		t.Fatalf("PV %s", got)
	}
	h1, h2 := res.Hospitals[0], res.Hospitals[1]
	if h1.Amount != 114286 || h1.PatientPaid != 100000 || h1.FundPaid != 14286 || h1.Review.Pending != 1 || h1.Cases != 2 {
		t.Errorf("H1 %+v", h1)
	}
	if h2.Amount != 285714 || h2.Deduction != 10000 || h2.FundPaid != 75714 {
		t.Errorf("H2 %+v", h2)
	}
	if u := res.Cases[1]; u.Amount != 0 || u.FundPaid != 0 || u.CountedPatientPaid() != 0 || u.Kind != KindSpecialReview {
		t.Errorf("pending case %+v", u)
	}
	if a := res.Cases[0]; a.Amount != 114286 || a.FundPaid != 14286 {
		t.Errorf("case a %+v", a)
	}
}

// Confirmed up-coding voids the case and deducts 2 × BP: H1 AA11 80 points (P 1,000), H2
// BB11 200 points (P 2,000) and a voided BB11 (P 1,500, not counted). T = 280, B + P =
// 4,000.00, deduction 2 × 200 × 4,000/280 = 5,714.2857 → 5,714.29; F_H2 = 2,857.14 −
// 2,000 − 5,714.29 = −4,857.15 (the hospital owes the fund).
func TestPayVoidDeductionGolden(t *testing.T) {
	w := goldenWeights(t)
	cases := []PayCase{
		{ID: "a", Hospital: "H1", DRG: "AA11", Status: StatusGrouped, Cost: 400000, LOS: 5, PatientPaid: 100000},
		{ID: "b", Hospital: "H2", DRG: "BB11", Status: StatusGrouped, Cost: 1000000, LOS: 5, PatientPaid: 200000},
		{ID: "v", Hospital: "H2", DRG: "BB11", Status: StatusGrouped, Cost: 1000000, LOS: 5, PatientPaid: 150000, Void: "upcoding"},
	}
	res, err := Pay(cases, w, DefaultPolicy(), 100000)
	if err != nil {
		t.Fatal(err)
	}
	h2 := res.Hospitals[1]
	if h2.Points != 2000000 || h2.Deduction != 571429 || h2.FundPaid != -485715 || h2.Voided != 1 {
		t.Fatalf("H2 %+v", h2)
	}
}

// Rate mode: 100 yuan per point. H1 80 points → 8,000 (P 1,000, F 7,000); H2 200 points →
// 20,000 (P 2,000, F 18,000); Σ F = 25,000.
// B = 20,000: overspend 5,000; within 10% of B (2,000) the fund bears 70% = 1,400 and the
// hospitals 600; the 3,000 beyond are the hospitals': 3,600 taken back by points 80:200 →
// 1,028.571… and 2,571.428…: floors 102,857 + 257,142, the fen to the larger remainder (H2).
// B = 30,000: surplus 5,000; retained min(50% × 5,000, 5% × 30,000) = 1,500 → 428.57 and
// 1,071.43.
func TestRateModeGolden(t *testing.T) {
	w := goldenWeights(t)
	pol := testPolicy(t)
	pol.Mode.Value = "rate"
	pol.Rate.Rate = 10000
	cases := []PayCase{
		{ID: "a", Hospital: "H1", DRG: "AA11", Status: StatusGrouped, Cost: 400000, LOS: 5, PatientPaid: 100000},
		{ID: "b", Hospital: "H2", DRG: "BB11", Status: StatusGrouped, Cost: 1000000, LOS: 5, PatientPaid: 200000},
	}
	res, err := Pay(cases, w, pol, 2000000)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Rate
	if r.FundAtRate != 2500000 || r.Overspend != 500000 || r.FundBears != 140000 || r.HospitalsBear != 360000 {
		t.Fatalf("rate sharing %+v", r)
	}
	if res.Hospitals[0].RateSharing != -102857 || res.Hospitals[1].RateSharing != -257143 || res.Hospitals[1].FundPaid != 1800000-257143 {
		t.Fatalf("hospitals %+v", res.Hospitals)
	}
	res, err = Pay(cases, w, pol, 3000000)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rate.Surplus != 500000 || res.Rate.Retained != 150000 || res.Hospitals[0].RateSharing != 42857 || res.Hospitals[1].RateSharing != 107143 {
		t.Fatalf("surplus %+v %+v", res.Rate, res.Hospitals)
	}
}

// One hospital, B = 1,200.00: a twelfth (100.00) per month. Months 1 and 2 have one AA11
// case each, so each month's expected fund payment is 100.00: advance 90.00, deposit
// 3.00. F = 1,200.00 for the year; grade 一般 returns 80% of the 6.00 withheld = 4.80:
// due = 1,200 − 180 − 6 + 4.80 = 1,018.80.
func TestClearYearGolden(t *testing.T) {
	w := goldenWeights(t)
	cases := []PayCase{
		{ID: "a", Hospital: "H1", DRG: "AA11", Status: StatusGrouped, Cost: 400000, LOS: 5, Month: 1},
		{ID: "b", Hospital: "H1", DRG: "AA11", Status: StatusGrouped, Cost: 400000, LOS: 5, Month: 2},
	}
	pol := DefaultPolicy()
	res, err := Pay(cases, w, pol, 120000)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := ClearYear(res, pol, map[string]string{"H1": "一般"})
	if err != nil {
		t.Fatal(err)
	}
	c := cl[0]
	if c.Months[0].Advance != 9000 || c.Months[0].Withheld != 300 || c.Months[2].Advance != 0 {
		t.Fatalf("months %+v", c.Months)
	}
	if c.Prepaid != 18000 || c.Withheld != 600 || c.Returned != 480 || c.Due != 101880 || c.ReturnShare != 8000 {
		t.Fatalf("clearing %+v", c.Clearing)
	}
	// stored grade codes map through grade_aliases; no grade returns the ungraded share
	if pol.ReturnShare("average") != 8000 || pol.ReturnShare("poor") != 5000 || pol.ReturnShare("") != RatioOne {
		t.Fatal("grade aliases")
	}
}

// Properties on random regions: no case dropped, Σ A_h = B + P to the fen, each
// hospital's case amounts add up to A_h, and F_h = A_h − P_h − D_h.
func TestPayProperties(t *testing.T) {
	w := goldenWeights(t)
	r := rand.New(rand.NewPCG(1, 2))
	drgs := []string{"AA11", "BB11", "CC11", "TR11", "ZZ11"}
	for trial := 0; trial < 200; trial++ {
		n := 1 + r.IntN(300)
		cases := make([]PayCase, n)
		for i := range cases {
			c := PayCase{ID: fmt.Sprint(i), Hospital: fmt.Sprintf("H%d", r.IntN(7)), DRG: drgs[r.IntN(len(drgs))], Status: StatusGrouped,
				Cost: yibao.Fen(1 + r.IntN(5_000_000)), LOS: r.IntN(80), DischargeWay: fmt.Sprint(1 + r.IntN(5)), Month: 1 + r.IntN(12)}
			c.PatientPaid = yibao.Fen(r.Int64N(int64(c.Cost) + 1))
			switch r.IntN(12) {
			case 0:
				c.Status = StatusUngroupable
			case 1:
				c.Review = "approved"
				c.Status = StatusFailed
			case 2:
				c.Deduction = yibao.Fen(r.IntN(10000))
			case 3:
				c.Void = "split_admission"
			}
			cases[i] = c
		}
		cases[0].Status, cases[0].DRG, cases[0].LOS, cases[0].Void = StatusGrouped, "AA11", 5, "" // at least one earning case
		budget := yibao.Fen(r.Int64N(1_000_000_000))
		res, err := Pay(cases, w, DefaultPolicy(), budget)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Cases) != n {
			t.Fatalf("trial %d: %d cases in, %d out", trial, n, len(res.Cases))
		}
		var sumA yibao.Fen
		var cases2 int
		perHosp := map[string]yibao.Fen{}
		perFund := map[string]yibao.Fen{}
		for i, c := range res.Cases {
			if c.ID != cases[i].ID {
				t.Fatalf("trial %d: order changed", trial)
			}
			perHosp[c.Hospital] += c.Amount
			perFund[c.Hospital] += c.FundPaid
		}
		for _, h := range res.Hospitals {
			sumA += h.Amount
			cases2 += h.Cases
			if perHosp[h.Hospital] != h.Amount || perFund[h.Hospital] != h.FundPaid || h.FundPaid != h.Amount-h.PatientPaid-h.Deduction {
				t.Fatalf("trial %d: hospital %s cases %d/%d fund %d/%d", trial, h.Hospital, perHosp[h.Hospital], h.Amount, perFund[h.Hospital], h.FundPaid)
			}
		}
		if sumA != budget+res.Points.PatientPaid || cases2 != n {
			t.Fatalf("trial %d: Σ A = %d, B + P = %d", trial, sumA, budget+res.Points.PatientPaid)
		}
		if _, err := ClearYear(res, DefaultPolicy(), nil); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPoliciesLoadAndRefuse(t *testing.T) {
	for _, name := range BuiltinPolicies() {
		if _, err := BuiltinPolicy(name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if p, _ := BuiltinPolicy("example-rate"); !p.Example || p.Mode.Value != "rate" {
		t.Fatal("the example policy must be labelled an example")
	}
	b := []byte(`{"format":"drg-payment-policy","version":"x","mode":{"value":"points","source":""}}`)
	if _, err := ParsePolicy(b); err == nil {
		t.Fatal("a rule without source must be refused")
	}
	if _, err := ParsePolicy([]byte(`{"format":"drg-payment-policy","version":"x","modus":{}}`)); err == nil {
		t.Fatal("an unknown field must be refused")
	}
	o, err := ParseCoefficientOverlay([]byte(`{"version":"t1","source":"evaluation 2025","coefficients":{"hospitals":{"H001":1.02},"drgs":{"GB11":0.98},"technologies":[{"id":"lap_appendectomy","name":"腹腔镜阑尾切除术","procedures":["47.01"],"drgs":["GB11"],"coefficient":1.1}],"min":0.8,"max":1.2}}`))
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultPolicy().WithCoefficients(o)
	if p.Coefficients.Hospitals["H001"] != 10200 || p.Coefficients.Technologies[0].Coefficient != 11000 || p.Validate() != nil {
		t.Fatalf("overlay %+v", p.Coefficients)
	}
}

// A uniform weight scale cannot move money in point mode, and the simulation says so; a
// budget scale moves the total.
func TestSimulateKnobs(t *testing.T) {
	w := goldenWeights(t)
	cases := []PayCase{
		{ID: "a", Hospital: "H1", DRG: "AA11", Status: StatusGrouped, Cost: 400000, LOS: 5, PatientPaid: 100000},
		{ID: "b", Hospital: "H2", DRG: "BB11", Status: StatusGrouped, Cost: 2500000, LOS: 5, PatientPaid: 200000},
	}
	sc, err := ParseScenario([]byte(`{"name":"s","weight_scale":0.98,"budget_scale":1.1,"policy":{"high_ratio":{"share":0.5}}}`))
	if err != nil {
		t.Fatal(err)
	}
	sim, err := Simulate(cases, w, DefaultPolicy(), 1000000, sc)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]KnobEffect{}
	for _, k := range sim.Knobs {
		got[k.Knob] = k
	}
	if k := got["weight_scale"]; k.HospitalsChanged != 0 || k.Note == "" {
		t.Errorf("weight scale %+v", k)
	}
	if k := got["budget_scale"]; k.TotalDiffFen != 100000 {
		t.Errorf("budget scale %+v", k)
	}
	if k := got["policy"]; k.HospitalsChanged != 2 || k.TotalDiffFen != 0 {
		t.Errorf("policy knob %+v", k)
	}
}

// Benefit calculator (for simulation only): employee, level 3, deductible 900, ratio 0.8,
// ceiling 10,000 per year. Stay 1 costs 10,900: fund (10,900 − 900) × 0.8 = 8,000, patient
// 2,900. Stay 2 costs 5,900: fund 4,000 but only 2,000 of the ceiling is left → patient
// 3,900. Raising the ratio to 0.9 moves stay 1's patient payment by 1,900 − 2,900 = −1,000.
func TestBenefitCalculatorGolden(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2025, 1, day, 0, 0, 0, 0, time.UTC) }
	cur := []Benefit{{InsuType: "310", Level: 3, Deductible: 90000, Ratio: 8000, Ceiling: 1000000}}
	cs := []BenefitCase{
		{ID: "2", InsuType: "310", Level: 3, Person: "p", Discharge: d(9), Cost: 590000},
		{ID: "1", InsuType: "310", Level: 3, Person: "p", Discharge: d(3), Cost: 1090000},
	}
	got := PatientShares(cs, cur)
	if got[1] != 290000 || got[0] != 390000 {
		t.Fatalf("patient shares %v", got)
	}
	prop := []Benefit{{InsuType: "310", Level: 3, Deductible: 90000, Ratio: 9000, Ceiling: 1000000}}
	ch := &BenefitChange{Current: cur, Proposed: prop}
	pc := []PayCase{{ID: "1", Cost: 1090000, PatientPaid: 300000, Benefit: &cs[1]}}
	out, missing, _ := ch.applyBenefits(pc)
	if missing != 0 || out[0].PatientPaid != 200000 {
		t.Fatalf("benefit change %+v", out[0])
	}
}

// Quota: ⌊5% × 59⌋ = 2 approvals; the third is refused. ⌊5% × 19⌋ = 0.
func TestReviewQuota(t *testing.T) {
	if ReviewQuota(59, 500) != 2 || ReviewQuota(19, 500) != 0 || ReviewQuota(100, 500) != 5 {
		t.Fatal("quota")
	}
	if CheckApproval("H1", "2025", 1, 59, 500) != nil || CheckApproval("H1", "2025", 2, 59, 500) == nil {
		t.Fatal("approval check")
	}
}
