package dip_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/dip"
	"github.com/yibao-dev/yibao/payment"
)

func yuan(s string) yibao.Fen {
	f, err := yibao.ParseYuan(s)
	if err != nil {
		panic(err)
	}
	return f
}

// testEngine uses the built-in policy and class table with small hand-made CC/MCC tables:
// C1 is a CC of exclusion table 2, M1 an MCC of table 1; principal K35.800 excludes table 2.
func testEngine(t *testing.T, edit func(p *dip.Policy)) *dip.Engine {
	t.Helper()
	p := dip.DefaultPolicy()
	if edit != nil {
		edit(p)
	}
	return &dip.Engine{Policy: p, Classes: dip.BuiltinClasses(),
		Severity: &dip.SeverityTables{MCC: map[string]string{"M1": "1"}, CC: map[string]string{"C1": "2"}, CCE: map[string]string{"K35.800": "2"}}}
}

func TestDefaultPolicyValid(t *testing.T) {
	p := dip.DefaultPolicy()
	r := p.Rules
	if r.CoreMinCases.Value != 15 || r.LowRatio.Value != 5000 || r.HighRatio.Value != 20000 || r.SpecialRatio.Value != 50000 {
		t.Fatalf("defaults differ from issue 13: %+v", r)
	}
	if _, err := dip.ParsePolicy([]byte(`{"format":"yibao-dip-policy","version":"x","rules":{"core_min_cases":{"value":0,"source":"local choice"}}}`)); err == nil {
		t.Fatal("core_min_cases 0 accepted")
	}
	if _, err := dip.ParsePolicy([]byte(`{"format":"yibao-dip-policy","version":"x","rules":{"core_min_cases":{"value":20}}}`)); err == nil {
		t.Fatal("a rule without a source accepted")
	}
	q, err := dip.ParsePolicy([]byte(`{"format":"yibao-dip-policy","version":"city-1","rules":{"core_min_cases":{"value":20,"source":"local choice"}}}`))
	if err != nil || q.Rules.CoreMinCases.Value != 20 || q.Rules.HighRatio.Value != 20000 {
		t.Fatalf("partial policy: %v %+v", err, q)
	}
}

func TestProcedureClasses(t *testing.T) {
	c := dip.BuiltinClasses()
	for code, want := range map[string]string{
		"47.0901":     dip.ClassSurgery,     // appendectomy: operating room (CHS-DRG 有效手术操作)
		"51.2300":     dip.ClassSurgery,     // laparoscopic cholecystectomy
		"45.1300x004": dip.ClassDiagnostic,  // gastroscopy
		"03.3100":     dip.ClassDiagnostic,  // lumbar puncture
		"88.5600":     dip.ClassDiagnostic,  // coronary arteriography
		"39.9500":     dip.ClassTherapeutic, // haemodialysis
		"99.2500":     dip.ClassTherapeutic, // chemotherapy
		"96.7201":     dip.ClassTherapeutic, // ventilation ≥ 96 h
		"89.5200":     dip.ClassAncillary,   // ECG
		"87.4400":     dip.ClassAncillary,   // chest X-ray
		"96.0400":     dip.ClassAncillary,   // intubation
		"36.0700":     dip.ClassAncillary,   // stent adjunct code to PTCA
		"garbage":     dip.ClassAncillary,
	} {
		if got := c.Class(code); got != want {
			t.Errorf("%s: class %s, want %s", code, got, want)
		}
	}
}

// refSet is the hand-made reference set of docs/dip.md §9: hand calculation
// Ā = (15×6000 + 14×9000 + 15×3000 + 2×4000) / 46 = 5847.83.
func refSet() []dip.Case {
	var cs []dip.Case
	add := func(n int, pdx, procs, cost string) {
		for i := 0; i < n; i++ {
			c := dip.Case{ID: fmt.Sprintf("%s-%s-%d", pdx, procs, i), Age: 40, AgeDays: -1, LOS: 5, Diagnoses: []string{pdx}, Cost: yuan(cost), Level: "3"}
			if procs != "" {
				c.Procedures = strings.Split(procs, "|")
			}
			cs = append(cs, c)
		}
	}
	add(10, "K35.800", "47.0901", "6000")
	add(5, "K35.801", "47.0901|89.5200", "6000") // ancillary ECG ignored: same combination, same subcategory
	add(14, "K35.800", "47.0100", "9000")        // 14 < 15: comprehensive
	add(15, "J18.900", "", "3000")
	add(2, "J18.000", "45.1300", "4000")
	return cs
}

func TestCatalogueConstruction(t *testing.T) {
	e := testEngine(t, nil)
	cat, err := e.Build(refSet())
	if err != nil {
		t.Fatal(err)
	}
	if cat.OverallMean != yuan("5847.83") {
		t.Fatalf("Ā = %s, want 5847.83", cat.OverallMean)
	}
	want := map[string]struct {
		kind, category, class string
		cases                 int
		mean, score           string
	}{
		"K35.8:47.0901": {"core", "K35.8", dip.ClassSurgery, 15, "6000.00", "1026.0216"},
		"K35:综合-相关手术":   {"comprehensive", "K35", dip.ClassSurgery, 14, "9000.00", "1539.0324"},
		"J18.9:保守治疗":    {"core", "J18.9", dip.ClassConservative, 15, "3000.00", "513.0108"},
		"J18:综合-诊断性操作":  {"comprehensive", "J18", dip.ClassDiagnostic, 2, "4000.00", "684.0144"},
		"*:综合-保守治疗":     {"comprehensive", "*", dip.ClassConservative, 15, "3000.00", "513.0108"},
		"*:综合-诊断性操作":    {"comprehensive", "*", dip.ClassDiagnostic, 2, "4000.00", "684.0144"},
		"*:综合-治疗性操作":    {"comprehensive", "*", dip.ClassTherapeutic, 0, "5847.83", "1000.0000"},
		"*:综合-相关手术":     {"comprehensive", "*", dip.ClassSurgery, 29, "7448.28", "1273.6827"}, // 216000/29 = 7448.28; /5847.83 × 1000
	}
	if len(cat.Groups) != len(want) {
		for _, g := range cat.Groups {
			t.Log(g.Code)
		}
		t.Fatalf("%d groups, want %d", len(cat.Groups), len(want))
	}
	for _, g := range cat.Groups {
		w, ok := want[g.Code]
		if !ok {
			t.Errorf("unexpected group %s", g.Code)
			continue
		}
		if g.Kind != w.kind || g.Category != w.category || g.Class != w.class || g.Cases != w.cases || g.Mean.String() != w.mean || g.Score.String() != w.score {
			t.Errorf("%s: got %s %s %s %d %s %s, want %+v", g.Code, g.Kind, g.Category, g.Class, g.Cases, g.Mean, g.Score, w)
		}
	}
	// Every reference case lands in exactly one group, and payment cases too.
	for _, tc := range []struct {
		pdx, procs, group, route string
	}{
		{"K35.800", "89.5200|47.0901", "K35.8:47.0901", "core"},
		{"K35.800", "47.0100", "K35:综合-相关手术", "comprehensive"},
		{"K35.800", "47.0100|47.0901", "K35:综合-相关手术", "comprehensive"}, // unseen combination
		{"K35.800", "99.2500", "*:综合-治疗性操作", "catch-all"},              // seen category, unseen class
		{"Z99.900", "", "*:综合-保守治疗", "catch-all"},                      // unseen category
		{"Z99.900", "47.0901", "*:综合-相关手术", "catch-all"},
		{"", "47.0901", "*:综合-相关手术", "catch-all"}, // no principal diagnosis
	} {
		c := dip.Case{ID: "x", Diagnoses: []string{tc.pdx}, AgeDays: -1, Cost: yuan("100")}
		if tc.procs != "" {
			c.Procedures = strings.Split(tc.procs, "|")
		}
		a, err := e.Assign(cat, &c)
		if err != nil || a.Group.Code != tc.group || a.Route != tc.route {
			t.Errorf("%s %s: got %v %+v, want %s %s", tc.pdx, tc.procs, err, a.Group, tc.group, tc.route)
		}
	}
}

// goldenCatalogue: S_g = 1200, Ā_g = 10000, Ā_{g,3} = 12000, tiers cc 1.2 and age_elderly
// 1.1; Ā = 8000.
func goldenCatalogue() *dip.Catalogue {
	g := dip.Group{Code: "K35.8:47.0901", Kind: dip.KindCore, Category: "K35.8", Class: dip.ClassSurgery, Procedures: []string{"47.0901"},
		Cases: 100, Mean: yuan("10000"), Score: 12000000, LevelMeans: map[string]yibao.Fen{"3": yuan("12000")},
		Tiers: map[string]payment.Ratio{"cc": 12000, "age_elderly": 11000}}
	cat := &dip.Catalogue{Policy: "default-2025.1", OverallMean: yuan("8000"), Groups: []dip.Group{g}}
	for _, cl := range dip.Classes {
		cat.Groups = append(cat.Groups, dip.Group{Code: dip.ComprehensiveCode(dip.CatchAllCategory, cl), Kind: dip.KindComprehensive,
			Category: dip.CatchAllCategory, Class: cl, Mean: yuan("8000"), Score: 10000000})
	}
	return cat
}

func TestPointsTableGolden(t *testing.T) {
	e := testEngine(t, func(p *dip.Policy) { p.Rules.HospitalCoefficients.Value = map[string]payment.Ratio{"HK": 10500} })
	cat := goldenCatalogue()
	for _, tc := range []struct {
		name      string
		cost      string
		level     string
		hospital  string
		age, los  int
		secondary string
		review    string
		kind      string
		points    string
		aux       string
	}{
		{"normal r=1", "12000", "3", "H", 40, 5, "", "", "normal", "1200.0000", "1.0000"},
		{"normal, CC and ≥65: highest tier 1.2, K_h 1.05", "12000", "3", "HK", 70, 5, "C1", "", "normal", "1512.0000", "1.2000"},
		{"normal, CC excluded by the principal's table", "12000", "3", "H", 40, 5, "C1x", "", "normal", "1200.0000", "1.0000"},
		{"normal, ≥65 only", "12000", "3", "H", 70, 5, "", "", "normal", "1320.0000", "1.1000"},
		{"low r=0.25: S×r", "3000", "3", "H", 40, 5, "", "", "low", "300.0000", "1.0000"},
		{"low just under 0.5", "5999.99", "3", "H", 40, 5, "", "", "low", "599.9990", "1.0000"},
		{"r=0.5 is normal", "6000", "3", "H", 40, 5, "", "", "normal", "1200.0000", "1.0000"},
		{"r=2 is normal", "24000", "3", "H", 40, 5, "", "", "normal", "1200.0000", "1.0000"},
		{"high r=2.5: S×(r−2+1)", "30000", "3", "H", 40, 5, "", "", "high", "1800.0000", "1.0000"},
		{"high r=5", "60000", "3", "H", 40, 5, "", "", "high", "4800.0000", "1.0000"},
		{"special r>5 pending", "60000.01", "3", "H", 40, 5, "", "", "special_review", "0.0000", "1.0000"},
		{"special approved: C/Ā×1000 = 7500.00125", "60000.01", "3", "H", 40, 5, "", "approved", "special_review", "7500.0013", "1.0000"},
		{"special rejected: high rule", "60000.01", "3", "H", 40, 5, "", "rejected", "special_review", "4800.0010", "1.0000"},
		{"LOS 61 > 60: special", "12000", "3", "H", 40, 61, "", "", "special_review", "0.0000", "1.0000"},
		{"LOS 60: normal", "12000", "3", "H", 40, 60, "", "", "normal", "1200.0000", "1.0000"},
		{"level without a mean falls back to all levels", "10000", "2", "H", 40, 5, "", "", "normal", "1200.0000", "1.0000"},
		{"low at the all-level mean", "2500", "", "H", 40, 5, "", "", "low", "300.0000", "1.0000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dx := []string{"K35.800"}
			if tc.secondary == "C1" {
				dx = []string{"K35.801", "C1"} // K35.801 has no exclusion table
			} else if tc.secondary == "C1x" {
				dx = []string{"K35.800", "C1"}
			}
			c := dip.Case{ID: "c", Age: tc.age, AgeDays: -1, LOS: tc.los, Diagnoses: dx, Procedures: []string{"47.0901"},
				Hospital: tc.hospital, Level: tc.level, Cost: yuan(tc.cost), Review: tc.review}
			p, err := e.Price(cat, &c)
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != tc.kind || p.Points.String() != tc.points || p.Aux.String() != tc.aux {
				t.Fatalf("got %s %s aux %s, want %s %s aux %s", p.Kind, p.Points, p.Aux, tc.kind, tc.points, tc.aux)
			}
		})
	}
}

func TestPointsRoundHalfAwayFromZero(t *testing.T) {
	e := testEngine(t, nil)
	cat := goldenCatalogue()
	cat.Groups[0].Score = 12345678 // 1234.5678
	c := dip.Case{ID: "c", AgeDays: -1, Diagnoses: []string{"K35.800"}, Procedures: []string{"47.0901"}, Level: "3", Cost: yuan("3000")}
	p, _ := e.Price(cat, &c)
	if p.Kind != dip.KindLow || p.Points.String() != "308.6420" { // 1234.5678 × 0.25 = 308.64195
		t.Fatalf("got %s %s, want low 308.6420", p.Kind, p.Points)
	}
}

func TestAuxiliaryTiers(t *testing.T) {
	e := testEngine(t, nil)
	var cs []dip.Case
	for i := 0; i < 15; i++ {
		cs = append(cs, dip.Case{ID: fmt.Sprint("n", i), Age: 40, AgeDays: -1, LOS: 5, Diagnoses: []string{"J18.900"}, Cost: yuan("5000")})
		cs = append(cs, dip.Case{ID: fmt.Sprint("c", i), Age: 40, AgeDays: -1, LOS: 5, Diagnoses: []string{"J18.900", "C1"}, Cost: yuan("7000")})
	}
	// Two early deaths: too few for a tier of their own.
	cs = append(cs, dip.Case{ID: "d1", Age: 40, AgeDays: -1, LOS: 2, Discharge: "5", Diagnoses: []string{"J18.900"}, Cost: yuan("6000")},
		dip.Case{ID: "d2", Age: 40, AgeDays: -1, LOS: 3, Discharge: "5", Diagnoses: []string{"J18.900"}, Cost: yuan("6000")})
	cat, err := e.Build(cs)
	if err != nil {
		t.Fatal(err)
	}
	g := cat.Group("J18.9:保守治疗")
	if g == nil || g.Mean != yuan("6000") {
		t.Fatalf("group %+v", g)
	}
	// Hand calculation: group mean (15×5000 + 15×7000 + 2×6000)/32 = 6000; cc 7000/6000 =
	// 1.1667; none (the deaths have no CC) (15×5000 + 2×6000)/17 = 5117.65 → 0.8529;
	// death_early has 2 < 15 cases.
	if g.Tiers["cc"] != 11667 || g.Tiers["none"] != 8529 || len(g.Tiers) != 2 {
		t.Fatalf("tiers %v", g.Tiers)
	}
	for _, tc := range []struct {
		tiers []string
		want  payment.Ratio
	}{{[]string{"cc"}, 11667}, {[]string{"none"}, 8529}, {[]string{"none", "death_early"}, 10000}, {nil, 10000}} {
		if got := g.AuxCoefficient(tc.tiers); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.tiers, got, tc.want)
		}
	}
	for _, tc := range []struct {
		c    dip.Case
		want []string
	}{
		{dip.Case{Age: 0, AgeDays: 28, Diagnoses: []string{"P07.300"}}, []string{"none", "age_neonate"}},
		{dip.Case{Age: 0, AgeDays: 29, Diagnoses: []string{"P07.300"}}, []string{"none", "age_infant"}},
		{dip.Case{Age: 65, AgeDays: -1, Diagnoses: []string{"I10.x00", "M1"}}, []string{"mcc", "age_elderly"}},
		{dip.Case{Age: 64, AgeDays: -1, LOS: 4, Discharge: "5", Diagnoses: []string{"I10.x00", "C1"}}, []string{"cc", "death_late"}},
		{dip.Case{Age: 64, AgeDays: -1, LOS: 3, Discharge: "5", Diagnoses: []string{"I10.x00"}}, []string{"none", "death_early"}},
	} {
		if got := e.TiersOf(&tc.c); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%+v: tiers %v, want %v", tc.c, got, tc.want)
		}
	}
}

func TestSettlementPVAndRemainders(t *testing.T) {
	e := testEngine(t, nil)
	cat := goldenCatalogue()
	mk := func(id, h, cost, paid string) dip.Case {
		return dip.Case{ID: id, AgeDays: -1, Diagnoses: []string{"K35.800"}, Procedures: []string{"47.0901"}, Hospital: h, Level: "3",
			Cost: yuan(cost), Paid: yuan(paid)}
	}
	cases := []dip.Case{mk("a", "HA", "12000", "100"), mk("b", "HB", "12000", "100"), mk("c", "HC", "12000", "100"),
		mk("p", "HC", "70000", "5000")} // pending special review: no points, its payment not in P
	cases[2].Deduction = yuan("50")
	var priced []dip.Priced
	for i := range cases {
		p, err := e.Price(cat, &cases[i])
		if err != nil {
			t.Fatal(err)
		}
		priced = append(priced, p)
	}
	s, err := dip.Settle(priced, yuan("100.01"))
	if err != nil {
		t.Fatal(err)
	}
	// Hand calculation: T = 3 × 1200 = 3600, P = 300.00, B + P = 400.01 = 40001 fen; each
	// hospital ⌊40001/3⌋ = 13333 fen, two fen left, one each to the smallest codes on the
	// tie: HA and HB.
	if s.Points.TotalPoints != 36000000 || s.Points.PatientPaid != yuan("300") || s.Points.PointValueString(6) != "0.111114" {
		t.Fatalf("T %s P %s PV %s", s.Points.TotalPoints, s.Points.PatientPaid, s.Points.PointValueString(6))
	}
	want := map[string][2]string{"HA": {"133.34", "33.34"}, "HB": {"133.34", "33.34"}, "HC": {"133.33", "-16.67"}}
	for _, h := range s.Points.Hospitals {
		if w := want[h.Hospital]; h.Amount.String() != w[0] || h.FundPaid.String() != w[1] {
			t.Errorf("%s: amount %s fund %s, want %v", h.Hospital, h.Amount, h.FundPaid, w)
		}
	}
	if p := s.Cases[3]; p.Amount != 0 || p.FundPaid != 0 || !p.Pending {
		t.Errorf("pending case: %+v", p)
	}
}

// TestPropertyNothingDroppedAndSumExact: random cases of every kind; every case is paid in
// exactly one group and Σ amounts = B + P to the fen.
func TestPropertyNothingDroppedAndSumExact(t *testing.T) {
	e := testEngine(t, nil)
	cat, err := e.Build(refSet())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pdx := []string{"K35.800", "K35.801", "J18.900", "J18.000", "Z99.900", "", "A01.000"}
	procs := []string{"", "47.0901", "47.0100", "45.1300", "99.2500", "89.5200", "47.0901|89.5200", "zz"}
	for round := 0; round < 50; round++ {
		n := 1 + rng.IntN(200)
		cases := make([]dip.Case, n)
		for i := range cases {
			c := dip.Case{ID: fmt.Sprint(i), AgeDays: -1, Age: rng.IntN(90), LOS: 1 + rng.IntN(80), Hospital: fmt.Sprint("H", rng.IntN(7)),
				Level: fmt.Sprint(1 + rng.IntN(3)), Cost: yibao.Fen(rng.Int64N(5_000_000)), Diagnoses: []string{pdx[rng.IntN(len(pdx))]}}
			c.Paid = yibao.Fen(rng.Int64N(int64(c.Cost) + 1))
			if p := procs[rng.IntN(len(procs))]; p != "" {
				c.Procedures = strings.Split(p, "|")
			}
			c.Review = []string{"", "", "approved", "rejected"}[rng.IntN(4)]
			if rng.IntN(10) == 0 {
				c.Deduction = yibao.Fen(rng.Int64N(10000))
			}
			cases[i] = c
		}
		var priced []dip.Priced
		for i := range cases {
			p, err := e.Price(cat, &cases[i])
			if err != nil {
				t.Fatal(err)
			}
			priced = append(priced, p)
		}
		budget := yibao.Fen(rng.Int64N(1_000_000_000))
		s, err := dip.Settle(priced, budget)
		if err != nil {
			if strings.Contains(err.Error(), "no case earned points") {
				continue
			}
			t.Fatal(err)
		}
		if len(s.Cases) != n {
			t.Fatalf("%d cases in, %d out", n, len(s.Cases))
		}
		var sum, paid, fund, hfund yibao.Fen
		for _, c := range s.Cases {
			if c.Group == nil {
				t.Fatalf("case %s without a group", c.Case.ID)
			}
			sum += c.Amount
			if c.Earning {
				paid += c.Case.Paid
			}
			fund += c.FundPaid
		}
		for _, h := range s.Points.Hospitals {
			hfund += h.FundPaid
		}
		if sum != budget+paid || sum != s.Points.Total() || fund != hfund {
			t.Fatalf("Σ amounts %s, B + P %s + %s; Σ case fund %s vs hospitals %s", sum, budget, paid, fund, hfund)
		}
	}
}

func TestYearWeights(t *testing.T) {
	e := testEngine(t, func(p *dip.Policy) { p.Rules.YearWeights.Value = map[string]int{"2022": 1, "2023": 2, "2024": 7} })
	var cs []dip.Case
	for i, y := range []string{"2022", "2023", "2024"} {
		for j := 0; j < 5; j++ {
			cs = append(cs, dip.Case{ID: fmt.Sprint(y, j), AgeDays: -1, Diagnoses: []string{"J18.900"}, Year: y, Cost: yuan(fmt.Sprint(1000 * (i + 1)))})
		}
	}
	cat, err := e.Build(cs)
	if err != nil {
		t.Fatal(err)
	}
	// (1×1000 + 2×2000 + 7×3000) / 10 = 2600
	if g := cat.Group("*:综合-保守治疗"); g.Mean != yuan("2600") || cat.OverallMean != yuan("2600") {
		t.Fatalf("weighted mean %s / %s", g.Mean, cat.OverallMean)
	}
	cs[0].Year = "2019"
	if _, err := e.Build(cs); err == nil {
		t.Fatal("a year without a weight accepted")
	}
}

// The example policy parses and changes the outcome of the same case.
func TestExamplePolicy(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "example-city-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := dip.ParsePolicy(b)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Example || p.Rules.LowRatio.Value != 4000 || p.Rules.CoreMinCases.Value != 10 || p.Rules.TierMinCases.Value != 15 {
		t.Fatalf("%+v", p.Rules)
	}
	e := &dip.Engine{Policy: p, Classes: dip.BuiltinClasses(), Severity: dip.BuiltinSeverity()}
	cat := goldenCatalogue()
	c := dip.Case{ID: "c", AgeDays: -1, Diagnoses: []string{"K35.800"}, Procedures: []string{"47.0901"}, Level: "3", Cost: yuan("5400")}
	got, err := e.Price(cat, &c)
	if err != nil {
		t.Fatal(err)
	}
	// r = 0.45: low under the default (< 0.5), normal under the example (≥ 0.4) with the
	// level-3 coefficient 1.05: 1200 × 1.05 = 1260.
	if got.Kind != dip.KindNormal || got.Points.String() != "1260.0000" {
		t.Fatalf("example policy: %s %s", got.Kind, got.Points)
	}
}

// TestPropertyReferenceCasesInOneGroup: on random reference sets, assigning each reference
// case back finds the group that counted it, and the groups' raw counts add up to the set.
func TestPropertyReferenceCasesInOneGroup(t *testing.T) {
	e := testEngine(t, func(p *dip.Policy) { p.Rules.CoreMinCases.Value = 5 })
	rng := rand.New(rand.NewPCG(3, 4))
	pdx := []string{"K35.800", "K35.801", "K35.100", "J18.900", "J18.000", "I10.x00", "A01.000"}
	procs := []string{"", "47.0901", "47.0100", "45.1300", "99.2500", "89.5200", "47.0901|89.5200", "47.0100|54.1100"}
	for round := 0; round < 30; round++ {
		n := 1 + rng.IntN(300)
		cs := make([]dip.Case, n)
		for i := range cs {
			cs[i] = dip.Case{ID: fmt.Sprint(i), AgeDays: -1, Age: rng.IntN(90), Level: fmt.Sprint(1 + rng.IntN(3)),
				Diagnoses: []string{pdx[rng.IntN(len(pdx))]}, Cost: yibao.Fen(1 + rng.Int64N(2_000_000))}
			if p := procs[rng.IntN(len(procs))]; p != "" {
				cs[i].Procedures = strings.Split(p, "|")
			}
		}
		cat, err := e.Build(cs)
		if err != nil {
			t.Fatal(err)
		}
		counted := map[string]int{}
		for i := range cs {
			a, err := e.Assign(cat, &cs[i])
			if err != nil || a.Route == "catch-all" {
				t.Fatalf("reference case %+v: %v %s", cs[i], err, a.Route)
			}
			counted[a.Group.Code]++
		}
		total := 0
		for _, g := range cat.Groups {
			if g.Category == dip.CatchAllCategory {
				continue
			}
			total += g.RawCases
			if counted[g.Code] != g.RawCases || g.Cases > g.RawCases || g.Cases == 0 {
				t.Fatalf("group %s: raw %d retained %d, assigned back %d", g.Code, g.RawCases, g.Cases, counted[g.Code])
			}
		}
		if total != n {
			t.Fatalf("groups count %d of %d reference cases", total, n)
		}
	}
}
