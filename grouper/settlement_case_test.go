package grouper_test

import (
	"testing"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/grouper"
)

// TestCaseFromSettlementV2Inputs: the settlement list supplies the format 2.0 inputs —
// department from the discharge department, LOS, discharge disposition and ICU hours from
// the summed icuinfo minutes — and a 2.0 predicate decides on them.
func TestCaseFromSettlementV2Inputs(t *testing.T) {
	for minutes, want := range map[int]string{0: "0", 90: "1.5", 7200: "120", 7201: "120.01666666666667", 100: "1.6666666666666667"} {
		if got := grouper.ICUHours(minutes); got != want {
			t.Errorf("ICUHours(%d) = %s, want %s", minutes, got, want)
		}
	}
	st := &yibao.Settlement{ID: "S1", DischargeDept: "ICU", LOS: 4, Disposition: "5", ICUMinutes: 7201,
		Patient:    yibao.Patient{Sex: yibao.Male, Age: 60},
		Diagnoses:  []yibao.Diagnosis{{Code: "I63.900"}},
		Procedures: []yibao.Procedure{{Code: "89.5200"}, {Code: "99.1000"}}}
	c := grouper.CaseFromSettlement(st)
	if c.Dept != "ICU" || c.LOS != "4" || c.Discharge != "5" || c.ICUHours != "120.01666666666667" || len(c.Procedures) != 2 {
		t.Fatalf("%+v", c)
	}
	// icu_hours > 120 holds for 120 h 1 min, not for exactly 120 h.
	s := parseTiny(t, `{"op":"icu_hours","cmp":">","value":120}`, `"icu_hours"`)
	if r := s.Group(&c, false); r.DRG != "T19" {
		t.Errorf("7201 minutes: %s", r.Status)
	}
	st.ICUMinutes = 7200
	c = grouper.CaseFromSettlement(st)
	if r := s.Group(&c, false); r.DRG == "T19" {
		t.Error("7200 minutes counted as more than 120 hours")
	}
}
