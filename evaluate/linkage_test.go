package evaluate

import (
	"errors"
	"testing"
	"time"

	"github.com/yibao-dev/yibao"
)

// Ten peers with grade scores 90, 88, …, 72 (median 81): with a dead band of 2 points and
// a slope of 0.5% per point, A (+9) gains 0.005 × 7 = 3.5% on its 1.1 → 1.1385; B (+7) 2.5%;
// E (82, +1) and F (80, −1) are inside the band; J (72, −9) loses min(3%, 3.5%) = 3%.
// Budgets move by grade and are rescaled to the same total.
func TestLinkGolden(t *testing.T) {
	var rs []Result
	budget := map[string]yibao.Fen{}
	for i := 0; i < 10; i++ {
		h := string(rune('A' + i))
		grade := "average"
		if i == 0 {
			grade = "excellent"
		}
		if i == 9 {
			grade = "poor"
		}
		gs := 90 - 2*float64(i)
		rs = append(rs, Result{Hospital: h, PeerGroup: "3-general", Score: gs, GradeScore: gs, Rank: i + 1, Grade: grade})
		budget[h] = 1000000
	}
	rules := LinkageRules{DeadBand: 2, Slope: 0.005, TopMax: 0.05, BottomMax: 0.03, CoefMin: 0.85, CoefMax: 1.15,
		BudgetByGrade: map[string]float64{"excellent": 0.05, "poor": -0.10}, BudgetNeutral: true}
	adj, err := Link(rs, map[string]float64{"A": 1.1}, budget, rules)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"A": 1.1385, "B": 1.025, "E": 1, "F": 1, "J": 0.97}
	var total yibao.Fen
	for _, a := range adj {
		if w, ok := want[a.Hospital]; ok && a.CoefAfter != w {
			t.Errorf("%s coefficient %v, want %v", a.Hospital, a.CoefAfter, w)
		}
		total += a.BudgetAfter
	}
	if total != 10000000 {
		t.Fatalf("budget neutrality: total %d, want 10000000", total)
	}
	// Raw: A 1,050,000, J 900,000, others 1,000,000: sum 9,950,000, scale 10,000,000/9,950,000:
	// A 1,055,276.38, J 904,522.61, others 1,005,025.13; the floors leave 2 fen, which go to
	// the largest remainders, J (.61) and A (.38).
	if adj[0].BudgetAfter != 1055277 || adj[9].BudgetAfter != 904523 {
		t.Errorf("budgets A %d J %d", adj[0].BudgetAfter, adj[9].BudgetAfter)
	}
	rules.CoefMax = 1.12
	adj, _ = Link(rs, map[string]float64{"A": 1.1}, budget, rules)
	if adj[0].CoefAfter != 1.12 {
		t.Errorf("cap: %v", adj[0].CoefAfter)
	}
}

func TestAppealDeadlines(t *testing.T) {
	cal := Calendar{Holidays: map[string]bool{"2025-10-01": true, "2025-10-02": true, "2025-10-03": true}, Workdays: map[string]bool{"2025-09-28": true}}
	// Published Friday 2025-09-26: working days Sun 28 (make-up), Mon 29, Tue 30, then the
	// holiday, Sat/Sun, Mon 6 and Tue 7 → deadline Tue 2025-10-07 23:59:59.
	pub := time.Date(2025, 9, 26, 10, 0, 0, 0, time.UTC)
	if d := cal.AddWorkdays(pub, 5); d.Format("2006-01-02 15:04:05") != "2025-10-07 23:59:59" {
		t.Fatalf("deadline %v", d)
	}
	a, err := cal.FileAppeal(Appeal{ID: 1, Published: pub, Filed: time.Date(2025, 10, 7, 18, 0, 0, 0, time.UTC), Reason: "数据错误"})
	if err != nil || a.State != AppealFiled {
		t.Fatal(err)
	}
	if _, err := cal.FileAppeal(Appeal{Published: pub, Filed: time.Date(2025, 10, 8, 9, 0, 0, 0, time.UTC), Reason: "x"}); !errors.Is(err, ErrLate) {
		t.Fatalf("late appeal: %v", err)
	}
	a, _ = cal.Review(a, time.Date(2025, 10, 8, 9, 0, 0, 0, time.UTC))
	d, err := cal.Decide(a, true, "analyst1", "复核属实", time.Date(2025, 10, 9, 9, 0, 0, 0, time.UTC))
	if err != nil || d.State != AppealUpheld || d.DecidedBy != "analyst1" {
		t.Fatalf("%+v %v", d, err)
	}
	// Undecided past 10 working days: expired, and a decision is refused.
	late := cal.Expire(a, a.DecideBy.Add(time.Hour))
	if late.State != AppealExpired {
		t.Fatalf("%+v", late)
	}
	if _, err := cal.Decide(a, false, "x", "y", a.DecideBy.Add(time.Hour)); err == nil {
		t.Fatal("decision after expiry accepted")
	}
}

func TestLeagueAndCredit(t *testing.T) {
	var rs []Result
	for i := 0; i < 10; i++ {
		rs = append(rs, Result{Hospital: string(rune('a' + i)), Score: float64(100 - i)})
	}
	l := League(rs, nil, 0.1, 0.1)
	if l[0].Unit != "a" || l[0].Flag != "reward" || l[9].Unit != "j" || l[9].Flag != "warning" || l[5].Flag != "" {
		t.Fatalf("%+v", l)
	}
}

// Staff points (医保发〔2024〕23号 bands, default policy): upcoding is band 3 (7–9 points):
// 一般 7, 重要 8, 主要 9. d1: upcoding 7 + over-quantity 1 = 8 (not above 9: normal), then a
// duplicate charge (band 2, 一般 4) → 12: terminated. d2: split admission as 主要 9 +
// over-quantity 1 = 10 > 9: suspended. d3's two findings of one category on one stay are one
// violation (1). d4's points of 2024 and 2025 are separate years (7 each: normal).
func TestCreditPoints(t *testing.T) {
	p, err := DefaultCreditPolicy()
	if err != nil {
		t.Fatal(err)
	}
	for r, want := range map[string]int{"一般": 7, "重要": 8, "主要": 9} {
		if got, _ := p.Points(Violation{Category: "upcoding", Responsibility: r}); got != want {
			t.Errorf("upcoding %s = %d, want %d", r, got, want)
		}
	}
	d25 := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	vs := []Violation{
		{Person: "d1", SetlID: "s1", Category: "upcoding", At: d25},
		{Person: "d1", SetlID: "s2", Category: "over_quantity", At: d25},
		{Person: "d2", SetlID: "s3", Category: "split_admission", Responsibility: "主要", At: d25},
		{Person: "d2", SetlID: "s4", Category: "over_quantity", At: d25},
		{Person: "d3", SetlID: "s5", Category: "over_quantity", At: d25},
		{Person: "d3", SetlID: "s5", Category: "over_quantity", At: d25},
		{Person: "d4", SetlID: "s6", Category: "upcoding", At: d25.AddDate(-1, 0, 0)},
		{Person: "d4", SetlID: "s7", Category: "upcoding", At: d25},
	}
	check := func(vs []Violation, want map[string][2]any) {
		t.Helper()
		got, err := p.PersonPoints(vs)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range got {
			w, ok := want[c.Person]
			if !ok {
				continue
			}
			if c.Points != w[0].(int) || c.Status != w[1].(string) {
				t.Errorf("%s %d: %d points %s, want %v", c.Person, c.Year, c.Points, c.Status, w)
			}
		}
	}
	check(vs, map[string][2]any{"d1": {8, "normal"}, "d2": {10, "suspended"}, "d3": {1, "normal"}, "d4": {7, "normal"}})
	vs = append(vs, Violation{Person: "d1", SetlID: "s8", Category: "duplicate_charge", At: d25})
	check(vs, map[string][2]any{"d1": {12, "terminated"}})
	if _, err := p.Points(Violation{Category: "upcoding", Responsibility: "次要"}); err == nil {
		t.Error("unknown responsibility accepted")
	}
}

// Hospital credit items: 200 stays with 4 violation stays (2 per 100 → 2 × 2 = 4 points),
// violations 10 yuan of 1,000 yuan fund payments (1% → 5), list failures (3 rejected + 2
// failed) / 100 read = 5% (→ 5), one sanctioned doctor (→ 5): 100 − 19 = 81, rating B. A
// hospital without list counts is not deducted for them.
func TestHospitalCreditItems(t *testing.T) {
	p, _ := DefaultCreditPolicy()
	rows := p.HospitalCredit([]Facts{
		{Hospital: "H1", Cases: 200, FindingStays: 4, FindingsFen: 1000, FundFen: 100000, HasList: true, ListRead: 100, ListRejected: 3, ValidationFailed: 2},
		{Hospital: "H2", Cases: 100, FundFen: 100000},
	}, map[string]int{"H1": 1})
	if rows[0].Score != 81 || rows[0].Rating != "B" {
		t.Errorf("H1 %+v", rows[0])
	}
	if rows[1].Score != 100 || rows[1].Rating != "A" || rows[1].Items[2].Value != nil {
		t.Errorf("H2 %+v", rows[1])
	}
}

// Laparoscopy: 20 stays of 5 days at 6,000 yuan against 20 open ones of 7 days at 7,000 in
// the same DRG, outcomes equal → 效率与费用双优, coefficient 1.1. A stent whose users have 50%
// complications against 10% (10 of 20 vs 2 of 20: one-sided Fisher p = 0.0069 < 0.05) →
// 疗效较差, 0.95; 30% against 10% (6 of 20 vs 2 of 20, p = 0.118) would be no judgement.
func TestTechnologyGolden(t *testing.T) {
	cat, err := DefaultTechnologies()
	if err != nil {
		t.Fatal(err)
	}
	var cs []TechCase
	for i := 0; i < 20; i++ {
		cs = append(cs, TechCase{Hospital: "H1", DRG: "GD15", Procedures: []string{"47.0100"}, LOS: 5, Cost: 6000},
			TechCase{Hospital: "H2", DRG: "GD15", Procedures: []string{"47.0901"}, LOS: 7, Cost: 7000},
			TechCase{Hospital: "H1", DRG: "FM15", Items: []string{"C0212000001"}, LOS: 6, Cost: 30000, Complication: i < 10},
			TechCase{Hospital: "H2", DRG: "FM15", LOS: 6, Cost: 25000, Complication: i < 2})
	}
	got := map[string]TechResult{}
	for _, r := range cat.EvaluateTechnologies(cs) {
		if r.Hospital == "" {
			got[r.Technology] = r
		}
	}
	lap := got["lap_appendectomy"]
	if lap.Flags[0] != "效率与费用双优" || lap.Coefficient != 1.1 || lap.Tech.MeanLOS != 5 || lap.Alternatives.MeanCost != 7000 {
		t.Errorf("%+v", lap)
	}
	st := got["drug_eluting_stent"]
	if len(st.Flags) == 0 || st.Flags[0] != "疗效较差" || st.Coefficient != 0.95 || st.Tech.Complication != 50 || st.Alternatives.Complication != 10 {
		t.Errorf("%+v", st)
	}
	if got["robotic_surgery"].Tech.Cases != 0 {
		t.Errorf("robot %+v", got["robotic_surgery"])
	}
}
