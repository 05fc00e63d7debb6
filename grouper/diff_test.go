package grouper_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/schemes"
)

// TestDiffNamesWhatChanged edits the demo scheme by hand (rename a DRG, change a split,
// drop a DRG, add an ADRG, grow a list, add a MCC code) and checks that the diff reports
// exactly those edits.
func TestDiffNamesWhatChanged(t *testing.T) {
	old, err := grouper.Parse(schemes.DemoDRG)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(schemes.DemoDRG, &f); err != nil {
		t.Fatal(err)
	}
	f["scheme"].(map[string]any)["version"] = "next"
	for _, m := range f["mdcs"].([]any) {
		mm := m.(map[string]any)
		adrgs := mm["adrgs"].([]any)
		for _, a := range adrgs {
			am := a.(map[string]any)
			if am["code"] != "ES1" {
				continue
			}
			drgs := am["drgs"].([]any)
			drgs[0].(map[string]any)["name_zh"] = "肺炎，伴严重并发症"                                                                    // ES11 renamed
			drgs[1].(map[string]any)["when"] = map[string]any{"op": "has_cc"}                                                    // ES13 split changed
			am["drgs"] = []any{drgs[0], drgs[1]}                                                                                 // ES15 removed
			mm["adrgs"] = append(adrgs, map[string]any{"code": "ES9", "name_zh": "测试新增", "entry": map[string]any{"op": "false"}, // ES9 added
				"drgs": []any{map[string]any{"code": "ES99", "name_zh": "测试新增", "when": map[string]any{"op": "true"}}}})
		}
	}
	lists := f["lists"].(map[string]any)
	lists["ES1_dx"] = append(lists["ES1_dx"].([]any), "J18.901")
	f["tables"].(map[string]any)["mcc"].(map[string]any)["Z99.999"] = "T9"
	b, _ := json.Marshal(f)
	nu, err := grouper.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	d := grouper.Diff(old, nu)
	got := map[string]grouper.GroupChange{}
	for _, g := range append(append(d.MDCs, d.ADRGs...), d.DRGs...) {
		got[g.Kind+" "+g.Code] = g
	}
	for _, want := range []string{"changed ES11", "changed ES13", "removed ES15", "added ES9", "added ES99", "changed ES1"} {
		if _, ok := got[want]; !ok {
			t.Errorf("diff lacks %s; got %v", want, keys(got))
		}
	}
	if len(got) != 6 {
		t.Errorf("diff has %d entries, want 6: %v", len(got), keys(got))
	}
	if g := got["changed ES11"]; g.OldName != "肺炎，伴严重并发症或合并症" || g.Name != "肺炎，伴严重并发症" {
		t.Errorf("ES11: %+v", g)
	}
	if g := got["changed ES13"]; len(g.Changes) != 1 || g.Changes[0].Old != "has an MCC or has a CC" || g.Changes[0].New != "has a CC" {
		t.Errorf("ES13: %+v", g)
	}
	if g := got["changed ES1"]; len(g.Changes) != 1 || !strings.Contains(g.Changes[0].EN, "ES1_dx") {
		t.Errorf("ES1 list change: %+v", g)
	}
	if g := got["removed ES15"]; g.Name == "" || g.Parent != "ES1" {
		t.Errorf("ES15: %+v", g)
	}
	if len(d.Tables) != 1 || d.Tables[0].Table != "mcc" || d.Tables[0].Added != 1 || d.Tables[0].Sample[0] != "+Z99.999" {
		t.Errorf("tables: %+v", d.Tables)
	}
	if e := grouper.Diff(old, old); len(e.MDCs)+len(e.ADRGs)+len(e.DRGs)+len(e.Tables)+len(e.Features) != 0 {
		t.Errorf("a scheme differs from itself: %+v", e)
	}
}

func keys(m map[string]grouper.GroupChange) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
