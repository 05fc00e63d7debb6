package grouper_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/schemes"
)

// tinyScheme is a format 2.0 scheme whose one MDC is entered when cond holds, so that a
// case groups (T19) exactly when the predicate is true and ends 无法入组 otherwise.
func tinyScheme(cond, features string) string {
	return `{"format":"drg-scheme-declarative","format_version":"2.0","format_features":[` + features + `],
"scheme":{"id":"tiny","version":"1"},
"input":{"code_list_separators":["|"],"keep_empty_items":true},
"statuses":[{"id":"OK","label_zh":"分组成功","label_en":"grouped"},{"id":"NO","label_zh":"无法入组","label_en":"no group"},{"id":"BAD","label_zh":"信息校验不通过","label_en":"invalid"},{"id":"QY","label_zh":"歧义病案","label_en":"ambiguous"}],
"results":{"check_failed":{"status":"BAD","mdc":"0000","adrg":"00","drg":"0000"},"no_mdc":{"status":"NO","mdc":"0000","adrg":"00","drg":"0000"},
 "drg":{"status":"OK","mdc":"MDC{code[0]}","adrg":"{code[0:3]}","drg":"{code}"},"adrg_without_drg":{"status":"OK","mdc":"MDC{code[0]}","adrg":"{code}","drg":"{code}"},"qy":{"status":"QY","mdc":"MDC{code[0]}","adrg":"QY","drg":"{code}"}},
"validation":[],
"grouping":{"mdc_order":["MDCT"],"mdc_without_adrg":"continue_with_next_mdc","no_mdc_result":"no_mdc","adrg_without_drg":"adrg_without_drg"},
"mdcs":[{"code":"MDCT","name_zh":"测试","name_en":"test","entry":` + cond + `,
 "adrgs":[{"code":"T1","name_zh":"测试","entry":{"op":"true"},"drgs":[{"code":"T19","name_zh":"测试","when":{"op":"true"}}]}],"qy":{"enabled":false}}],
"tables":{"mcc":{},"cc":{},"cce":{},"ss_valid":[]},
"lists":{"L":["Z37.000"],"LP":["99.1000"]}}`
}

func parseTiny(t *testing.T, cond, features string) *grouper.Scheme {
	t.Helper()
	s, err := grouper.Parse([]byte(tinyScheme(cond, features)))
	if err != nil {
		t.Fatalf("%s: %v", cond, err)
	}
	return s
}

// TestV2PredicatesSpecExamples checks every worked example of scheme-format-v2.md §4
// (the expected truth values are the specification's, not this grouper's output).
func TestV2PredicatesSpecExamples(t *testing.T) {
	type ex struct {
		c    grouper.Case
		want bool
	}
	dx := func(s string) grouper.Case { return grouper.Case{Diagnoses: strings.Split(s, "|")} }
	px := func(s string) grouper.Case {
		c := grouper.Case{Diagnoses: []string{"A00.000"}}
		if s != "" {
			c.Procedures = strings.Split(s, "|")
		}
		return c
	}
	los := func(v string) grouper.Case { return grouper.Case{Diagnoses: []string{"A00.000"}, LOS: v} }
	icu := func(v string) grouper.Case { return grouper.Case{Diagnoses: []string{"A00.000"}, ICUHours: v} }
	disc := func(v string) grouper.Case { return grouper.Case{Diagnoses: []string{"A00.000"}, Discharge: v} }
	dept := func(v string) grouper.Case { return grouper.Case{Diagnoses: []string{"A00.000"}, Dept: v} }
	tests := []struct {
		cond, feature string
		cases         []ex
	}{
		{`{"op":"secondary_dx_in","list":"L"}`, "secondary_dx_in", []ex{
			{dx("O80.000|Z37.000"), true}, {dx("Z37.000|O80.000"), false}, {dx("Z37.000|Z37.000"), true}, {dx("O80.000"), false}}},
		{`{"op":"secondary_proc_in","list":"LP"}`, "secondary_proc_in", []ex{
			{px("99.1000"), false}, {px("38.9300|99.1000"), true}, {px("|99.1000"), true}, {px(""), false}}},
		{`{"op":"procedure_count","cmp":"==","value":0}`, "procedure_count", []ex{{px(""), true}, {px("47.0901"), false}}},
		{`{"op":"procedure_count","cmp":"==","value":2}`, "procedure_count", []ex{{px("47.0901|"), true}, {px("47.0901"), false}}},
		{`{"op":"procedure_count","cmp":"==","value":3}`, "procedure_count", []ex{{px("47.0901||54.2101"), true}}},
		{`{"op":"los","cmp":"<","value":5}`, "los", []ex{
			{los("4"), true}, {los("04"), true}, {los("5"), false}, {los("4.0"), false}, {los(""), false}, {los(" 4"), false}, {los("+4"), true}}},
		{`{"op":"not","arg":{"op":"los","cmp":">=","value":3}}`, "los", []ex{{los(""), true}, {los("x"), true}, {los("2"), true}, {los("3"), false}}},
		{`{"op":"icu_hours","cmp":">","value":120}`, "icu_hours", []ex{
			{icu("121"), true}, {icu("120.5"), true}, {icu("120"), false}, {icu("120.0"), false}, {icu("0"), false},
			{icu(""), false}, {icu("1e3"), false}, {icu("abc"), false}}},
		{`{"op":"icu_hours","cmp":"==","value":120}`, "icu_hours", []ex{{icu("120.0"), true}, {icu(".5"), false}}},
		{`{"op":"discharge_in","values":["2","5"]}`, "discharge_in", []ex{
			{disc("2"), true}, {disc("5"), true}, {disc("02"), false}, {disc("2.0"), false}, {disc("2 "), false}, {disc(""), false}}},
		{`{"op":"dept_in","values":["ICU"]}`, "dept_in", []ex{
			{dept("ICU"), true}, {dept("icu"), false}, {dept(" ICU"), false}, {dept("ICU "), false}, {dept("重症医学科"), false}, {dept(""), false}}},
	}
	for _, tc := range tests {
		s := parseTiny(t, tc.cond, `"`+tc.feature+`"`)
		for _, e := range tc.cases {
			e.c.ID = "t"
			r := s.Group(&e.c, true)
			if got := r.DRG == "T19"; got != e.want {
				t.Errorf("%s on %+v: %v, want %v (%s)", tc.cond, e.c, got, e.want, r.Status)
			}
			if e.want && len(r.Explanation) == 0 {
				t.Errorf("%s: no explanation", tc.cond)
			}
		}
	}
}

// TestV2RefusesWhatItDoesNotKnow covers the reader rules of scheme-format-v2.md §2: every
// refusal names what it refuses.
func TestV2RefusesWhatItDoesNotKnow(t *testing.T) {
	los := `{"op":"los","cmp":"<","value":5}`
	demo := string(schemes.DemoDRG)
	cases := []struct{ name, body, want string }{
		{"major 3", strings.Replace(tinyScheme(los, `"los"`), `"2.0"`, `"3.0"`, 1), `"3.0"`},
		{"unknown feature", tinyScheme(los, `"los","teleport"`), `"teleport"`},
		{"feature twice", tinyScheme(los, `"los","los"`), `twice`},
		{"used not listed", tinyScheme(`{"op":"all","args":[`+los+`,{"op":"dept_in","values":["ICU"]}]}`, `"los"`), "dept_in"},
		{"listed not used", tinyScheme(los, `"los","regroup"`), "regroup"},
		{"no features in 2.0", strings.Replace(tinyScheme(los, `"los"`), `"format_features":["los"],`, ``, 1), "format_features"},
		{"features in 1.0", strings.Replace(tinyScheme(`{"op":"true"}`, ``), `"2.0"`, `"1.0"`, 1), "format_features"},
		{"2.0 op in 1.0", strings.Replace(strings.Replace(tinyScheme(los, ``), `"2.0"`, `"1.0"`, 1), `"format_features":[],`, ``, 1), "los"},
		{"empty values", tinyScheme(`{"op":"dept_in","values":[]}`, `"dept_in"`), "dept_in"},
		{"empty value", tinyScheme(`{"op":"discharge_in","values":[""]}`, `"discharge_in"`), "discharge_in"},
		{"unknown op", tinyScheme(`{"op":"tertiary_dx_in","list":"L"}`, ``), "tertiary_dx_in"},
		{"unknown trigger", strings.Replace(tinyScheme(los, `"los","regroup"`), `"adrg_without_drg":"adrg_without_drg"}`,
			`"adrg_without_drg":"adrg_without_drg","regroup":{"trigger":"qy","retry":"each_secondary_procedure_alone"}}`, 1), `"qy"`},
		{"unknown retry", strings.Replace(tinyScheme(los, `"los","regroup"`), `"adrg_without_drg":"adrg_without_drg"}`,
			`"adrg_without_drg":"adrg_without_drg","regroup":{"trigger":"no_mdc","retry":"all_pairs"}}`, 1), `"all_pairs"`},
	}
	for _, tc := range cases {
		_, err := grouper.Parse([]byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v should name %s", tc.name, err, tc.want)
		}
	}
	// Every 1.0 scheme stays valid, and a 2.x minor version is read as 2.
	if _, err := grouper.Parse(schemes.DemoDRG); err != nil {
		t.Fatal(err)
	}
	if _, err := grouper.Parse([]byte(strings.Replace(tinyScheme(los, `"los"`), `"2.0"`, `"2.1"`, 1))); err != nil {
		t.Errorf("2.1: %v", err)
	}
	// Refusals name the file too.
	p := filepath.Join(t.TempDir(), "v3.json")
	os.WriteFile(p, []byte(strings.Replace(demo, `"1.0"`, `"3.0"`, 1)), 0o644)
	if _, err := grouper.Load(p); err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "3.0") {
		t.Errorf("v3 demo: %v", err)
	}
}

func groupExplained(t *testing.T, s *grouper.Scheme, c grouper.Case) (grouper.Result, string) {
	t.Helper()
	r := s.Group(&c, true)
	return r, joinSteps(r.Explanation)
}

// TestV2Explanations: the new predicates, the regroup pass, an ADRG without DRG and a QY
// result each say why, in Chinese and English.
func TestV2Explanations(t *testing.T) {
	s := loadKit(t, "scheme-format-v2-examples")
	base := grouper.Case{ID: "e", Sex: "2", Age: "28", Dept: "0301", LOS: "10", Discharge: "1", ICUHours: "0"}
	c := base
	c.Diagnoses, c.Procedures = []string{"O80.000"}, []string{"89.5200", "74.1x00"}
	r, text := groupExplained(t, s, c)
	if r.DRG != "OB19" {
		t.Fatalf("regroup case: %+v", r)
	}
	for _, want := range []string{"第一轮未入组；以 74.1x00 作为主手术重新分组后入组", "no group on the first pass; regrouped with 74.1x00 as the principal procedure", "OB1"} {
		if !strings.Contains(text, want) {
			t.Errorf("regroup explanation lacks %q:\n%s", want, text)
		}
	}
	c.Procedures = []string{"89.5200", "", "74.1x00"}
	if _, text = groupExplained(t, s, c); !strings.Contains(text, "（空项） 作为主手术重新分组：仍未入组") || !strings.Contains(text, "still no group") {
		t.Errorf("empty retry item not explained:\n%s", text)
	}
	c.Procedures = []string{"89.5200", "99.1000"}
	if r, text = groupExplained(t, s, c); r.Status != "无法入组" || !strings.Contains(text, "every secondary procedure alone also found no group") {
		t.Errorf("failed retries not explained: %s\n%s", r.Status, text)
	}
	// LOS band and an ADRG whose splits all fail (LOS absent).
	c = base
	c.Sex, c.Age, c.Diagnoses, c.LOS = "1", "60", []string{"I20.000"}, "7"
	if r, text = groupExplained(t, s, c); r.DRG != "FR10" || !strings.Contains(text, "住院天数 7 天，满足 los <= 7") || !strings.Contains(text, "length of stay 7 days") {
		t.Errorf("LOS split: %s\n%s", r.DRG, text)
	}
	c.LOS = ""
	if r, text = groupExplained(t, s, c); r.DRG != "FR1" || !strings.Contains(text, "结果为 ADRG 代码本身") || !strings.Contains(text, "length of stay <= 7") {
		t.Errorf("ADRG without DRG: %s\n%s", r.DRG, text)
	}
	// ICU hours, department and secondary diagnosis name the value that decided.
	c = base
	c.Sex, c.Age, c.Diagnoses, c.ICUHours = "1", "60", []string{"G40.900"}, "130"
	c.Procedures = []string{"36.1000x001", "89.5200"}
	if r, text = groupExplained(t, s, c); r.DRG != "BR10" || !strings.Contains(text, "重症监护 130 小时") || !strings.Contains(text, "ICU hours 130") {
		t.Errorf("ICU: %s\n%s", r.DRG, text)
	}
	c = base
	c.Diagnoses = []string{"O80.000", "Z37.000"}
	if r, text = groupExplained(t, s, c); r.DRG != "OR19" || !strings.Contains(text, "次要诊断 Z37.000 属于列表") || !strings.Contains(text, "secondary diagnosis Z37.000") {
		t.Errorf("secondary dx: %s\n%s", r.DRG, text)
	}
}

// TestQYExplained: a 歧义病案 result says which MDC's check held and on what.
func TestQYExplained(t *testing.T) {
	s := loadKit(t, "changzhou-2022")
	cases := readKitCases(t, "changzhou-2022", s)
	found := false
	for i := range cases {
		r := s.Group(&cases[i], true)
		if r.Outcome != "qy" {
			continue
		}
		found = true
		text := joinSteps(r.Explanation)
		for _, want := range []string{"歧义病案（QY）", r.MDC, "ambiguous case (QY)", "valid surgery", "有效手术"} {
			if !strings.Contains(text, want) {
				t.Fatalf("%s: QY explanation lacks %q:\n%s", r.ID, want, text)
			}
		}
		break
	}
	if !found {
		t.Fatal("no QY case in the changzhou kit")
	}
}

// TestRegroupSpecExample is the worked example of scheme-format-v2.md §5 (浙江版 V002348):
// the first pass and the retry with 80.6x00x002 end 无法入组, the retry with 50.5901 groups
// into MDCA AB1 AB19.
func TestRegroupSpecExample(t *testing.T) {
	s := loadKit(t, "zhejiang-2022")
	c := grouper.Case{ID: "V002348", Sex: "2", Age: "76", AgeDays: "27844", Dept: "0601", LOS: "10", Discharge: "1",
		Diagnoses: []string{"J98.900"}, Procedures: []string{"41.9502", "80.6x00x002", "50.5901"}}
	r, text := groupExplained(t, s, c)
	if r.Status != "分组成功" || r.MDC != "MDCA" || r.ADRG != "AB1" || r.DRG != "AB19" {
		t.Fatalf("%+v", r)
	}
	a := strings.Index(text, "以 80.6x00x002 作为主手术重新分组：仍未入组")
	b := strings.Index(text, "第一轮未入组；以 50.5901 作为主手术重新分组后入组")
	if a < 0 || b < a {
		t.Fatalf("retries not explained in order:\n%s", text)
	}
	// Without the third procedure every retry fails: 无法入组.
	c.Procedures = c.Procedures[:2]
	if r := s.Group(&c, false); r.Status != "无法入组" {
		t.Fatalf("two procedures: %+v", r)
	}
}
