package indicators

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/yibao-dev/yibao"
)

// fakeSource serves hand-made stays.
type fakeSource struct {
	stays    []Stay
	planned  map[string]bool
	procs    map[string][]string
	dx       map[string][]yibao.Diagnosis
	findings []Finding
	lists    []ListCount
	hs       []yibao.Hospital
}

func (f *fakeSource) Stays(_ context.Context, _ string, from, to time.Time) ([]Stay, error) {
	var out []Stay
	for _, s := range f.stays {
		if !s.Discharge.Before(from) && s.Discharge.Before(to) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (f *fakeSource) EachSettlement(_ context.Context, from, to time.Time, fn func(*yibao.Settlement) error) error {
	for _, s := range f.stays {
		if s.Discharge.Before(from) || !s.Discharge.Before(to) {
			continue
		}
		st := &yibao.Settlement{ID: s.SetlID, Hospital: s.Hospital, Inpatient: true, Admission: s.Admission, Discharge: s.Discharge,
			LOS: s.LOS, Disposition: s.Disposition, PlannedReadmission: f.planned[s.SetlID], Diagnoses: f.dx[s.SetlID]}
		for _, p := range f.procs[s.SetlID] {
			st.Procedures = append(st.Procedures, yibao.Procedure{Code: p})
		}
		if err := fn(st); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeSource) Findings(context.Context, time.Time, time.Time) ([]Finding, error) {
	return f.findings, nil
}
func (f *fakeSource) ListCounts(context.Context, time.Time, time.Time) ([]ListCount, error) {
	return f.lists, nil
}
func (f *fakeSource) Hospitals(context.Context) ([]yibao.Hospital, error) { return f.hs, nil }

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func stay(id, h, person, adm, dis, way string) Stay {
	a, d := at(adm), at(dis)
	return Stay{SetlID: id, Hospital: h, Person: person, Admission: a, Discharge: d, LOS: max(1, int(d.Sub(a).Hours()/24)),
		CostFen: 100000, FundFen: 70000, Disposition: way, Grouped: true, DRG: "ZZ15", ADRG: "ZZ1"}
}

var y2025 = Query{Scheme: "s", From: at("2025-01-01 00:00"), To: at("2026-01-01 00:00"), Policy: DefaultPolicy()}

func hospitals() []yibao.Hospital {
	return []yibao.Hospital{{Code: "H1", Level: 3, Type: "general"}, {Code: "H2", Level: 3, Type: "general"}}
}

func factsOf(t *testing.T, out *Output) map[string]Facts {
	t.Helper()
	m := map[string]Facts{}
	for _, f := range out.Facts {
		m[f.Hospital] = f
	}
	return m
}

// 31-day unplanned readmission, by hand:
//
//	P1  A  H1 03-01→03-05, days_rinp_flag_31 = 2 on A   → B 15 days later: planned, not counted
//	    B  H1 03-20→03-24 (no flag)                     → C 17 days later at H2: unplanned (H1)
//	    C  H2 04-10→04-14                               → nothing: none
//	P2  D  H1 →05-10 10:00, dscg_way 2                  → E at H2 05-10 11:00: transfer, not counted
//	    E  H2 05-10→05-15                               → none
//	P3  F  H2 →12-20                                    → G at H1 2026-01-05 (after the period): unplanned (H2)
//	    G  H1 2026-01-05→01-09: discharged after the period, not an index stay
//	P4  H  H1 died 06-01: not an index stay
//	P5  I  H2 →07-01                                    → L 2025-08-02, 32 days: none
//	P6  J  H1 →08-01 10:00, dscg_way 2                  → K at H2 08-03: beyond 24 h, unplanned (H1)
//
// H1: index A, B, D, J = 4; readmitted B, J = 2 → 50%; planned 1 (A), transfer 1 (D).
// H2: index C, E, F, I, L, K = 6; readmitted F = 1 → 16.67%.
func TestReadmissionGolden(t *testing.T) {
	src := &fakeSource{hs: hospitals(), planned: map[string]bool{"A": true}, stays: []Stay{
		stay("A", "H1", "P1", "2025-03-01 09:00", "2025-03-05 10:00", "1"),
		stay("B", "H1", "P1", "2025-03-20 09:00", "2025-03-24 10:00", "1"),
		stay("C", "H2", "P1", "2025-04-10 09:00", "2025-04-14 10:00", "1"),
		stay("D", "H1", "P2", "2025-05-01 09:00", "2025-05-10 10:00", "2"),
		stay("E", "H2", "P2", "2025-05-10 11:00", "2025-05-15 10:00", "1"),
		stay("F", "H2", "P3", "2025-12-10 09:00", "2025-12-20 10:00", "1"),
		stay("G", "H1", "P3", "2026-01-05 09:00", "2026-01-09 10:00", "1"),
		stay("H", "H1", "P4", "2025-05-25 09:00", "2025-06-01 10:00", "5"),
		stay("I", "H2", "P5", "2025-06-25 09:00", "2025-07-01 10:00", "1"),
		stay("L", "H2", "P5", "2025-08-02 09:00", "2025-08-06 10:00", "1"),
		stay("J", "H1", "P6", "2025-07-25 09:00", "2025-08-01 10:00", "2"),
		stay("K", "H2", "P6", "2025-08-03 09:00", "2025-08-07 10:00", "1"),
	}}
	q := y2025
	q.Trace = &TraceRequest{Unit: "H1", Indicator: "readmission_31"}
	out, err := Compute(context.Background(), src, q)
	if err != nil {
		t.Fatal(err)
	}
	f := factsOf(t, out)
	if h := f["H1"]; h.IndexStays != 4 || h.Readmissions31 != 2 || h.PlannedExcluded != 1 || h.TransferExcluded != 1 {
		t.Errorf("H1 %+v", h)
	}
	if h := f["H2"]; h.IndexStays != 6 || h.Readmissions31 != 1 || h.PlannedExcluded != 0 || h.TransferExcluded != 0 {
		t.Errorf("H2 %+v", h)
	}
	d, _ := Lookup("readmission_31")
	h1, h2 := f["H1"], f["H2"]
	if v, n, ok := d.Value(&h1); !ok || n != 4 || v != 50 {
		t.Errorf("H1 value %v n %d", v, n)
	}
	if v, _, _ := d.Value(&h2); math.Abs(v-100.0/6) > 1e-9 {
		t.Errorf("H2 value %v", v)
	}
	roles := map[string]string{}
	for _, tr := range out.Trace {
		roles[tr.SetlID] = tr.Role
	}
	if roles["B"] != "numerator" || roles["J"] != "numerator" || roles["A"] != "denominator" || roles["H"] != "excluded" || len(roles) != 5 {
		t.Errorf("trace %v", out.Trace)
	}
}

// Consumption indices by k_i = e_i / E_i, index = Σ k_i n_i / Σ n_i:
//
//	DRG A: H1 LOS 4 and 6 (cost 1,000 and 3,000), H2 LOS 5 (2,000): region mean LOS 5, cost 2,000
//	DRG B: H1 LOS 10 (10,000), H2 LOS 20 and 30 (20,000, 30,000): region mean LOS 20, cost 20,000
//
// H1 time: k_A = 5/5 = 1 (n 2), k_B = 10/20 = 0.5 (n 1) → (2 + 0.5) / 3 = 0.8333 (the old
// Σe/ΣE gave 20/30 = 0.6667). H2 time: k_A = 1 (n 1), k_B = 25/20 = 1.25 (n 2) → 3.5/3 =
// 1.1667. Costs are in the same proportions, so the cost indices are equal.
func TestConsumptionIndexGolden(t *testing.T) {
	mk := func(id, h, drg string, los int, yuan int64) Stay {
		a := at("2025-03-01 09:00")
		return Stay{SetlID: id, Hospital: h, Person: id, Admission: a, Discharge: a.AddDate(0, 0, los), LOS: los, CostFen: yuan * 100,
			FundFen: yuan * 70, Disposition: "1", Grouped: true, DRG: drg, ADRG: drg[:3]}
	}
	src := &fakeSource{hs: hospitals(), stays: []Stay{
		mk("1", "H1", "AA15", 4, 1000), mk("2", "H1", "AA15", 6, 3000), mk("3", "H2", "AA15", 5, 2000),
		mk("4", "H1", "BB15", 10, 10000), mk("5", "H2", "BB15", 20, 20000), mk("6", "H2", "BB15", 30, 30000),
	}}
	out, err := Compute(context.Background(), src, y2025)
	if err != nil {
		t.Fatal(err)
	}
	f := factsOf(t, out)
	for h, want := range map[string]float64{"H1": 2.5 / 3, "H2": 3.5 / 3} {
		x := f[h]
		for _, id := range []string{"time_index", "cost_index", "time_index_routine", "cost_index_routine"} {
			d, _ := Lookup(id)
			if v, n, ok := d.Value(&x); !ok || n != 3 || math.Abs(v-want) > 1e-12 {
				t.Errorf("%s %s = %v (n %d), want %v", h, id, v, n, want)
			}
		}
		d, _ := Lookup("cost_index_tech")
		if _, _, ok := d.Value(&x); ok {
			t.Errorf("%s: cost_index_tech has a value without technology-dependent stays", h)
		}
	}
}

// Low-risk groups by the standardised method. Region mortality: X1 1/100, X2 1/10, X3 2/10,
// X4 2/5, X5 0/20. ln m = −4.605170, −2.302585, −1.609438, −0.916291 (X5 has no death: zero
// risk, not in the mean); mean −2.358371, sample SD √(7.691714/3) = 1.601220; z(X1) =
// −2.246799/1.601220 = −1.4032 < −1 → X1 is the only low-risk group; z(X2) = 0.055786/1.601220
// = 0.0348 and z(X4) = 1.442080/1.601220 = 0.9006 are mid-high (0 ≤ z < 1). X1 has 60 stays at H1
// with its one death and 40 at H2: H1 1/60 = 1.6667%, H2 0/40 = 0%. X5's 20 deathless stays
// at H2 do not dilute H2's rate.
func TestLowRiskMortalityGolden(t *testing.T) {
	var stays []Stay
	n := 0
	add := func(h, drg string, cases, deaths int) {
		for i := 0; i < cases; i++ {
			n++
			a := at("2025-02-01 09:00").Add(time.Duration(n) * time.Hour)
			way := "1"
			if i < deaths {
				way = Death
			}
			stays = append(stays, Stay{SetlID: fmt.Sprint("s", n), Hospital: h, Person: fmt.Sprint("p", n), Admission: a, Discharge: a.AddDate(0, 0, 3),
				LOS: 3, CostFen: 100000, FundFen: 70000, Disposition: way, Grouped: true, DRG: drg, ADRG: drg})
		}
	}
	add("H1", "X1", 60, 1)
	add("H2", "X1", 40, 0)
	add("H1", "X2", 10, 1)
	add("H2", "X3", 10, 2)
	add("H1", "X4", 5, 2)
	add("H2", "X5", 20, 0)
	out, err := Compute(context.Background(), &fakeSource{hs: hospitals(), stays: stays}, y2025)
	if err != nil {
		t.Fatal(err)
	}
	class := map[string]DRGRisk{}
	for _, r := range out.Risk {
		class[r.DRG] = r
	}
	if r := class["X1"]; r.Class != "low" || math.Abs(r.Z-(-1.403180)) > 1e-5 {
		t.Errorf("X1 %+v", r)
	}
	if class["X5"].Class != "zero" || class["X2"].Class != "mid_high" || class["X4"].Class != "mid_high" || math.Abs(class["X4"].Z-0.900614) > 1e-5 {
		t.Errorf("classes %+v", out.Risk)
	}
	f := factsOf(t, out)
	d, _ := Lookup("low_risk_mortality")
	h1, h2 := f["H1"], f["H2"]
	if v, n, ok := d.Value(&h1); !ok || n != 60 || math.Abs(v-100.0/60) > 1e-12 {
		t.Errorf("H1 %v n %d", v, n)
	}
	if v, n, ok := d.Value(&h2); !ok || n != 40 || v != 0 {
		t.Errorf("H2 %v n %d", v, n)
	}
}

// Findings count per stay, confirmed only by default, amount over the fund's payments.
// H1 has 4 stays with fund payments of 700 yuan each (2,800). S1: confirmed up-coding 5 yuan
// and a confirmed duplicate 3 yuan; S2: open, 10 yuan; S3: dismissed, 20 yuan. Default
// (open weight 0): 1 stay → 25 per 100; 8 yuan / 2,800 = 0.2857%; up-coding 1 stay = 25%.
// Open weight 0.5: 1.5 stays → 37.5 per 100; 13 yuan → 0.4643%; up-coding still 25%.
func TestFindingsGolden(t *testing.T) {
	src := &fakeSource{hs: hospitals(), stays: []Stay{
		stay("S1", "H1", "a", "2025-03-01 09:00", "2025-03-05 10:00", "1"),
		stay("S2", "H1", "b", "2025-03-01 09:00", "2025-03-05 10:00", "1"),
		stay("S3", "H1", "c", "2025-03-01 09:00", "2025-03-05 10:00", "1"),
		stay("S4", "H1", "d", "2025-03-01 09:00", "2025-03-05 10:00", "1"),
	}, findings: []Finding{
		{SetlID: "S1", Category: "upcoding", Status: "confirmed", AmountFen: 500},
		{SetlID: "S1", Category: "duplicate_charge", Status: "confirmed", AmountFen: 300},
		{SetlID: "S2", Category: "upcoding", Status: "open", AmountFen: 1000},
		{SetlID: "S3", Category: "split_admission", Status: "dismissed", AmountFen: 2000},
	}}
	check := func(q Query, per100, amount float64) {
		t.Helper()
		out, err := Compute(context.Background(), src, q)
		if err != nil {
			t.Fatal(err)
		}
		f := factsOf(t, out)["H1"]
		for id, want := range map[string]float64{"findings_per_100": per100, "findings_amount": amount, "upcoding_rate": 25, "split_rate": 0} {
			d, _ := Lookup(id)
			if v, _, ok := d.Value(&f); !ok || math.Abs(v-want) > 1e-4 {
				t.Errorf("open weight %v: %s = %v, want %v", q.Policy.OpenFindingWeight, id, v, want)
			}
		}
	}
	check(y2025, 25, 0.2857)
	q := y2025
	q.Policy.OpenFindingWeight = 0.5
	check(q, 37.5, 0.4643)
}

// List pass rate from ingest's counts: H1 read 20 (1 rejected at ingest) and one stored stay
// failed the grouper's validation → (20 − 1 − 1) / 20 = 90%. H2 has no counts (a store
// ingested before they were kept): no data, not 100%.
func TestListPassRateGolden(t *testing.T) {
	s1 := stay("S1", "H1", "a", "2025-03-01 09:00", "2025-03-05 10:00", "1")
	s1.Grouped, s1.Failed = false, true
	src := &fakeSource{hs: hospitals(), stays: []Stay{s1, stay("S2", "H2", "b", "2025-03-01 09:00", "2025-03-05 10:00", "1")},
		lists: []ListCount{{Hospital: "H1", Month: "2025-01", Read: 10, Rejected: 1}, {Hospital: "H1", Month: "2025-02", Read: 10}}}
	out, err := Compute(context.Background(), src, y2025)
	if err != nil {
		t.Fatal(err)
	}
	f := factsOf(t, out)
	d, _ := Lookup("list_pass_rate")
	h1, h2 := f["H1"], f["H2"]
	if v, n, ok := d.Value(&h1); !ok || n != 20 || v != 90 {
		t.Errorf("H1 %v n %d ok %v", v, n, ok)
	}
	if _, _, ok := d.Value(&h2); ok {
		t.Error("H2 without counts has a pass rate")
	}
}

// Complications are secondary diagnoses not present on admission (adm_cond_type 4); a
// comorbidity present on admission (1) is not one, and uncertain (2) is reported apart.
// T2 is readmitted unplanned 10 days later; T3 died.
func TestTechnologyCasesOutcomes(t *testing.T) {
	src := &fakeSource{hs: hospitals(), stays: []Stay{
		stay("T1", "H1", "a", "2025-03-01 09:00", "2025-03-05 10:00", "1"),
		stay("T2", "H1", "b", "2025-03-01 09:00", "2025-03-05 10:00", "1"),
		stay("T3", "H1", "c", "2025-03-01 09:00", "2025-03-05 10:00", "5"),
		stay("T4", "H2", "b", "2025-03-15 09:00", "2025-03-18 10:00", "1"),
	}, dx: map[string][]yibao.Diagnosis{
		"T1": {{Code: "K35.800", Principal: true, AdmCond: "1"}, {Code: "T81.400", AdmCond: "4"}},
		"T2": {{Code: "K35.800", Principal: true, AdmCond: "1"}, {Code: "I10.x00", AdmCond: "1"}},
		"T3": {{Code: "K35.800", Principal: true, AdmCond: "1"}, {Code: "J18.900", AdmCond: "2"}},
	}}
	cs, err := TechnologyCases(context.Background(), src, y2025)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]TechCase{}
	for _, c := range cs {
		got[c.SetlID] = c
	}
	if !got["T1"].Complication || got["T2"].Complication || got["T3"].Complication || !got["T3"].UnknownPOA {
		t.Errorf("complications %+v", cs)
	}
	if !got["T2"].Readmitted || got["T1"].Readmitted || !got["T3"].Died {
		t.Errorf("outcomes %+v", cs)
	}
}

// The definitions are complete: every computation documents itself.
func TestDefinitionsDocumented(t *testing.T) {
	for _, d := range Definitions() {
		if d.NameZh == "" || d.Definition == "" || d.Numerator == "" || d.Denominator == "" || d.Exclusions == "" || d.Source == "" || d.Value == nil {
			t.Errorf("%s is not fully documented", d.ID)
		}
	}
}

// An overlapping stay is not a readmission (国考: 出院后 31 天内再住院, admissions after the
// discharge). Index A (H1) 1–10 March; O (H2) admitted 5 March, while A ran, discharged 8
// March: passed over. P1's next admission after A's discharge is C on 20 April, 41 days
// later: A is not readmitted (before, O counted at "0 days"). Index A2 1–10 March with the
// overlap O2 on 5 March and C2 on 20 March: readmitted by C2 after 10 days. Index T (H1) ends
// in a transfer at 10:00 on 1 June and R's admission is stamped 09:50 the same day: R is
// still its next admission, judged a transfer (same-day admissions are not overlaps).
func TestReadmissionSkipsOverlappingStay(t *testing.T) {
	all := []Stay{
		stay("A", "H1", "P1", "2025-03-01 09:00", "2025-03-10 10:00", "1"),
		stay("O", "H2", "P1", "2025-03-05 09:00", "2025-03-08 10:00", "1"),
		stay("C", "H2", "P1", "2025-04-20 09:00", "2025-04-24 10:00", "1"),
		stay("A2", "H1", "P2", "2025-03-01 09:00", "2025-03-10 10:00", "1"),
		stay("O2", "H2", "P2", "2025-03-05 09:00", "2025-03-08 10:00", "1"),
		stay("C2", "H2", "P2", "2025-03-20 09:00", "2025-03-24 10:00", "1"),
		stay("T", "H1", "P3", "2025-05-20 09:00", "2025-06-01 10:00", "2"),
		stay("R", "H2", "P3", "2025-06-01 09:50", "2025-06-09 10:00", "1"),
	}
	index := []*Stay{&all[0], &all[3], &all[6]}
	got := FindReadmissions(index, all, nil, DefaultPolicy())
	if r := got["A"]; r.Outcome != "none" || r.Next != "" {
		t.Errorf("A: %+v, want none (O overlaps, C after 41 days)", r)
	}
	if r := got["A2"]; r.Outcome != "unplanned" || r.Next != "C2" || r.Days != 10 {
		t.Errorf("A2: %+v, want unplanned by C2 after 10 days", r)
	}
	if r := got["T"]; r.Outcome != "transfer" || r.Next != "R" || r.Days != 0 {
		t.Errorf("T: %+v, want transfer to R on day 0", r)
	}
}
