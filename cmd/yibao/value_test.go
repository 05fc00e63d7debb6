package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The value contract on the demo fixture: measures as [{institution, measure, numerator,
// denominator, rate}], settle with the yuan fields, and the care gaps of the stored run.
func TestValueContract(t *testing.T) {
	f := demoFixture(t)
	code, out, stderr := runCLI(t, "value", "measures", "--db", f.db, "--period", "2025", "--json")
	if code != 0 {
		t.Fatalf("measures exit %d: %s", code, stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) == 0 {
		t.Fatalf("measures JSON: %v %.300s", err, out)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		for _, k := range []string{"institution", "measure", "numerator", "denominator", "rate"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("measure row without %s: %v", k, r)
			}
		}
		seen[r["measure"].(string)] = true
		if n, d := r["numerator"].(float64), r["denominator"].(float64); r["measure"] != "complication_admissions_per_1000" && n > d {
			t.Fatalf("numerator above denominator: %v", r)
		}
	}
	for _, id := range []string{"bp_control", "hba1c_control", "hba1c_poor_control", "hba1c_testing", "followup_4", "ldl_testing",
		"complication_admissions_per_1000", "readmission_31"} {
		if !seen[id] {
			t.Errorf("measure %s missing from the demo", id)
		}
	}
	code, out, stderr = runCLI(t, "value", "settle", "--db", f.db, "--period", "2025", "--json", "--persons", filepath.Join(t.TempDir(), "p.csv"))
	if code != 0 {
		t.Fatalf("settle exit %d: %s", code, stderr)
	}
	var set struct {
		Institutions []map[string]any `json:"institutions"`
	}
	if err := json.Unmarshal([]byte(out), &set); err != nil || len(set.Institutions) == 0 {
		t.Fatalf("settle JSON: %v %.300s", err, out)
	}
	for _, inst := range set.Institutions {
		for _, k := range []string{"capitation", "withheld", "withhold_returned", "outcome_payment", "expected_spending", "actual_spending", "shared_savings", "total"} {
			if _, ok := inst[k].(float64); !ok {
				t.Fatalf("institution without %s in yuan: %v", k, inst)
			}
		}
		sum := inst["capitation"].(float64) - inst["withheld"].(float64) + inst["withhold_returned"].(float64) +
			inst["outcome_payment"].(float64) + inst["shared_savings"].(float64)
		if d := sum - inst["total"].(float64); d > 0.005 || d < -0.005 {
			t.Fatalf("total %v ≠ parts %v", inst["total"], sum)
		}
	}
	gapsFile := filepath.Join(t.TempDir(), "gaps.csv")
	if code, _, stderr := runCLI(t, "value", "gaps", "--db", f.db, "--measure", "bp_control", "--out", gapsFile); code != 0 {
		t.Fatalf("gaps exit %d: %s", code, stderr)
	}
	gaps := readCSV(t, gapsFile)
	if len(gaps) < 2 || gaps[0][0] != "institution" {
		t.Fatalf("gaps %v", gaps[:min(2, len(gaps))])
	}
	for _, g := range gaps[1:] {
		if g[2] != "bp_control" || (g[5] != "uncontrolled" && g[5] != "no_reading") {
			t.Fatalf("gap row %v", g)
		}
	}
	if code, _, _ := runCLI(t, "value", "measures", "--db", f.db); code != exitUsage {
		t.Fatal("measures without --period should be a usage error")
	}
	empty := t.TempDir()
	if code, _, stderr := runCLI(t, "value", "measures", "--db", empty, "--period", "2025"); code == 0 || !strings.Contains(stderr, "contracts") {
		t.Fatalf("empty store: exit %d %s", code, stderr)
	}
	os.RemoveAll(empty)
}

// The cockpit's value page data: the bureau sees every institution; a hospital user only
// its own, and no settlement ids in its care gaps.
func TestValueAPIScoping(t *testing.T) {
	f := demoFixture(t)
	hs := cockpitServer(t, f, true)
	admin := login(t, hs, "admin", f.passwords["admin"])
	var all struct {
		Institutions []struct{ Institution string } `json:"institutions"`
		Measures     []struct{ Institution string } `json:"measures"`
		Definitions  []struct{ ID, Name string }    `json:"definitions"`
	}
	if code := admin.do("GET", "/api/value", nil, &all); code != 200 || len(all.Institutions) < 2 || len(all.Definitions) < 8 {
		t.Fatalf("bureau value: %d %+v", code, all)
	}
	var gaps struct {
		Gaps []struct {
			Institution string `json:"institution"`
			SetlID      string `json:"setl_id"`
		} `json:"gaps"`
		Total int `json:"total"`
	}
	if code := admin.do("GET", "/api/value/gaps?limit=5", nil, &gaps); code != 200 || gaps.Total == 0 || len(gaps.Gaps) != 5 {
		t.Fatalf("bureau gaps: %d total %d rows %d", code, gaps.Total, len(gaps.Gaps))
	}
	if code := admin.do("GET", "/api/value?period=20x5", nil, nil); code != 400 {
		t.Errorf("bad period: %d", code)
	}
	// A hospital user (the demo's hospital1 is not necessarily a primary-care institution):
	// nothing of another institution, 404 when asking for one.
	hosp := login(t, hs, "hospital1", f.passwords["hospital1"])
	var mine struct {
		Institutions []struct{ Institution string } `json:"institutions"`
		Measures     []struct{ Institution string } `json:"measures"`
	}
	if code := hosp.do("GET", "/api/value", nil, &mine); code != 200 {
		t.Fatalf("hospital value: %d", code)
	}
	for _, x := range append(mine.Institutions, mine.Measures...) {
		if x.Institution != f.hospital {
			t.Fatalf("hospital user sees %s", x.Institution)
		}
	}
	other := all.Institutions[0].Institution
	if other == f.hospital {
		other = all.Institutions[1].Institution
	}
	if code := hosp.do("GET", "/api/value/gaps?institution="+other, nil, nil); code != 404 {
		t.Errorf("hospital user asking another institution's gaps: %d", code)
	}
	hosp.do("GET", "/api/value/gaps", nil, &gaps)
	for _, g := range gaps.Gaps {
		if g.Institution != f.hospital || g.SetlID != "" {
			t.Fatalf("hospital user gap %+v", g)
		}
	}
}
