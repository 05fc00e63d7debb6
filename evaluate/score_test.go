package evaluate

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/yibao-dev/yibao"
)

// testSystem: CMI (max, weight 0.5), routine cost index (min, 0.3), technology cost index
// (min, 0.2); expert weights only, scoring 80 ± 20 per spread, spread at least 10% of the
// median, tolerance 0.5 points.
func testSystem(t *testing.T) *System {
	t.Helper()
	s, err := ParseSystem([]byte(`{"version": "t", "blend_alpha": 1, "score_floor": 40,
	 "scoring": {"center": 80, "per_spread": 20, "min_spread_rel": 0.1}, "min_peer_size": 5, "tolerance": 0.5,
	 "grades": {"excellent": 88, "good": 82, "average": 75},
	 "linkage": {"dead_band": 1, "slope": 0.005, "top_max": 0.05, "bottom_max": 0.03, "coef_min": 0.85, "coef_max": 1.15,
	   "budget_by_grade": {"excellent": 0.05, "poor": -0.1}, "budget_neutral": true},
	 "indicators": [
	  {"id": "cmi", "direction": "max", "compute": "cmi", "weight": 0.5},
	  {"id": "cost_index_routine", "direction": "min", "compute": "cost_index_routine", "weight": 0.3},
	  {"id": "cost_index_tech", "direction": "min", "compute": "cost_index_tech", "weight": 0.2}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// facts with n cases, a CMI, a routine cost index and a technology cost index (tech < 0: no
// technology-dependent stays).
func mkFacts(h, group string, n int, cmi, routine, tech float64) Facts {
	f := Facts{Hospital: h, PeerGroup: group, Cases: n, Grouped: n, Weighted: n, SumRW: cmi * float64(n),
		CostKRoutine: routine * float64(n), CostNRoutine: float64(n)}
	if tech >= 0 {
		f.CostKTech, f.CostNTech, f.TechCases = tech*float64(n), float64(n), n
	}
	return f
}

func byHospital(rs []Result) map[string]Result {
	m := map[string]Result{}
	for _, r := range rs {
		m[r.Hospital] = r
	}
	return m
}

func indicator(r Result, id string) IndicatorValue {
	for _, iv := range r.Indicators {
		if iv.ID == id {
			return iv
		}
	}
	return IndicatorValue{}
}

// A 1% difference is worth about one point, not 60: five peers with routine cost indices
// 1.00, 1.01, 1.00, 1.00, 1.00 → median 1.00, population SD 0.004, spread max(0.004,
// 0.1 × 1.00) = 0.1; the 1.01 hospital scores 80 − 20 × 0.01 / 0.1 = 78.
func TestScoringSmallDifferences(t *testing.T) {
	s := testSystem(t)
	var fs []Facts
	for i, ci := range []float64{1.00, 1.01, 1.00, 1.00, 1.00} {
		fs = append(fs, mkFacts(fmt.Sprint("H", i), "3级-general", 100, 1, ci, 1))
	}
	rs, err := s.Evaluate(fs)
	if err != nil {
		t.Fatal(err)
	}
	if sc := indicator(rs[1], "cost_index_routine").Score; sc == nil || *sc != 78 {
		t.Fatalf("score %v, want 78", sc)
	}
	if sc := indicator(rs[0], "cost_index_routine").Score; *sc != 80 {
		t.Fatalf("median score %v, want 80", *sc)
	}
	// Composite: 0.5 × 80 + 0.3 × 78 + 0.2 × 80 = 79.4; the others 80. 0.6 points is more
	// than the tolerance (0.5): H1 ranks 5th but within the dead band keeps its coefficient.
	if rs[1].Score != 79.4 || rs[1].Rank != 5 || rs[0].Rank != 1 || rs[1].Grade != rs[0].Grade {
		t.Fatalf("%+v", rs[1])
	}
	adj, _ := Link(rs, nil, map[string]yibao.Fen{}, s.Linkage)
	if adj[1].CoefAfter != 1 {
		t.Fatalf("coefficient %v inside the dead band", adj[1].CoefAfter)
	}
}

// No data is neither best nor worst: H5 has no technology-dependent stays; its
// cost_index_tech is null with a null score, grey, weight 0, and its composite is
// renormalised over the other two indicators: (0.5 × s_cmi + 0.3 × s_routine) / 0.8.
// An indicator with fewer cases than its minimum (30) is null too.
func TestNoDataRenormalised(t *testing.T) {
	s := testSystem(t)
	fs := []Facts{
		mkFacts("H1", "g", 100, 1.0, 1.0, 0.9), mkFacts("H2", "g", 100, 1.1, 1.0, 1.0), mkFacts("H3", "g", 100, 0.9, 1.1, 1.1),
		mkFacts("H4", "g", 100, 1.0, 0.9, 1.0), mkFacts("H5", "g", 100, 1.0, 1.0, -1), mkFacts("H6", "g", 20, 1.0, 1.0, 1.0),
	}
	rs, err := s.Evaluate(fs)
	if err != nil {
		t.Fatal(err)
	}
	m := byHospital(rs)
	iv := indicator(m["H5"], "cost_index_tech")
	if iv.Value != nil || iv.Score != nil || iv.Light != "grey" || iv.Weight != 0 || iv.NoData != "no_data" {
		t.Fatalf("H5 tech %+v", iv)
	}
	c, r := indicator(m["H5"], "cmi"), indicator(m["H5"], "cost_index_routine")
	want := (0.5**c.Score + 0.3**r.Score) / 0.8
	if math.Abs(m["H5"].Score-want) > 0.01 || math.Abs(c.Weight-0.625) > 1e-6 || math.Abs(c.Contribution+r.Contribution-m["H5"].Score) > 0.01 {
		t.Fatalf("H5 composite %v, want %v (%+v %+v)", m["H5"].Score, want, c, r)
	}
	for _, iv := range m["H6"].Indicators {
		if iv.Value != nil || iv.NoData != "too_few_cases" {
			t.Fatalf("H6 (20 cases) %+v", iv)
		}
	}
	if !m["H6"].NoData || m["H6"].Grade != "no_data" || m["H6"].Rank != 0 {
		t.Fatalf("H6 %+v", m["H6"])
	}
	adj, _ := Link(rs, nil, map[string]yibao.Fen{"H1": 100, "H2": 100, "H3": 100, "H4": 100, "H5": 100, "H6": 100}, s.Linkage)
	for _, a := range adj {
		if a.Hospital == "H6" && (a.CoefAfter != 1 || a.BudgetAfter != 100) {
			t.Fatalf("H6 linkage %+v", a)
		}
	}
}

// A one-hospital peer group is merged: 3级-tcm (one hospital) joins 3级-general (five);
// two 2级 groups of two join into 2级-合并, which still has four and so joins the nearest
// level's largest group, 3级-general. A region of three hospitals stays one group below the
// minimum, and its coefficients do not move.
func TestOneHospitalPeerGroupMerged(t *testing.T) {
	s := testSystem(t)
	var fs []Facts
	for i := 0; i < 5; i++ {
		fs = append(fs, mkFacts(fmt.Sprint("G", i), "3级-general", 100, 1+0.05*float64(i), 1, 1))
	}
	fs = append(fs, mkFacts("T1", "3级-tcm", 100, 1.1, 1, 1))
	rs, err := s.Evaluate(fs)
	if err != nil {
		t.Fatal(err)
	}
	t1 := byHospital(rs)["T1"]
	if t1.PeerGroup != "3级-general" || t1.PeerSize != 6 || t1.PeerNote == "" || t1.PeerTooSmall || t1.Score == 100 {
		t.Fatalf("T1 %+v", t1)
	}
	groups, notes := MergePeers([]Facts{{Hospital: "a", PeerGroup: "2级-general"}, {Hospital: "b", PeerGroup: "2级-general"},
		{Hospital: "c", PeerGroup: "2级-tcm"}, {Hospital: "d", PeerGroup: "2级-tcm"},
		{Hospital: "e", PeerGroup: "3级-general"}, {Hospital: "f", PeerGroup: "3级-general"}, {Hospital: "g", PeerGroup: "3级-general"},
		{Hospital: "h", PeerGroup: "3级-general"}, {Hospital: "i", PeerGroup: "3级-general"}}, 5)
	if len(groups) != 1 || len(groups["3级-general"]) != 9 || notes["a"] == "" || notes["e"] != "" {
		t.Fatalf("groups %v notes %v", groups, notes)
	}
	small := []Facts{mkFacts("A", "3级-general", 100, 1.2, 0.9, 0.9), mkFacts("B", "3级-general", 100, 1, 1, 1), mkFacts("C", "2级-general", 100, 0.8, 1.1, 1.1)}
	rs, err = s.Evaluate(small)
	if err != nil {
		t.Fatal(err)
	}
	adj, _ := Link(rs, nil, map[string]yibao.Fen{}, s.Linkage)
	for i, r := range rs {
		if !r.PeerTooSmall || r.PeerSize != 3 || adj[i].CoefAfter != 1 {
			t.Fatalf("%+v %+v", r, adj[i])
		}
	}
}

var gradeOrder = map[string]int{"poor": 0, "average": 1, "good": 2, "excellent": 3}

// Property: within a peer group, a higher composite never has a worse grade, a worse rank
// or a lower coefficient change; equal cluster scores share all three.
func TestGradeNeverContradictsComposite(t *testing.T) {
	s := testSystem(t)
	rng := rand.New(rand.NewSource(7))
	for trial := 0; trial < 300; trial++ {
		var fs []Facts
		n := 5 + rng.Intn(20)
		for i := 0; i < n; i++ {
			tech := 0.6 + 0.8*rng.Float64()
			if rng.Intn(5) == 0 {
				tech = -1
			}
			cases := 30 + rng.Intn(300)
			if rng.Intn(10) == 0 {
				cases = 10
			}
			fs = append(fs, mkFacts(fmt.Sprint("H", i), []string{"3级-general", "3级-tcm"}[rng.Intn(2)], cases,
				0.6+rng.Float64(), 0.7+0.6*rng.Float64(), tech))
		}
		rs, err := s.Evaluate(fs)
		if err != nil {
			t.Fatal(err)
		}
		adj, _ := Link(rs, nil, map[string]yibao.Fen{}, s.Linkage)
		for i, a := range rs {
			for j, b := range rs {
				if a.PeerGroup != b.PeerGroup || a.NoData || b.NoData || a.Score <= b.Score {
					continue
				}
				if gradeOrder[a.Grade] < gradeOrder[b.Grade] || a.Rank > b.Rank || adj[i].CoefChange < adj[j].CoefChange || a.GradeScore < b.GradeScore ||
					a.Closeness < b.Closeness {
					t.Fatalf("trial %d: %s (%.2f, %s, rank %d, %+.4f) vs %s (%.2f, %s, rank %d, %+.4f)", trial,
						a.Hospital, a.Score, a.Grade, a.Rank, adj[i].CoefChange, b.Hospital, b.Score, b.Grade, b.Rank, adj[j].CoefChange)
				}
				if a.Score-b.Score < s.Tolerance && (a.Grade != b.Grade || a.Rank != b.Rank) {
					t.Fatalf("trial %d: %s and %s differ by %.2f < tolerance but are graded apart", trial, a.Hospital, b.Hospital, a.Score-b.Score)
				}
			}
		}
	}
}

// The definitions' policy is data of the system file; missing fields keep the defaults and
// nonsense is refused.
func TestSystemPolicy(t *testing.T) {
	s, err := DefaultSystem()
	if err != nil || s.Policy.ReadmitDays != 31 || s.Policy.TransferHours != 24 || s.Policy.RiskZ != -1 {
		t.Fatalf("%+v %v", s.Policy, err)
	}
	base := `{"version":"x","indicators":[{"id":"a","direction":"min","compute":"alos","weight":1}],"linkage":{"coef_min":1,"coef_max":1},`
	s, err = ParseSystem([]byte(base + `"policy":{"open_finding_weight":0.5}}`))
	if err != nil || s.Policy.OpenFindingWeight != 0.5 || s.Policy.ReadmitDays != 31 {
		t.Fatalf("%+v %v", s, err)
	}
	if _, err := ParseSystem([]byte(base + `"policy":{"readmit_days":0}}`)); err == nil {
		t.Fatal("readmission window 0 accepted")
	}
}
