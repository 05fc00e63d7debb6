package yibao

// DiagnosisSex returns the sex a diagnosis is restricted to, or SexUnknown.
// Pregnancy, childbirth and female genital organs are female-only; prostate and male
// genital organs are male-only (ICD-10 chapter rules).
func DiagnosisSex(code string) Sex {
	if len(code) < 3 {
		return SexUnknown
	}
	cat := code[:3]
	switch {
	case cat[0] == 'O',
		cat >= "C51" && cat <= "C58", cat == "D06", cat >= "D25" && cat <= "D28", cat == "D39",
		cat >= "N70" && cat <= "N98", cat >= "Z32" && cat <= "Z37", cat == "Z39":
		return Female
	case cat >= "C60" && cat <= "C63", cat == "D29", cat == "D40",
		cat >= "N40" && cat <= "N51":
		return Male
	}
	return SexUnknown
}
