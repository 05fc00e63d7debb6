package evaluate

import (
	"math"
	"testing"
)

// Hand calculations of the hypergeometric tail: with 6 cases, 3 in each group and 1 event,
// P(the event is in the first group) = 3/6; with 3 events all in the first group, 1/C(6,3) =
// 1/20. 2 of 14 against 3 of 100: Σ_{x≥2} C(5,x)·C(109,14−x) / C(114,14) = 0.1132032…;
// 8 of 20 against 2 of 100: 5.5186e-06 (the same sum, exact integers).
func TestFisherGreaterGolden(t *testing.T) {
	for _, c := range []struct {
		k1, n1, k2, n2 int
		want           float64
	}{
		{1, 3, 0, 3, 0.5},
		{3, 3, 0, 3, 0.05},
		{2, 14, 3, 100, 0.11320321252785157},
		{8, 20, 2, 100, 5.518586261213298e-06},
		{0, 10, 5, 10, 1},
	} {
		if got := FisherGreater(c.k1, c.n1, c.k2, c.n2); math.Abs(got-c.want) > 1e-9*math.Max(1, c.want) && math.Abs(got-c.want) > 1e-12 {
			t.Errorf("FisherGreater(%d/%d vs %d/%d) = %v, want %v", c.k1, c.n1, c.k2, c.n2, got, c.want)
		}
	}
}

// A technology 12.3 points worse on complications in 14 cases (2 vs 3 of 100) is not
// condemned: p = 0.113 ≥ 0.05. With 8 of 20 it is.
func TestWorseOutcomeNeedsSignificance(t *testing.T) {
	cat := &TechCatalogue{Rules: TechRules{DoubleBetterCoef: 1.1, WorseOutcomeCoef: 0.95, OutcomeMarginPP: 2, OutcomeAlpha: 0.05, MinCases: 10, CoefMin: 0.9, CoefMax: 1.1},
		Technologies: []Technology{{ID: "t", NameZh: "测试技术", Procedures: []string{"47.01"}}}}
	mk := func(techCases, techComp, altCases, altComp int) []TechCase {
		var cs []TechCase
		for i := 0; i < techCases; i++ {
			cs = append(cs, TechCase{DRG: "GB1", Hospital: "H1", Procedures: []string{"47.01"}, LOS: 5, Cost: 100, Complication: i < techComp})
		}
		for i := 0; i < altCases; i++ {
			cs = append(cs, TechCase{DRG: "GB1", Hospital: "H2", LOS: 5, Cost: 100, Complication: i < altComp})
		}
		return cs
	}
	region := func(rs []TechResult) TechResult {
		for _, r := range rs {
			if r.Hospital == "" {
				return r
			}
		}
		t.Fatal("no region result")
		return TechResult{}
	}
	if r := region(cat.EvaluateTechnologies(mk(14, 2, 100, 3))); r.Coefficient != 1 || contains(r.Flags, "疗效较差") {
		t.Errorf("2 of 14 vs 3 of 100 judged worse: %+v", r)
	}
	if r := region(cat.EvaluateTechnologies(mk(20, 8, 100, 2))); r.Coefficient != 0.95 || !contains(r.Flags, "疗效较差") {
		t.Errorf("8 of 20 vs 2 of 100 not judged worse: %+v", r)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
