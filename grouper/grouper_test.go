package grouper_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/grouper/casefile"
	"github.com/yibao-dev/yibao/schemes"
)

func TestExplanationNamesMatchesAndExclusions(t *testing.T) {
	s := loadCHS(t)
	// The README's own example: K22.301 (exclusion table 111) with a CC of table 110 counts.
	c := grouper.Case{ID: "x", Sex: "1", Age: "50", Diagnoses: []string{"K22.301", "K11.901"}}
	r := s.Group(&c, true)
	if r.DRG != "GZ13" {
		t.Fatalf("got %s, want GZ13", r.DRG)
	}
	text := joinSteps(r.Explanation)
	for _, want := range []string{"MDCG", "GZ1", "K22.301", "K11.901 counts as CC", "计为 CC"} {
		if !strings.Contains(text, want) {
			t.Errorf("explanation lacks %q:\n%s", want, text)
		}
	}
	// A CC from the principal's own exclusion table is named as excluded.
	c = grouper.Case{ID: "y", Sex: "1", Age: "50", Diagnoses: []string{"E11.900", "E14.400x190+G59.0*"}}
	r = s.Group(&c, true)
	if r.DRG != "KS15" || !strings.Contains(joinSteps(r.Explanation), "not counted") {
		t.Fatalf("%s: %s", r.DRG, joinSteps(r.Explanation))
	}
	// Validation failures say which rule, in both languages.
	c = grouper.Case{ID: "z", Sex: "3", Age: "50", Diagnoses: []string{"E11.900"}}
	r = s.Group(&c, true)
	if r.Status != "信息校验不通过" || r.Failed != "sex_invalid" || !strings.Contains(joinSteps(r.Explanation), "性别") {
		t.Fatalf("%+v", r)
	}
}

func joinSteps(ss []grouper.Step) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString(s.ZH + " | " + s.EN + "\n")
	}
	return b.String()
}

func TestCorruptSchemeFailsWithPathAndReason(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"truncated.json":    `{"format":"drg-scheme-declarative",`,
		"format.json":       `{"format":"other","format_version":"1.0"}`,
		"unknown-op.json":   strings.Replace(string(schemes.DemoDRG), `"op": "has_mcc"`, `"op": "has_mmc"`, 1),
		"unknown-list.json": strings.Replace(string(schemes.DemoDRG), `"list": "BR2_dx"`, `"list": "BR9_dx"`, 1),
	}
	wants := map[string]string{"truncated.json": "not a valid scheme JSON", "format.json": "format", "unknown-op.json": "has_mmc", "unknown-list.json": "BR9_dx"}
	for name, body := range cases {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		_, err := grouper.Load(p)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), wants[name]) {
			t.Errorf("%s: error %v should name the path and %q", name, err, wants[name])
		}
	}
	if _, err := grouper.Load(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file loaded")
	}
}

func TestDemoSchemeShape(t *testing.T) {
	s, err := grouper.Parse(schemes.DemoDRG)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "yibao-demo-drg" || s.Version == "" {
		t.Fatalf("%s %s", s.ID, s.Version)
	}
	// MCC / CC / none splits on a pneumonia case.
	for dx, want := range map[string]string{"": "ES15", "E87.600": "ES13", "J96.000": "ES11", "J18.900": "ES15"} {
		c := grouper.Case{ID: "p", Sex: "1", Age: "60", Diagnoses: []string{"J18.900"}}
		if dx != "" {
			c.Diagnoses = append(c.Diagnoses, dx)
		}
		if r := s.Group(&c, false); r.DRG != want {
			t.Errorf("J18.900 + %q: %s, want %s", dx, r.DRG, want)
		}
	}
	// A prostate diagnosis for a woman enters no MDC.
	c := grouper.Case{ID: "w", Sex: "2", Age: "60", Diagnoses: []string{"N40.x00"}}
	if r := s.Group(&c, false); r.Status != "无法入组" {
		t.Errorf("female BPH: %+v", r)
	}
}

func TestBadCasesNeverPanic(t *testing.T) {
	s := loadCHS(t)
	for _, c := range []grouper.Case{
		{}, {ID: "a", Sex: "1", Age: "99999999999999999999999", Diagnoses: []string{"K35.800x001"}},
		{ID: "b", Sex: "1", Age: "0", AgeDays: "-5", Weight: "abc", Diagnoses: []string{""}},
		{ID: "c", Sex: "2", Age: "0", AgeDays: "3", Weight: "1e9", Diagnoses: []string{"P07.300", "", "|"}, Procedures: []string{"", "x"}},
	} {
		r := s.Group(&c, true)
		if r.Status == "" || r.DRG == "" {
			t.Errorf("%+v gave %+v", c, r)
		}
	}
}

// FuzzGroup groups arbitrary cases with CHS-DRG 1.1 and with the format 2.0 examples
// scheme (every 2.0 predicate and the regroup pass): no panic, a status always, and the
// explained result equal to the plain one.
func FuzzGroup(f *testing.F) {
	s1 := loadCHS(f)
	s2 := loadKit(f, "scheme-format-v2-examples")
	f.Add("1", "45", "", "", "K35.800x001|I10.x00", "47.0100", "0301", "5", "1", "")
	f.Add("2", "0", "12", "2400", "P07.300|P22.000", "", "", "", "", "")
	f.Add("2", "28", "", "", "O80.000", "89.5200||74.1x00", "ICU", "04", "2", "120.5")
	f.Fuzz(func(t *testing.T, sex, age, ageDays, weight, dx, px, dept, los, discharge, icu string) {
		for _, s := range []*grouper.Scheme{s1, s2} {
			c := grouper.Case{ID: "f", Sex: sex, Age: age, AgeDays: ageDays, Weight: weight, Dept: dept, LOS: los, Discharge: discharge, ICUHours: icu,
				Diagnoses: s.SplitCodes(dx), Procedures: s.SplitCodes(px)}
			r := s.Group(&c, true)
			if r.Status == "" || r.MDC == "" || r.Scheme != s.ID {
				t.Fatalf("%+v", r)
			}
			p := s.Group(&c, false)
			if p.Status != r.Status || p.DRG != r.DRG || p.ADRG != r.ADRG || p.MDC != r.MDC {
				t.Fatalf("explained %+v, plain %+v", r, p)
			}
		}
	})
}

func FuzzCaseCSV(f *testing.F) {
	s := loadCHS(f)
	f.Add("id,sex,age,age_days,weight,dept,los,discharge,diagnoses,procedures\nV1,1,45,,,,,,K35.800x001,47.0100\n")
	f.Add("id,sex,age,age_days,weight,dept,los,discharge,diagnoses,procedures,icu_hours\nV1,1,45,,,ICU,04,2,K35.800x001|I10.x00,47.0100||,120.5\nV2,1\n")
	f.Add("diagnoses,id\n\"a|b\",x\n\"unterminated")
	f.Fuzz(func(t *testing.T, body string) {
		r, err := casefile.NewReader(strings.NewReader(body), s)
		if err != nil {
			return
		}
		for i := 0; i < 1000; i++ {
			var c grouper.Case
			if err := r.Read(&c); err != nil {
				if err.Error() == "EOF" {
					return
				}
				continue
			}
			s.Group(&c, false)
		}
	})
}

// BenchmarkGroupCHS measures in-memory grouping with CHS-DRG 1.1 on one core over the
// conformance cases.
func BenchmarkGroupCHS(b *testing.B) {
	s := loadCHS(b)
	cases := readCases(b, s)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := &cases[i%len(cases)]
		s.Group(c, false)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
}

func BenchmarkLoadCHS(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := grouper.Load(filepath.Join(kitDir, "scheme.json")); err != nil {
			b.Fatal(err)
		}
	}
}
