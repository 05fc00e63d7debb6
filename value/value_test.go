package value

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yibao-dev/yibao"
)

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t, err = time.Parse("2006-01-02", s)
	}
	if err != nil {
		panic(err)
	}
	return t
}

func visit(id, person, hosp, when string, age int, dx []string, readings ...Reading) Encounter {
	t := date(when)
	return Encounter{SetlID: id, Person: person, Hospital: hosp, Admission: t, Discharge: t.Add(time.Hour),
		Age: age, Sex: yibao.Male, Diagnoses: dx, Readings: readings, Fund: 5000}
}

func stay(id, person, hosp, adm, dscg, way string, age int, planned bool, fund yibao.Fen, dx ...string) Encounter {
	return Encounter{SetlID: id, Person: person, Hospital: hosp, Inpatient: true, Admission: date(adm), Discharge: date(dscg),
		Age: age, Sex: yibao.Female, Diagnoses: dx, Disposition: way, PlannedReadmission: planned, Fund: fund}
}

func bp(s, d float64) []Reading { return []Reading{{"SBP", s}, {"DBP", d}} }

// The hand-made region of docs/value.md's worked example:
//   - P1 (70, hypertension + diabetes) contracted to I1 all year: four follow-ups, last BP
//     130/80, HbA1c 7.5 then 6.8; a planned chemotherapy readmission; a transfer.
//   - P2 (50, diabetes) moves from I1 to I2 on 1 July: HbA1c 9.1 at I1, then 7.9 at I2 —
//     the last reading wins and decides the institution.
//   - P3 (60, hypertension diagnosed in 2024) contracted to I2 from 1 March, never followed
//     up; a stroke admission with an unplanned readmission 17 days later.
func region() ([]Contract, []Encounter) {
	contracts := []Contract{
		{Person: "P1", Institution: "I1", Team: "T1", Start: date("2025-01-01")},
		{Person: "P2", Institution: "I1", Team: "T2", Start: date("2025-01-01"), End: date("2025-06-30")},
		{Person: "P2", Institution: "I2", Team: "T9", Start: date("2025-07-01")},
		{Person: "P3", Institution: "I2", Team: "T9", Start: date("2025-03-01")},
	}
	htnDM := []string{"I10.x00", "E11.900"}
	hb := func(v float64) Reading { return Reading{"HBA1C", v} }
	encs := []Encounter{
		visit("V11", "P1", "I1", "2025-02-10 09:00", 70, htnDM, append(bp(150, 85), hb(7.5))...),
		visit("V12", "P1", "I1", "2025-05-10 09:00", 70, htnDM, bp(135, 80)...),
		visit("V13", "P1", "I1", "2025-08-10 09:00", 70, htnDM, append(bp(138, 92), hb(6.8))...),
		visit("V14", "P1", "I1", "2025-11-10 09:00", 70, htnDM, bp(130, 80)...),
		stay("S11", "P1", "H9", "2025-04-01 08:00", "2025-04-05 10:00", "1", 70, true, 100000, "Z51.1", "C34.9"),
		stay("S12", "P1", "H9", "2025-04-20 08:00", "2025-04-25 10:00", "1", 70, false, 100000, "Z51.1", "C34.9"),
		stay("S13", "P1", "H8", "2025-06-01 08:00", "2025-06-03 10:00", "2", 70, false, 100000, "J18.9"),
		stay("S14", "P1", "H9", "2025-06-03 12:00", "2025-06-10 10:00", "1", 70, false, 100000, "J18.9"),
		visit("V21", "P2", "I1", "2025-03-01 09:00", 50, []string{"E11.900"}, hb(9.1)),
		visit("V22", "P2", "I2", "2025-09-01 09:00", 50, []string{"E11.900"}, hb(7.9)),
		stay("S30", "P3", "H8", "2024-06-01 08:00", "2024-06-05 10:00", "1", 59, false, 0, "I10.x00"),
		stay("S31", "P3", "H8", "2025-10-05 08:00", "2025-10-15 10:00", "1", 60, false, 300000, "I63.900", "I10.x00"),
		stay("S32", "P3", "H8", "2025-11-01 08:00", "2025-11-10 10:00", "1", 60, false, 300000, "I63.900", "I10.x00"),
	}
	return contracts, encs
}

func results(t *testing.T) (*Report, []*Person) {
	t.Helper()
	c, e := region()
	persons := Group(c, e)
	rep, err := DefaultDefinitions().Compute(context.Background(), persons, YearPeriod(2025))
	if err != nil {
		t.Fatal(err)
	}
	return rep, persons
}

func TestMeasuresGolden(t *testing.T) {
	rep, _ := results(t)
	got := map[string]string{}
	for _, r := range rep.Institutions {
		got[r.Institution+" "+r.Measure] = fmtRate(r)
	}
	want := map[string]string{
		"I1 bp_control": "1/1", "I2 bp_control": "0/1",
		"I1 hba1c_control": "1/1", "I2 hba1c_control": "0/1",
		"I1 hba1c_poor_control": "0/1", "I2 hba1c_poor_control": "0/1",
		"I1 hba1c_testing": "1/1", "I2 hba1c_testing": "1/1",
		"I1 followup_4": "1/1", "I2 followup_4": "0/2",
		"I1 ldl_testing": "0/1", "I2 ldl_testing": "0/1",
		"I1 standard_management": "1/1", "I2 standard_management": "0/2",
		"I1 complication_admissions_per_1000": "0/1", "I2 complication_admissions_per_1000": "2/2",
		"I1 readmission_31": "0/3", "I2 readmission_31": "1/2",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d results, want %d: %v", len(got), len(want), got)
	}
	for _, r := range rep.Institutions {
		if r.Institution == "I2" && r.Measure == "complication_admissions_per_1000" && (r.Rate == nil || *r.Rate != 1000) {
			t.Errorf("per-1000 rate %v, want 1000", r.Rate)
		}
	}
}

func fmtRate(r Result) string {
	return strings.Join([]string{itoa(r.Numerator), itoa(r.Denominator)}, "/")
}

func itoa(n int) string { return strconv.Itoa(n) }

// P2's last HbA1c (7.9, 1 September) was taken under the I2 contract: it decides, and the
// person counts at I2 only — the earlier 9.1 at I1 does not count anywhere.
func TestLastReadingWinsAndMovesInstitution(t *testing.T) {
	rep, _ := results(t)
	for _, s := range rep.Statuses {
		if s.Person != "P2" || s.Measure != "hba1c_control" {
			continue
		}
		if s.Institution != "I2" || s.Value != "7.9" || s.Status != "uncontrolled" || !s.Gap || s.Date != date("2025-09-01") {
			t.Fatalf("P2 hba1c_control status %+v", s)
		}
		return
	}
	t.Fatal("no status for P2")
}

// A person with no reading in the period counts where contracted at the period's end; a
// person whose deciding reading came before a contract does not count it.
func TestNoReadingCountsAtEndContract(t *testing.T) {
	rep, _ := results(t)
	found := false
	for _, s := range rep.Statuses {
		if s.Person == "P3" && s.Measure == "bp_control" {
			found = true
			if s.Institution != "I2" || s.Status != "no_reading" || s.InNumerator || !s.Gap {
				t.Fatalf("P3 %+v", s)
			}
		}
	}
	if !found {
		t.Fatal("P3 not in the bp_control denominator")
	}
	// Exclusion: a pregnancy-related hypertension code removes P1 from bp_control.
	c, e := region()
	e = append(e, visit("VX", "P1", "I1", "2025-12-01 09:00", 70, []string{"O13.x00"}))
	rep2, err := DefaultDefinitions().Compute(context.Background(), Group(c, e), YearPeriod(2025))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep2.Institutions {
		if r.Institution == "I1" && r.Measure == "bp_control" {
			t.Fatalf("excluded person still counted: %+v", r)
		}
	}
}

// Inverse measure: no HbA1c test in the period puts the person in the poor-control numerator.
func TestPoorControlCountsMissingTest(t *testing.T) {
	c := []Contract{{Person: "Q", Institution: "I3", Team: "T", Start: date("2025-01-01")}}
	e := []Encounter{visit("Q1", "Q", "I3", "2025-03-01 10:00", 60, []string{"E11.900"})}
	rep, err := DefaultDefinitions().Compute(context.Background(), Group(c, e), YearPeriod(2025))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Institutions {
		if r.Measure == "hba1c_poor_control" {
			if r.Numerator != 1 || r.Denominator != 1 {
				t.Fatalf("poor control %+v, want 1/1", r)
			}
			return
		}
	}
	t.Fatal("no poor-control result")
}

// Hand calculation of the settlement (docs/value.md): annual 365.00 yuan, factor 1.2 at 65+,
// withhold 20%, quality = bp_control rate, MSR 2%, share 50%, concurrent baseline (no 2024
// contracts).
//
//	I1: P1 365 days × 1.20 yuan × 1.2 = 438.00; P2 181 days × 1.00 = 181.00 → 619.00 yuan,
//	    withheld 123.80, quality 1 → returned 123.80.
//	    Expected: P1 cell 65-74/2 = 4,200.00 (4 stays + 4 visits) / 365 days × 365 = 4,200.00;
//	    P2 cell 45-64/1 = (100.00 + 6,000.00) / (181 + 184 + 306) days × 181 = 1,645.4545 →
//	    1,645.45, so 5,845.45; actual 4,200.00 + 50.00 = 4,250.00; savings 1,595.45 ≥ MSR
//	    116.91 → shared 797.725 → 797.73. Total 619.00 + 797.73 = 1,416.73.
//	I2: P2 184 + P3 306 days → 490.00 yuan, withheld 98.00, quality 0 → none returned;
//	    expected 1,672.7273 → 1,672.73 + 2,781.8182 → 2,781.82 = 4,454.55 < actual 6,050.00 → nothing shared. Total 392.00.
func TestSettleGolden(t *testing.T) {
	d := DefaultDefinitions()
	p, err := ParsePolicy([]byte(`{
	  "version": "test", "label": "test",
	  "capitation": {"annual_yuan": "365.00", "risk": [{"min_age": 65, "factor": 1.2}], "withhold": 0.2},
	  "quality": {"measures": [{"measure": "bp_control", "weight": 1, "floor": 0, "target": 1}], "full_at": 0.8, "none_below": 0.6},
	  "outcome": [],
	  "savings": {"mode": "shared_savings", "minimum_savings_rate": 0.02, "share": 0.5, "quality_gate": 0.6, "trend": 1}
	}`), d)
	if err != nil {
		t.Fatal(err)
	}
	rep, persons := results(t)
	s, err := p.Settle(context.Background(), d, persons, YearPeriod(2025), rep)
	if err != nil {
		t.Fatal(err)
	}
	if s.Baseline != "concurrent" || len(s.Institutions) != 2 {
		t.Fatalf("baseline %s, %d institutions", s.Baseline, len(s.Institutions))
	}
	type want struct{ cap, withheld, returned, expected, actual, shared, total yibao.Fen }
	for i, w := range []want{
		{61900, 12380, 12380, 584545, 425000, 79773, 141673},
		{49000, 9800, 0, 445455, 605000, 0, 39200},
	} {
		g := s.Institutions[i]
		got := want{g.Capitation, g.Withheld, g.WithholdReturned, g.Expected, g.Actual, g.SharedSavings, g.Total}
		if got != w {
			t.Errorf("%s: got %+v, want %+v", g.Institution, got, w)
		}
	}
	var sum yibao.Fen
	for _, l := range s.Persons {
		sum += l.Capitation
	}
	if sum != 61900+49000 {
		t.Errorf("person lines add up to %d", sum)
	}
}

func TestSettleOutcomeTiersAndRetainMode(t *testing.T) {
	d := DefaultDefinitions()
	p := DefaultPolicy()
	p.Savings.Mode = RetainSurplus
	p.Savings.Share = 1
	rep, persons := results(t)
	s, err := p.Settle(context.Background(), d, persons, YearPeriod(2025), rep)
	if err != nil {
		t.Fatal(err)
	}
	// I1: hba1c_control 1/1 = 100% ≥ 80% → 1,200 yuan × 1 patient; bp_control 100% > 90% →
	// +10% of the capitation. I2: hba1c_control 0/1 → the lowest tier, 800 yuan × 1.
	for _, g := range s.Institutions {
		var want yibao.Fen
		switch g.Institution {
		case "I1":
			want = 120000 + mulFen(g.Capitation, 0.10)
		case "I2":
			want = 80000
		}
		if g.OutcomePayment != want {
			t.Errorf("%s outcome %d, want %d", g.Institution, g.OutcomePayment, want)
		}
		if g.Savings < 0 && g.SharedSavings != g.Savings {
			t.Errorf("%s: 超支不补 should bear the overspend %d, got %d", g.Institution, g.Savings, g.SharedSavings)
		}
	}
}

func TestPolicyRefusals(t *testing.T) {
	d := DefaultDefinitions()
	for _, bad := range []string{
		`{"version":"x","capitation":{"annual_yuan":"1","withhold":1.5},"savings":{"mode":"shared_savings","trend":1}}`,
		`{"version":"x","capitation":{"annual_yuan":"1"},"quality":{"measures":[{"measure":"nope","weight":1,"floor":0,"target":1}]},"savings":{"mode":"shared_savings","trend":1}}`,
		`{"version":"x","capitation":{"annual_yuan":"1"},"savings":{"mode":"both","trend":1}}`,
		`{"version":"x","capitation":{"annual_yuan":"abc"},"savings":{"mode":"shared_savings","trend":1}}`,
		`{"version":"x","surprise":1}`,
	} {
		if _, err := ParsePolicy([]byte(bad), d); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// TestWithholdReturnedFromExactScore: the withhold comes back linearly between 60% and 80% of
// the quality score (issue 17). On the golden region I1 has bp_control 1/1 and followup_4 1/1.
// With bp_control weight 2 (floor 0, target 1 → 1) and followup_4 weight 1 scored against a
// floor of 1 and a target of 2 (→ 0), the score is 2/3 exactly; the share returned is
// (2/3 − 0.6) / 0.2 = 1/3 of the 123.80 yuan withheld = 41.2667 → 41.27 yuan. (Rounding the
// score to 0.6667 first gave a share of 0.3335 and 41.29 yuan.)
func TestWithholdReturnedFromExactScore(t *testing.T) {
	d := DefaultDefinitions()
	p, err := ParsePolicy([]byte(`{
	  "version": "test", "label": "test",
	  "capitation": {"annual_yuan": "365.00", "risk": [{"min_age": 65, "factor": 1.2}], "withhold": 0.2},
	  "quality": {"measures": [{"measure": "bp_control", "weight": 2, "floor": 0, "target": 1},
	                           {"measure": "followup_4", "weight": 1, "floor": 1, "target": 2}], "full_at": 0.8, "none_below": 0.6},
	  "outcome": [],
	  "savings": {"mode": "shared_savings", "minimum_savings_rate": 0.02, "share": 0.5, "quality_gate": 0.6, "trend": 1}
	}`), d)
	if err != nil {
		t.Fatal(err)
	}
	rep, persons := results(t)
	s, err := p.Settle(context.Background(), d, persons, YearPeriod(2025), rep)
	if err != nil {
		t.Fatal(err)
	}
	g := s.Institutions[0]
	if g.Institution != "I1" || g.Withheld != 12380 || g.QualityScore == nil || *g.QualityScore != 0.6667 || g.WithholdReturned != 4127 {
		t.Fatalf("%s: withheld %d, score %v, returned %d; want I1, 12380, 0.6667, 4127", g.Institution, g.Withheld, *g.QualityScore, g.WithholdReturned)
	}
}

// readmission_31 counts calendar days as the evaluation's indicator does: discharged 1 March
// 10:00, readmitted 1 April 15:00 is day 31 — a readmission (31 days 5 hours of elapsed time
// is not what the definition counts); admitted 2 April is day 32 — not.
func TestReadmissionCalendarDays(t *testing.T) {
	for _, tc := range []struct {
		next string
		want int
	}{{"2025-04-01 15:00", 1}, {"2025-04-02 08:00", 0}} {
		contracts := []Contract{{Person: "P1", Institution: "I1", Team: "T1", Start: date("2025-01-01")}}
		encs := []Encounter{
			visit("V1", "P1", "I1", "2025-01-10 09:00", 70, []string{"I10.x00"}, bp(130, 80)...),
			stay("S1", "P1", "H9", "2025-02-25 08:00", "2025-03-01 10:00", "1", 70, false, 100000, "I50.9", "I10.x00"),
			stay("S2", "P1", "H9", tc.next, "2025-04-10 10:00", "1", 70, false, 100000, "I50.9", "I10.x00"),
		}
		rep, err := DefaultDefinitions().Compute(context.Background(), Group(contracts, encs), YearPeriod(2025))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rep.Institutions {
			if r.Measure == "readmission_31" {
				found = true
				if r.Numerator != tc.want || r.Denominator != 2 {
					t.Errorf("next admission %s: %d/%d, want %d/2", tc.next, r.Numerator, r.Denominator, tc.want)
				}
			}
		}
		if !found {
			t.Errorf("next admission %s: no readmission_31 result", tc.next)
		}
	}
}

// The minimum savings rate widens for a small panel (docs/value.md): four persons contracted
// all year spending 100, 100, 100 and 500 yuan have mean 200, standard deviation 200 (n − 1),
// CV 1, so MSR = 1.645 × 1 / √4 = 0.8225. With trend 2 each is expected to cost 400 (same
// cell, concurrent baseline): savings 800 of 1,600 expected = 50% < 82.25%, nothing shared;
// with the fixed 2% rate, half of the 800 is.
func TestMinimumSavingsRateForSmallPanels(t *testing.T) {
	var cs []Contract
	var es []Encounter
	for i, fund := range []yibao.Fen{10000, 10000, 10000, 50000} {
		id := fmt.Sprint("Q", i)
		cs = append(cs, Contract{Person: id, Institution: "I9", Team: "T", Start: date("2025-01-01")})
		e := visit("V"+id, id, "I9", "2025-03-01 09:00", 50, []string{"I10.x00"}, bp(130, 80)...)
		e.Fund = fund
		es = append(es, e)
	}
	d := DefaultDefinitions()
	persons := Group(cs, es)
	rep, err := d.Compute(context.Background(), persons, YearPeriod(2025))
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range []float64{1.645, 0} {
		p := DefaultPolicy()
		p.Savings.Trend = 2
		p.Savings.QualityGate = 0
		p.Savings.MSRZ = z
		s, err := p.Settle(context.Background(), d, persons, YearPeriod(2025), rep)
		if err != nil {
			t.Fatal(err)
		}
		g := s.Institutions[0]
		if g.Expected != 160000 || g.Actual != 80000 {
			t.Fatalf("expected %d actual %d", g.Expected, g.Actual)
		}
		switch z {
		case 1.645:
			if g.MSR != 0.8225 || g.SharedSavings != 0 {
				t.Errorf("small panel: MSR %v shared %d, want 0.8225 and nothing", g.MSR, g.SharedSavings)
			}
		case 0:
			if g.MSR != 0.02 || g.SharedSavings != 40000 {
				t.Errorf("fixed rate: MSR %v shared %d, want 0.02 and 400.00 yuan", g.MSR, g.SharedSavings)
			}
		}
	}
}
