package grouper_test

import (
	"fmt"
	"testing"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/grouper"
)

// Hand-computed: 20 appendicectomies at 6,000 yuan and 20 conservative appendicitis cases at
// 3,000 make two core groups; three rare combinations at 9,000 fall into the comprehensive
// surgical group of K35.8. Overall: 43 costs, the 2.5–97.5 percentile band [3,000, 9,000]
// keeps all, mean 207,000/43 = 4,813.95 yuan (481,395 fen). Scores: 6000/4813.95×1000 =
// 1246.38, 3000/4813.95×1000 = 623.19, 9000/4813.95×1000 = 1869.57.
func TestDIPCatalogueGolden(t *testing.T) {
	var cs []grouper.DIPCase
	for i := 0; i < 20; i++ {
		cs = append(cs, grouper.DIPCase{ID: fmt.Sprint("a", i), Principal: "K35.800x001", Procedures: []string{"47.0100"}, Cost: 600000})
		cs = append(cs, grouper.DIPCase{ID: fmt.Sprint("c", i), Principal: "K35.800", Cost: 300000})
	}
	cs = append(cs,
		grouper.DIPCase{ID: "r1", Principal: "K35.800x001", Procedures: []string{"47.0900", "54.1100"}, Cost: 900000},
		grouper.DIPCase{ID: "r2", Principal: "K35.800x001", Procedures: []string{"54.1100", "47.0900"}, Cost: 900000},
		grouper.DIPCase{ID: "r3", Principal: "K35.800x001", Procedures: []string{"47.0901"}, Cost: 900000},
		grouper.DIPCase{ID: "n", Procedures: []string{"47.0100"}, Cost: 1})
	cat, skipped, err := grouper.BuildDIPCatalogue("test", "2024.1", "2024", cs, 15)
	if err != nil || skipped != 1 {
		t.Fatal(err, skipped)
	}
	want := map[string]struct {
		cases int
		score float64
	}{
		"K35.8:47.0100": {20, 1246.38},
		"K35.8:保守":      {20, 623.19},
		"K35.8:综合-手术":   {3, 1869.57},
	}
	if len(cat.Groups) != len(want) {
		t.Fatalf("groups %+v", cat.Groups)
	}
	for _, g := range cat.Groups {
		w, ok := want[g.Code]
		if !ok || g.Cases != w.cases || g.Score != w.score {
			t.Errorf("group %+v, want %+v", g, w)
		}
	}
	if cat.OverallMean != 481395 {
		t.Errorf("overall mean %d, want 481395", cat.OverallMean)
	}
	for _, tc := range []struct {
		c    grouper.DIPCase
		code string
	}{
		{grouper.DIPCase{Principal: "K35.800x001", Procedures: []string{"47.0100"}}, "K35.8:47.0100"},
		{grouper.DIPCase{Principal: "K35.800x001", Procedures: []string{"47.0900", "54.1100"}}, "K35.8:综合-手术"},
		{grouper.DIPCase{Principal: "K35.800x001", Procedures: []string{"88.0100"}}, ""},
		{grouper.DIPCase{Principal: "J18.900"}, ""},
	} {
		a := cat.Assign(tc.c)
		got := ""
		if a.Group != nil {
			got = a.Group.Code
		}
		if got != tc.code || (got == "" && (a.ReasonZh == "" || a.ReasonEn == "")) {
			t.Errorf("%+v → %q (%s), want %q", tc.c, got, a.ReasonEn, tc.code)
		}
	}
}

func TestTrimmedMeanRules(t *testing.T) {
	// Fewer than 40: the 50,000 outlier is more than 3× the median (1,000) and is dropped.
	m, n := grouper.TrimmedMean([]yibao.Fen{900, 1000, 1100, 50000})
	if m != 1000 || n != 3 {
		t.Fatalf("%d %d", m, n)
	}
	if c := grouper.DxCategory("A18.300x009+K93.0*"); c != "A18.3" {
		t.Fatal(c)
	}
	if grouper.TreatmentClass([]string{"88.0100", "99.2500"}) != grouper.TreatTherapeutic || grouper.TreatmentClass(nil) != grouper.TreatConservative {
		t.Fatal("treatment classes")
	}
}
