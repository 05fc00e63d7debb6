package audit

import (
	"context"
	"fmt"
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
IVDRIP,静脉输液,,,,,,,,
STENT,冠脉支架,,,,,,,,
`,
	"exclusive.csv":    "code_a,code_b,scope,reason\nNURSE1,NURSE2,day,同日护理等级互斥\n",
	"bundles.csv":      "package_code,component_code,reason\nGA,INTUB,全麻含插管\n",
	"dx_evidence.csv":  "dx_prefix,evidence_codes,evidence_categories,reason\nJ96,BLOODGAS|VENT,,呼吸衰竭须有血气或通气\n",
	"detectors.json":   `{"version":"test-1","split_admission_days":15,"frequent_admission_max":6,"frequent_admission_window_days":365,"bed_hanging_idle_share":0.5,"excessive_los_factor":3,"excessive_los_cap_days":60,"drug_share_max":0.6,"drug_share_min_total_yuan":100,"single_charge_max_yuan":50000}`,
	"dx_procedure.csv": "proc_prefix,dx_prefixes,reason\n36.06,I20|I21|I22|I24|I25,冠脉支架须有冠心病诊断\n",
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
	for d := 0; d < days; d++ { // a normal stay: bed and nursing every day, and an infusion (treatment)
		s.Fees = append(s.Fees, line("b"+string(rune('0'+d)), "BED", "01", d, 8, 1, 60), line("n"+string(rune('0'+d)), "NURSE2", "07", d, 8, 1, 28),
			line("v"+string(rune('0'+d)), "IVDRIP", "05", d, 10, 1, 15))
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
				s.Fees[9].Price, s.Fees[9].Amount = 95*yibao.Dec6Scale, 9500 // day 3's bed at 95 > cap 80
				s.Fees[9].Serial = "c1"
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

// The case: nursing is billed automatically with every bed-day, so 2 days of care
// then 8 days of bed + nursing are 8 idle days of 10 (hand count: 8 > 0.5 × 10); the
// amount is the idle days' charges, 8 × (60 + 28) = 704 yuan. The near-miss keeps one
// infusion a day and is a normal long stay.
func TestBedHangingNursingIsNotCare(t *testing.T) {
	kb := loadTestKB(t, nil)
	s := stay("S", 2)
	for d := 2; d < 10; d++ {
		s.Fees = append(s.Fees, line("i"+string(rune('0'+d)), "BED", "01", d, 8, 1, 60), line("j"+string(rune('0'+d)), "NURSE2", "07", d, 8, 1, 28))
	}
	s.LOS, s.Discharge = 10, at(10, 10)
	fs := kb.AuditSettlement(s, 3)
	if len(fs) != 1 || fs[0].RuleID != "BED-001" || fs[0].Amount != 70400 || !strings.Contains(fs[0].Evidence, "有 8 天") {
		t.Fatalf("%+v", fs)
	}
	near := stay("N", 10)
	if fs := kb.AuditSettlement(near, 3); len(fs) != 0 {
		t.Fatalf("near-miss: %+v", fs)
	}
	// Which lines count as care is knowledge-base data: an infusion marked auto_daily no longer does.
	kb2 := loadTestKB(t, map[string]string{"items.csv": strings.Replace(testKB["items.csv"], "code,name,sex,min_age,max_age,indications,min_hosp_level,max_qty_per_day,max_qty_per_stay,max_price\n",
		"code,name,sex,min_age,max_age,indications,min_hosp_level,max_qty_per_day,max_qty_per_stay,max_price,auto_daily\n", 1) + "IVAUTO,自动输液,,,,,,,,,1\n"})
	auto := stay("A", 3)
	for i := range auto.Fees {
		if auto.Fees[i].ListCode == "IVDRIP" {
			auto.Fees[i].ListCode = "IVAUTO"
		}
	}
	if fs := kb2.AuditSettlement(auto, 3); len(fs) != 1 || fs[0].RuleID != "BED-001" {
		t.Fatalf("auto_daily: %+v", fs)
	}
}

func TestCustomCELRule(t *testing.T) {
	kb := loadTestKB(t, nil)
	s := stay("S", 2, line("big", "DRUG", "09", 0, 10, 100, 20))
	var fs []Finding
	for _, f := range kb.AuditSettlement(s, 3) {
		if f.RuleID == "C-001" {
			fs = append(fs, f)
		}
	}
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
	mk := func(id, cat string, a, b time.Time, plansNext bool) Stay {
		return Stay{SetlID: id, Person: "p", Hospital: "H", Admission: a, Discharge: b, Category: cat, Planned: plansNext, LOS: int(b.Sub(a).Hours() / 24), Group: cat, Disposition: "1"}
	}
	stays := []Stay{
		mk("a", "J18", d(1, 1), d(1, 8), false),
		mk("split", "J18", d(1, 20), d(1, 25), true),  // 12 days after a: split (found on a); plans the next
		mk("planned", "J18", d(2, 5), d(2, 8), false), // planned by "split": not split, not counted
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
	// Counted admissions: a, split, overlap, far, f0–f3; f2 is the 7th within 365 days.
	want := map[string]string{"a": "split_admission ", "overlap": "overlapping_stay ", "f2": "frequent_admission ", "f3": "frequent_admission "}
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

// crossOf runs the cross-settlement detectors and returns "rule@setl@hospital>other" strings.
func crossOf(kb *KB, stays ...Stay) []string {
	var out []string
	for _, f := range kb.CrossSettlement(stays) {
		out = append(out, f.RuleID+"@"+f.SetlID+"@"+f.Hospital+">"+f.Other)
	}
	return out
}

// A planned chemotherapy cycle: days_rinp_flag_31 = 2 is recorded on the EARLIER stay at its
// discharge. The near-misses: the same readmission without the flag is a split admission,
// found on the stay that was ended early; a flag on the readmission itself plans the stay
// after it, not this one.
func TestPlannedReadmissionIsReadFromTheEarlierStay(t *testing.T) {
	kb := loadTestKB(t, nil)
	t0 := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	first := Stay{SetlID: "C1", Person: "p", Hospital: "H1", Admission: t0, Discharge: t0.AddDate(0, 0, 4), Category: "Z51", Disposition: "1", Planned: true}
	// Discharged on day 4, readmitted on day 14: 10 calendar days, inside the 15-day window.
	second := Stay{SetlID: "C2", Person: "p", Hospital: "H1", Admission: t0.AddDate(0, 0, 14), Discharge: t0.AddDate(0, 0, 18), Category: "Z51", Disposition: "1"}
	if got := crossOf(kb, first, second); len(got) != 0 {
		t.Fatalf("planned cycle flagged: %v", got)
	}
	unflagged := first
	unflagged.Planned = false
	if got := crossOf(kb, unflagged, second); strings.Join(got, ",") != "SPL-001@C1@H1>C2" {
		t.Fatalf("unplanned readmission: %v", got)
	}
	late := second
	late.Planned, first.Planned = true, false
	if got := crossOf(kb, first, late); strings.Join(got, ",") != "SPL-001@C1@H1>C2" {
		t.Fatalf("flag on the readmission only: %v", got)
	}
	// A planned flag does not cover a readmission after its 31 days (discharge day 4, readmission day 40).
	first.Planned = true
	far := second
	far.Admission, far.Discharge = t0.AddDate(0, 0, 40), t0.AddDate(0, 0, 43)
	if got := crossOf(kb, first, far); len(got) != 0 {
		t.Fatalf("36 days later, beyond the split window: %v", got)
	}
}

func TestSplitAdmissionLandsOnTheEarlyDischarge(t *testing.T) {
	kb := loadTestKB(t, nil)
	t0 := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	a := Stay{SetlID: "A", Person: "p", Hospital: "H1", Admission: t0, Discharge: t0.AddDate(0, 0, 5), Category: "J18", Disposition: "1"}
	b := Stay{SetlID: "B", Person: "p", Hospital: "H2", Admission: t0.AddDate(0, 0, 12), Discharge: t0.AddDate(0, 0, 16), Category: "J18", Disposition: "1"}
	// 12 − 5 = 7 calendar days ≤ 15: a split admission, charged to H1, naming B.
	if got := crossOf(kb, b, a); strings.Join(got, ",") != "SPL-001@A@H1>B" {
		t.Fatalf("%v", got)
	}
	fs := kb.CrossSettlement([]Stay{a, b})
	if !strings.Contains(fs[0].Evidence, "A") || !strings.Contains(fs[0].Evidence, "B") {
		t.Fatalf("evidence must name both stays: %s", fs[0].Evidence)
	}
	// Flag on the later stay only: still a split admission.
	b.Planned = true
	if got := crossOf(kb, a, b); strings.Join(got, ",") != "SPL-001@A@H1>B" {
		t.Fatalf("flag on the readmission: %v", got)
	}
}

// The transfer: H1 discharges with dscg_way 2 at 10:00, H2 admits at 11:00. Not a
// split admission, not an overlap, not a new admission. Near-misses: the same timing with
// dscg_way 1 (a discharge home) and a transfer disposition with admission three days later.
func TestTransferIsNeverASplitAdmission(t *testing.T) {
	kb := loadTestKB(t, nil)
	t0 := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	dis := time.Date(2024, 3, 6, 10, 0, 0, 0, time.UTC)
	a := Stay{SetlID: "A", Person: "p", Hospital: "H1", Admission: t0, Discharge: dis, Category: "I21", Disposition: "2"}
	b := Stay{SetlID: "B", Person: "p", Hospital: "H2", Admission: dis.Add(time.Hour), Discharge: dis.AddDate(0, 0, 6), Category: "I21", Disposition: "1"}
	if got := crossOf(kb, a, b); len(got) != 0 {
		t.Fatalf("transfer flagged: %v", got)
	}
	a.Disposition = "3"
	if got := crossOf(kb, a, b); len(got) != 0 {
		t.Fatalf("transfer to community flagged: %v", got)
	}
	home := a
	home.Disposition = "1"
	if got := crossOf(kb, home, b); strings.Join(got, ",") != "SPL-001@A@H1>B" {
		t.Fatalf("discharge home then admission: %v", got)
	}
	late := b
	late.Admission = dis.AddDate(0, 0, 3)
	if got := crossOf(kb, a, late); strings.Join(got, ",") != "SPL-001@A@H1>B" {
		t.Fatalf("transfer disposition, admission 3 days later: %v", got)
	}
	same := b
	same.Hospital = "H1"
	if got := crossOf(kb, a, same); strings.Join(got, ",") != "SPL-001@A@H1>B" {
		t.Fatalf("a 'transfer' back into the same hospital: %v", got)
	}
}

// Seven admissions in a year exceed the maximum of six only when planned cycles and
// transfer receipts are not counted as admissions.
func TestFrequentAdmissionCountsOnlyNewUnplannedAdmissions(t *testing.T) {
	kb := loadTestKB(t, nil)
	var h []Stay
	for i := 0; i < 7; i++ {
		a := time.Date(2024, time.Month(1+i), 3, 9, 0, 0, 0, time.UTC)
		h = append(h, Stay{SetlID: fmt.Sprintf("S%d", i), Person: "p", Hospital: "H1", Admission: a, Discharge: a.AddDate(0, 0, 3),
			Category: fmt.Sprintf("C%02d", i), Disposition: "1"})
	}
	if got := crossOf(kb, h...); strings.Join(got, ",") != "FRQ-001@S6@H1>" {
		t.Fatalf("seven unplanned admissions: %v", got)
	}
	planned := append([]Stay{}, h...)
	planned[4].Planned = true // plans S5 (a month later: within 31 days? 3 days stay + 26 days gap)
	if got := crossOf(kb, planned...); len(got) != 0 {
		t.Fatalf("S5 planned by S4: %v", got)
	}
	transfer := append([]Stay{}, h...)
	transfer[6].Admission = transfer[5].Discharge.Add(2 * time.Hour)
	transfer[6].Discharge = transfer[6].Admission.AddDate(0, 0, 2)
	transfer[6].Hospital = "H2"
	transfer[5].Disposition = "2"
	if got := crossOf(kb, transfer...); len(got) != 0 {
		t.Fatalf("S6 receives a transfer from S5: %v", got)
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

// ruleFindings keeps the findings of one rule.
func ruleFindings(fs []Finding, id string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.RuleID == id {
			out = append(out, f)
		}
	}
	return out
}

func refund(sn, code, cat string, day, hour int, qty, price int64, order string) yibao.FeeLine {
	l := line(sn, code, cat, day, hour, -qty, price)
	l.Order = order
	return l
}

// The netting cases, by hand: +10 then −4 of a test limited to 8 a day is a net 6
// (no finding); +10 then −1 is a net 9, one over (1 × 8 yuan = 800 fen, on the charge line,
// evidence showing the netting). Bill, full refund, re-bill is one charge (no duplicate);
// two bills without the refund are a duplicate.
func TestRefundsAreNettedBeforeTheRules(t *testing.T) {
	kb := loadTestKB(t, nil)
	s := stay("S", 3, line("g1", "GLU", "04", 1, 9, 10, 8), refund("g2", "GLU", "04", 1, 15, 4, 8, ""))
	if fs := kb.AuditSettlement(s, 3); len(fs) != 0 {
		t.Fatalf("+10 −4 under a limit of 8: %+v", fs)
	}
	s = stay("S", 3, line("g1", "GLU", "04", 1, 9, 10, 8), refund("g2", "GLU", "04", 1, 15, 1, 8, ""))
	fs := kb.AuditSettlement(s, 3)
	if len(fs) != 1 || fs[0].RuleID != "QTY-DAY" || fs[0].Serial != "g1" || fs[0].Amount != 800 || !strings.Contains(fs[0].Evidence, "已冲减第 g2 条退费，净 9") {
		t.Fatalf("+10 −1: %+v", fs)
	}
	// A refund on another day does not lower that day's count (it matches nothing on day 2;
	// it still lowers the stay total).
	s = stay("S", 3, line("g1", "GLU", "04", 1, 9, 10, 8), refund("g2", "GLU", "04", 2, 15, 4, 8, ""))
	if fs := kb.AuditSettlement(s, 3); len(ruleFindings(fs, "QTY-DAY")) != 1 || ruleFindings(fs, "QTY-DAY")[0].Amount != 1600 {
		t.Fatalf("refund on another day: %+v", fs)
	}
	// ... unless the order number ties it to the charge.
	g1 := line("g1", "GLU", "04", 1, 9, 10, 8)
	g1.Order = "RX1"
	s = stay("S", 3, g1, refund("g2", "GLU", "04", 2, 15, 4, 8, "RX1"))
	if fs := kb.AuditSettlement(s, 3); len(fs) != 0 {
		t.Fatalf("refund matched by order number: %+v", fs)
	}
	bill := line("x1", "DRUG", "09", 1, 9, 2, 20)
	rebill := bill
	rebill.Serial = "x3"
	s = stay("S", 3, bill, refund("x2", "DRUG", "09", 1, 9, 2, 20, ""), rebill)
	s.Fees[len(s.Fees)-2].Time = bill.Time.Add(time.Hour)
	s.Fees[len(s.Fees)-1].Time = bill.Time // re-billed with the original time
	if fs := kb.AuditSettlement(s, 3); len(fs) != 0 {
		t.Fatalf("bill, refund, re-bill: %+v", fs)
	}
	s = stay("S", 3, bill, rebill)
	if fs := kb.AuditSettlement(s, 3); len(fs) != 1 || fs[0].RuleID != "DUP-001" || fs[0].Serial != "x3" {
		t.Fatalf("bill, bill: %+v", fs)
	}
	// Two identical lines of different orders are two orders, not a repeat.
	o1, o2 := bill, rebill
	o1.Order, o2.Order = "RX1", "RX2"
	if fs := kb.AuditSettlement(stay("S", 3, o1, o2), 3); len(fs) != 0 {
		t.Fatalf("two orders: %+v", fs)
	}
	// A restricted item refunded in full is not billed; partly refunded, its amount is net.
	s = stay("S", 3, line("p1", "PSA", "04", 0, 10, 2, 80), refund("p2", "PSA", "04", 0, 12, 2, 80, ""))
	if fs := kb.AuditSettlement(s, 3); len(fs) != 0 {
		t.Fatalf("refunded PSA: %+v", fs)
	}
	s = stay("S", 3, line("p1", "PSA", "04", 0, 10, 2, 80), refund("p2", "PSA", "04", 0, 12, 1, 80, ""))
	if fs := kb.AuditSettlement(s, 3); len(fs) != 1 || fs[0].RuleID != "SEX-001" || fs[0].Amount != 8000 {
		t.Fatalf("half-refunded PSA: %+v", fs)
	}
}

// Only the rules whose facts are all on the netted line are confirmed without review.
func TestConfirmationPolicy(t *testing.T) {
	for id, want := range map[string]bool{"QTY-DAY": true, "PRC-001": true, "EXC-001": true, "DUP-001": false, "OVL-001": false, "SEX-002": false, "SPL-001": false, "IND-001": false} {
		r := Rules[id]
		if got := AutoConfirmable(Finding{RuleID: id, Severity: r.Severity}); got != want {
			t.Errorf("%s: auto-confirm %v, want %v", id, got, want)
		}
	}
	if AutoConfirmable(Finding{RuleID: "C-001", Severity: Definite}) {
		t.Error("a custom rule is auto-confirmed")
	}
}

// Drug share: 3 days of bed 60, nursing 28, infusion 15 = 309 yuan; drugs of 600 make
// 600 / 909 = 66% > 60%: the amount is (600 − 0.6 × 909) ÷ 0.4 = 136.50 yuan. Drugs of 400
// are 400 / 709 = 56%: no finding.
func TestDrugShare(t *testing.T) {
	kb := loadTestKB(t, nil)
	fs := ruleFindings(kb.AuditSettlement(stay("S", 3, line("d1", "DRUG", "09", 1, 9, 30, 20)), 3), "DRG-SHR")
	if len(fs) != 1 || fs[0].Amount != 13650 || fs[0].Category != "drug_share" {
		t.Fatalf("%+v", fs)
	}
	if fs := kb.AuditSettlement(stay("S", 3, line("d1", "DRUG", "09", 1, 9, 20, 20)), 3); len(fs) != 0 {
		t.Fatalf("near-miss: %+v", fs)
	}
}

// A single line over 50,000 yuan (the test threshold) is suspicious; 50,000 exactly is not.
func TestHighSingleCharge(t *testing.T) {
	kb := loadTestKB(t, nil)
	fs := ruleFindings(kb.AuditSettlement(stay("S", 3, line("r1", "ROBOT", "06", 1, 10, 1, 50001)), 3), "HIGH-001")
	if len(fs) != 1 || fs[0].Serial != "r1" || fs[0].Amount != 5000100 {
		t.Fatalf("%+v", fs)
	}
	if fs := ruleFindings(kb.AuditSettlement(stay("S", 3, line("r1", "ROBOT", "06", 1, 10, 1, 50000)), 3), "HIGH-001"); len(fs) != 0 {
		t.Fatalf("near-miss: %+v", fs)
	}
}

// The example: a cardiac stent with appendicitis as the only diagnosis.
func TestDiagnosisProcedureConsistency(t *testing.T) {
	kb := loadTestKB(t, nil)
	s := stay("S", 3)
	s.Diagnoses = []yibao.Diagnosis{{Code: "K35.800x001", Principal: true}}
	s.Procedures = []yibao.Procedure{{Code: "36.0600x001", Principal: true}}
	fs := kb.AuditSettlement(s, 3)
	if len(fs) != 1 || fs[0].RuleID != "DXP-001" || fs[0].Serial != "" {
		t.Fatalf("%+v", fs)
	}
	s.Diagnoses = append(s.Diagnoses, yibao.Diagnosis{Code: "I21.000"})
	if fs := kb.AuditSettlement(s, 3); len(fs) != 0 {
		t.Fatalf("near-miss with I21: %+v", fs)
	}
	// A TCM diagnosis never satisfies an ICD-10 rule.
	s.Diagnoses = []yibao.Diagnosis{{Code: "K35.800x001", Principal: true}, {Code: "I21", Type: "2"}}
	if fs := kb.AuditSettlement(s, 3); len(fs) != 1 {
		t.Fatalf("TCM diagnosis: %+v", fs)
	}
}
