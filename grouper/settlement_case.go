package grouper

import (
	"strconv"

	"github.com/yibao-dev/yibao"
)

// CaseFromSettlement builds the grouper's view of a stored settlement: sex as 1/2 (an
// unknown sex stays empty and fails validation), age in years, and age in days and birth
// weight for infants.
func CaseFromSettlement(s *yibao.Settlement) Case {
	c := Case{ID: s.ID, Age: strconv.Itoa(s.Patient.Age), Dept: s.DischargeDept, LOS: strconv.Itoa(s.LOS), Discharge: s.Disposition}
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
