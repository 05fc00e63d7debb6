package audit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yibao-dev/yibao"
)

// A hand-written knowledge base, independent of the synthetic region's.
var testKB = map[string]string{
	"items.csv": `code,name,sex,min_age,max_age,indications,min_hosp_level,max_qty_per_day,max_qty_per_stay,max_price
BED,床位费,,,,,,1,,80
PSA,前列腺特异性抗原,1,,,,,,,
KID,小儿感冒颗粒,,,12,,,,,
PPI,注射用泮托拉唑,,,,K92|K25,,2,,
ROBOT,机器人辅助手术,,,,,3,,,
GLU,血糖监测,,,,,,8,,
HBA,糖化血红蛋白,,,,,,,1,
NURSE1,一级护理,,,,,,1,,
NURSE2,二级护理,,,,,,1,,
GA,全身麻醉,,,,,,,,
INTUB,气管插管,,,,,,,,
DRUG,头孢曲松,,,,,,,,
`,
	"exclusive.csv":   "code_a,code_b,scope,reason\nNURSE1,NURSE2,day,同日护理等级互斥\n",
	"bundles.csv":     "package_code,component_code,reason\nGA,INTUB,全麻含插管\n",
	"dx_evidence.csv": "dx_prefix,evidence_codes,evidence_categories,reason\nJ96,BLOODGAS|VENT,,呼吸衰竭须有血气或通气\n",
	"detectors.json":  `{"version":"test-1","split_admission_days":15,"frequent_admission_max":6,"frequent_admission_window_days":365,"bed_hanging_idle_share":0.5,"excessive_los_factor":3,"excessive_los_cap_days":60}`,
	"rules.json": `[{"id":"C-001","name":"单张处方金额过高","category":"custom_high_line","severity":"suspicious","scope":"line",
  "expr":"line.category == '09' && line.amount > 1000.0","amount":"line_amount","message":"{name} 金额 {amount} 元"}]`,
}

func loadTestKB(t *testing.T, override map[string]string) *KB {
	t.Helper()
	dir := t.TempDir()
	for name, body := range testKB {
		if v, ok := override[name]; ok {
			body = v
		}
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	kb, err := LoadKB(dir)
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

var adm = time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)

func at(day, hour int) time.Time { return adm.Add(time.Duration(day*24+hour-9) * time.Hour) }

func stay(id string, days int, lines ...yibao.FeeLine) *yibao.Settlement {
	s := &yibao.Settlement{ID: id, Hospital: "H1", Inpatient: true, Admission: adm, Discharge: at(days, 10), LOS: days,
		Patient:   yibao.Patient{Pseudonym: "p1", Sex: yibao.Female, Age: 40},
		Diagnoses: []yibao.Diagnosis{{Code: "J18.900", Principal: true}}}
	for d := 0; d < days; d++ { // a normal stay: bed and nursing every day
		s.Fees = append(s.Fees, line("b"+string(rune('0'+d)), "BED", "01", d, 8, 1, 60), line("n"+string(rune('0'+d)), "NURSE2", "07", d, 8, 1, 28))
	}
	s.Fees = append(s.Fees, lines...)
	return s
}

func line(sn, code, cat string, day, hour int, qty, price int64) yibao.FeeLine {
	q, p := yibao.Dec6(qty*yibao.Dec6Scale), yibao.Dec6(price*yibao.Dec6Scale)
	return yibao.FeeLine{Serial: sn, ListCode: code, Category: cat, Time: at(day, hour).Add(time.Duration(len(sn)) * time.Minute), Qty: q, Price: p, Amount: yibao.MulFen(q, p)}
}

func TestNormalStayHasNoFinding(t *testing.T) {
	kb := loadTestKB(t, nil)
	s := stay("S", 4, line("d1", "DRUG", "09", 1, 9, 2, 20))
	if fs := kb.AuditSettlement(s, 3); len(fs) != 0 {
		t.Fatalf("%+v", fs)
	}
}

func TestEachLineRuleFiresOnItsLine(t *testing.T) {
	kb := loadTestKB(t, nil)
	dup := line("x1", "DRUG", "09", 1, 9, 2, 20)
	dup2 := dup
	dup2.Serial = "x2"
	cases := []struct {
		name, category, serial string
		lines                  []yibao.FeeLine
		level                  int
		amount                 yibao.Fen
	}{
		{"duplicate", "duplicate_charge", "x2", []yibao.FeeLine{dup, dup2}, 3, 4000},
		{"daily quantity", "over_quantity", "g2", []yibao.FeeLine{line("g1", "GLU", "04", 1, 8, 4, 8), line("g2", "GLU", "04", 1, 20, 6, 8)}, 3, 1600},
		{"stay quantity", "over_quantity", "h2", []yibao.FeeLine{line("h1", "HBA", "04", 0, 10, 1, 70), line("h2", "HBA", "04", 2, 10, 1, 70)}, 3, 7000},
		{"sex", "sex_restriction", "p1", []yibao.FeeLine{line("p1", "PSA", "04", 0, 10, 1, 80)}, 3, 8000},
		{"age", "age_restriction", "k1", []yibao.FeeLine{line("k1", "KID", "09", 0, 10, 2, 3)}, 3, 600},
		{"indication", "indication_restriction", "i1", []yibao.FeeLine{line("i1", "PPI", "09", 0, 10, 1, 22)}, 3, 2200},
		{"hospital level", "hosp_level_restriction", "r1", []yibao.FeeLine{line("r1", "ROBOT", "06", 1, 10, 1, 20000)}, 2, 2000000},
		{"price cap", "price_over_cap", "c1", []yibao.FeeLine{line("c1", "BED", "01", 3, 22, 1, 95)}, 3, 1500},
		{"exclusive", "exclusive_items", "n1", []yibao.FeeLine{line("a1", "NURSE1", "07", 1, 9, 1, 45)}, 3, 2800},
		{"unbundling", "unbundling", "t1", []yibao.FeeLine{line("ga", "GA", "06", 1, 9, 1, 900), line("t1", "INTUB", "05", 1, 9, 1, 150)}, 3, 15000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := stay("S", 4, c.lines...)
			if c.name == "price cap" {
				s.Fees = s.Fees[:len(s.Fees)-1]
				s.Fees[6].Price, s.Fees[6].Amount = 95*yibao.Dec6Scale, 9500 // day 3's bed at 95 > cap 80
				s.Fees[6].Serial = "c1"
			}
			fs := kb.AuditSettlement(s, c.level)
			if len(fs) != 1 || fs[0].Category != c.category || fs[0].Serial != c.serial || fs[0].Amount != c.amount || fs[0].Evidence == "" {
				t.Fatalf("%+v", fs)
			}
		})
	}
}

func TestUpcodingNeedsEvidence(t *testing.T) {
	kb := loadTestKB(t, nil)
	s := stay("S", 4)
	s.Diagnoses = append(s.Diagnoses, yibao.Diagnosis{Code: "J96.000"})
	fs := kb.AuditSettlement(s, 3)
	if len(fs) != 1 || fs[0].Category != "upcoding" || fs[0].Serial != "" {
		t.Fatalf("%+v", fs)
	}
	s.Fees = append(s.Fees, line("bg", "BLOODGAS", "04", 1, 9, 1, 120))
	if fs := kb.AuditSettlement(s, 3); len(fs) != 0 {
		t.Fatalf("evidence present, still %+v", fs)
	}
}

func TestBedHanging(t *testing.T) {
	kb := loadTestKB(t, nil)
	s := stay("S", 3)
	for d := 3; d < 7; d++ { // four more days with a bed and nothing else: 4 of 7 idle
		s.Fees = append(s.Fees, line("i"+string(rune('0'+d)), "BED", "01", d, 8, 1, 60))
	}
	s.LOS, s.Discharge = 7, at(7, 10)
	fs := kb.AuditSettlement(s, 3)
	if len(fs) != 1 || fs[0].Category != "bed_hanging" || fs[0].Amount != 24000 {
		t.Fatalf("%+v", fs)
	}
}

func TestCustomCELRule(t *testing.T) {
	kb := loadTestKB(t, nil)
	s := stay("S", 2, line("big", "DRUG", "09", 0, 10, 100, 20))
	fs := kb.AuditSettlement(s, 3)
	if len(fs) != 1 || fs[0].RuleID != "C-001" || fs[0].Amount != 200000 || !strings.Contains(fs[0].Evidence, "2000") {
		t.Fatalf("%+v", fs)
	}
	for name, body := range map[string]string{
		"syntax":   `[{"id":"X","name":"n","category":"c","severity":"suspicious","scope":"line","expr":"line.amount >"}]`,
		"severity": `[{"id":"X","name":"n","category":"c","severity":"bad","scope":"line","expr":"true"}]`,
	} {
		dir := t.TempDir()
		for n, b := range testKB {
			os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644)
		}
		os.WriteFile(filepath.Join(dir, "rules.json"), []byte(body), 0o644)
		if _, err := LoadKB(dir); err == nil || !strings.Contains(err.Error(), "rules.json") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestKBErrorsNameFileLineAndColumn(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "items.csv"), []byte(strings.Replace(testKB["items.csv"], "KID,小儿感冒颗粒,,,12", "KID,小儿感冒颗粒,3,,12", 1)), 0o644)
	_, err := LoadKB(dir)
	if err == nil || !strings.Contains(err.Error(), "items.csv line 4 column sex") {
		t.Fatalf("%v", err)
	}
}

func TestCrossSettlementDetectors(t *testing.T) {
	kb := loadTestKB(t, nil)
	d := func(m, day int) time.Time { return time.Date(2024, time.Month(m), day, 10, 0, 0, 0, time.UTC) }
	mk := func(id, cat string, a, b time.Time, planned bool) Stay {
		return Stay{SetlID: id, Person: "p", Hospital: "H", Admission: a, Discharge: b, Category: cat, Planned: planned, LOS: int(b.Sub(a).Hours() / 24), Group: cat}
	}
	stays := []Stay{
		mk("a", "J18", d(1, 1), d(1, 8), false),
		mk("split", "J18", d(1, 20), d(1, 25), false), // 12 days after a: split
		mk("planned", "J18", d(2, 5), d(2, 8), true),  // planned: not split, not counted
		mk("overlap", "K35", d(2, 7), d(2, 9), false), // starts inside "planned"
		mk("far", "J18", d(3, 20), d(3, 25), false),   // 40 days later: nothing
	}
	for i := 0; i < 4; i++ {
		stays = append(stays, mk("f"+string(rune('0'+i)), "I10", d(5+i, 1), d(5+i, 3), false))
	}
	got := map[string]string{}
	for _, f := range kb.CrossSettlement(stays) {
		got[f.SetlID] += f.Category + " "
	}
	// Unplanned stays: a, split, overlap, far, f0–f3; f2 is the 7th within 365 days.
	want := map[string]string{"split": "split_admission ", "overlap": "overlapping_stay ", "f2": "frequent_admission ", "f3": "frequent_admission "}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	// Excessive stay: 30 days against five others of 6 days (mean 6) in the group; a lone
	// stay of 70 days exceeds the 60-day cap.
	var es []Stay
	for i := 0; i < 5; i++ {
		es = append(es, Stay{SetlID: "n" + string(rune('0'+i)), Group: "G", LOS: 6})
	}
	es = append(es, Stay{SetlID: "long", Group: "G", LOS: 30}, Stay{SetlID: "lone", Group: "H", LOS: 70}, Stay{SetlID: "lone-ok", Group: "I", LOS: 50})
	var ids []string
	for _, f := range kb.ExcessiveLOS(es) {
		ids = append(ids, f.SetlID)
	}
	if strings.Join(ids, ",") != "long,lone" {
		t.Fatalf("excessive: %v", ids)
	}
}

func TestEvaluate(t *testing.T) {
	fs := []Finding{{Category: "a", SetlID: "1", Serial: "1"}, {Category: "a", SetlID: "2", Serial: "1"}, {Category: "b", SetlID: "3"}}
	ls := []Label{{"a", "1", "1"}, {"a", "9", "1"}, {"b", "3", ""}}
	sc := Evaluate(fs, ls)
	if sc[0].Precision != 0.5 || sc[0].Recall != 0.5 || sc[1].Precision != 1 || sc[1].Recall != 1 {
		t.Fatalf("%+v", sc)
	}
	_ = context.Background
}

func TestDiagnosisOfTheOtherSex(t *testing.T) {
	kb := loadTestKB(t, nil)
	s := stay("S", 3)
	s.Patient.Sex = yibao.Male
	s.Diagnoses = append(s.Diagnoses, yibao.Diagnosis{Code: "O80.900"})
	fs := kb.AuditSettlement(s, 3)
	if len(fs) != 1 || fs[0].RuleID != "SEX-002" || fs[0].Category != "sex_restriction" || fs[0].Serial != "" {
		t.Fatalf("%+v", fs)
	}
	// Without a registry level, the settlement's own level decides the level rule.
	s = stay("L", 2, line("r1", "ROBOT", "06", 1, 10, 1, 20000))
	s.SettlementLevel = 2
	if fs := kb.AuditSettlement(s, 0); len(fs) != 1 || fs[0].Category != "hosp_level_restriction" {
		t.Fatalf("%+v", fs)
	}
}
