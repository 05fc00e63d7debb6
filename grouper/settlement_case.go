package grouper

import (
	"strconv"

	"github.com/yibao-dev/yibao"
)

// CaseFromSettlement builds the grouper's view of a stored settlement: sex as 1/2 (an
// unknown sex stays empty and fails validation), age in years, and age in days and birth
// weight for infants. The department is the discharge department (dscg_caty, 出院科别); ICU hours are
// the settlement list's icuinfo durations summed (ingest keeps minutes), so a settlement
// without ICU entries has 0 hours — the list is complete, an empty icuinfo is no ICU stay.
func CaseFromSettlement(s *yibao.Settlement) Case {
	c := Case{ID: s.ID, Age: strconv.Itoa(s.Patient.Age), Dept: s.DischargeDept, LOS: strconv.Itoa(s.LOS), Discharge: s.Disposition,
		ICUHours: ICUHours(s.ICUMinutes)}
	switch s.Patient.Sex {
	case yibao.Male:
		c.Sex = "1"
	case yibao.Female:
		c.Sex = "2"
	}
	if s.Patient.Age == 0 {
		if s.Patient.AgeDays >= 0 {
			c.AgeDays = strconv.Itoa(s.Patient.AgeDays)
		}
		if s.Patient.BirthWeight > 0 {
			c.Weight = strconv.Itoa(s.Patient.BirthWeight)
		}
	}
	// DRG grouping works on ICD-10 only: TCM diseases and syndromes (diag_type 2/3, GB/T
	// 15657 codes) are left out.
	c.Diagnoses = make([]string, 0, len(s.Diagnoses))
	for _, d := range s.Diagnoses {
		if !d.TCM() {
			c.Diagnoses = append(c.Diagnoses, d.Code)
		}
	}
	c.Procedures = make([]string, len(s.Procedures))
	for i, p := range s.Procedures {
		c.Procedures[i] = p.Code
	}
	return c
}

// ICUHours writes minutes as hours in the number syntax of format 2.0: whole hours as an
// integer, otherwise the exact decimal to two places when it is exact (90 min = 1.5) and
// the shortest float text when it is not (100 min = 1.6666666666666667), so that a bound
// such as icu_hours > 120 is decided on the true value, never on a rounded one.
func ICUHours(minutes int) string {
	if minutes < 0 {
		return ""
	}
	if minutes%60 == 0 {
		return strconv.Itoa(minutes / 60)
	}
	return strconv.FormatFloat(float64(minutes)/60, 'f', -1, 64)
}
