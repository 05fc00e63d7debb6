package ingest

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
)

// Code syntax of the national medical-insurance code sets (医保版 2.0).
var (
	// ICD-10: category, optional subdivision of up to three digits or x, optional
	// extension x + three digits; a dagger/asterisk pair joins two codes with + and ends
	// in *. Morphology codes (M8140/3) are accepted as diagnoses too.
	icd10Syntax = regexp.MustCompile(`^(?:[A-Z][0-9]{2}(?:\.[0-9x]{1,3}(?:x[0-9]{3})?)?(?:\+[A-Z][0-9]{2}(?:\.[0-9x]{1,3}(?:x[0-9]{3})?)?\*)?|M[0-9]{4}/[0-9])$`)
	// ICD-9-CM-3: two digits, optional subdivision of up to four digits or x (74.1x01), optional
	// extension x + three digits (96.0800x005).
	icd9Syntax = regexp.MustCompile(`^[0-9]{2}(?:\.[0-9x]{1,4}(?:x[0-9]{3})?)?$`)
)

// TCM code syntax of GB/T 15657 (中医病证分类与代码), in both editions still in use: the
// 1995 edition's six-character codes (disease B + department + class + three digits, e.g.
// BNG010; syndrome Z + class letters + up to three characters, e.g. ZBRJ20) and the 2021
// edition's dotted hierarchies (disease A04.03.01, syndrome B02.01.01.03, a trailing dot
// marking a category). Regional extensions append .NN.
var (
	tcmDiseaseSyntax  = regexp.MustCompile(`^(?:B[A-Z]{2}[0-9]{3}|A[0-9]{2}(?:\.[0-9]{2}){0,4}\.?)(?:\.[0-9]{1,2})?$`)
	tcmSyndromeSyntax = regexp.MustCompile(`^(?:Z[A-Z]{2}[A-Z0-9]{1,3}|B[0-9]{2}(?:\.[0-9]{2}){0,5}\.?)(?:\.[0-9]{1,2})?$`)
	// Morphology of neoplasms (ICD-O, M8000/0–M9989/9): an additional code only.
	morphologySyntax = regexp.MustCompile(`^M[0-9]{4}/[0-9]`)
)

// ValidTCMDisease reports whether code has the syntax of a GB/T 15657 TCM disease (diag_type 2).
func ValidTCMDisease(code string) bool { return tcmDiseaseSyntax.MatchString(code) }

// ValidTCMSyndrome reports whether code has the syntax of a GB/T 15657 TCM syndrome (diag_type 3).
func ValidTCMSyndrome(code string) bool { return tcmSyndromeSyntax.MatchString(code) }

// externalCause reports an ICD-10 chapter XX code (V01–Y98): the circumstances of an
// injury, never a principal diagnosis.
func externalCause(code string) bool {
	return len(code) >= 3 && (code[0] == 'V' || code[0] == 'W' || code[0] == 'X' || code[0] == 'Y')
}

// ValidICD10 reports whether code has the syntax of a 医保版 ICD-10 code.
func ValidICD10(code string) bool { return icd10Syntax.MatchString(code) }

// ValidICD9CM3 reports whether code has the syntax of a 医保版 ICD-9-CM-3 code.
func ValidICD9CM3(code string) bool { return icd9Syntax.MatchString(code) }

// validate applies the consistency rules of the settlement format plus code syntax,
// sex-specific diagnoses and birth date against age. It also derives what the format
// says to derive (age from brdy, length of stay from the dates) and puts the principal
// diagnosis and procedure first.
func validate(d *parsedDoc) {
	s := &d.s
	ps := &d.ps
	for _, req := range []struct{ v, f string }{
		{s.ID, "setlinfo.setl_id"}, {s.EncounterID, "setlinfo.mdtrt_id"},
		{d.psnNo, "setlinfo.psn_no"}, {s.Hospital, "setlinfo.fixmedins_code"},
	} {
		if req.v == "" && !hasProblem(ps, req.f) {
			ps.missing(req.f)
		}
	}
	validateIDs(d)
	s.Inpatient = strings.HasPrefix(s.MedType, "2") || (s.MedType == "" && (!s.Admission.IsZero() || !s.Discharge.IsZero()))
	if s.Inpatient {
		if s.Admission.IsZero() && !hasProblem(ps, "setlinfo.adm_time") {
			ps.missing("setlinfo.adm_time")
		}
		if s.Discharge.IsZero() && !hasProblem(ps, "setlinfo.dscg_time") {
			ps.missing("setlinfo.dscg_time")
		}
	}
	if !s.Admission.IsZero() && !s.Discharge.IsZero() {
		if s.Discharge.Before(s.Admission) {
			ps.add("setlinfo.dscg_time", "discharge_before_admission", "discharge %s is before admission %s", "出院时间 %s 早于入院时间 %s",
				s.Discharge.Format(timeLayout), s.Admission.Format(timeLayout))
		} else {
			days := stayDays(s.Admission, s.Discharge)
			if d.losGiven {
				if diff := s.LOS - days; diff < -1 || diff > 1 {
					ps.add("setlinfo.act_ipt_days", "los_inconsistent", "length of stay %d does not match admission and discharge (%d days)",
						"实际住院天数 %d 与入出院时间（%d 天）不符", s.LOS, days)
				}
			} else {
				s.LOS = days
			}
		}
	}
	if s.LOS < 0 {
		s.LOS = 0
	}
	validatePatient(d)
	validateCodes(d)
	validateFees(d)
	validatePayments(d)
}

func hasProblem(ps *problems, field string) bool {
	for _, p := range *ps {
		if p.Field == field {
			return true
		}
	}
	return false
}

// stayDays counts calendar days between admission and discharge; a same-day stay is 1.
func stayDays(adm, dis time.Time) int {
	a := time.Date(adm.Year(), adm.Month(), adm.Day(), 0, 0, 0, 0, time.UTC)
	b := time.Date(dis.Year(), dis.Month(), dis.Day(), 0, 0, 0, 0, time.UTC)
	n := int(b.Sub(a).Hours() / 24)
	if n < 1 {
		n = 1
	}
	return n
}

// ageAt returns completed years and days of life on date at.
func ageAt(birth, at time.Time) (years, days int) {
	years = at.Year() - birth.Year()
	if at.Month() < birth.Month() || (at.Month() == birth.Month() && at.Day() < birth.Day()) {
		years--
	}
	b := time.Date(birth.Year(), birth.Month(), birth.Day(), 0, 0, 0, 0, time.UTC)
	a := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
	return years, int(a.Sub(b).Hours() / 24)
}

func validatePatient(d *parsedDoc) {
	s := &d.s
	ps := &d.ps
	p := &s.Patient
	// Age is reckoned at admission; a visit without admission or discharge times is reckoned
	// at its settlement period's start, else its first fee line.
	ref := s.Admission
	for _, t := range []time.Time{s.Discharge, d.settledFrom, d.settledTo} {
		if ref.IsZero() {
			ref = t
		}
	}
	if ref.IsZero() {
		for _, l := range s.Fees {
			if !l.Time.IsZero() && (ref.IsZero() || l.Time.Before(ref)) {
				ref = l.Time
			}
		}
	}
	if p.BirthDate.IsZero() {
		return
	}
	if p.BirthDate.Year() < 1880 {
		ps.add("setlinfo.brdy", "implausible_birth_date", "birth date %s is implausible", "出生日期 %s 不合理", p.BirthDate.Format(dateLayout))
		return
	}
	if ref.IsZero() {
		if !d.ageGiven {
			ps.add("setlinfo.age", "age_underivable", "age is absent and the document has no date (admission, discharge, settlement period or fee time) to derive it from",
				"缺少年龄，且文档中没有可用于推算的日期（入出院、结算期间或费用时间）")
		}
		return
	}
	if p.BirthDate.After(ref) {
		ps.add("setlinfo.brdy", "born_after_admission", "birth date %s is after admission %s", "出生日期 %s 晚于入院时间 %s",
			p.BirthDate.Format(dateLayout), ref.Format(dateLayout))
		return
	}
	years, days := ageAt(p.BirthDate, ref)
	if d.ageGiven {
		if diff := p.Age - years; diff < -1 || diff > 1 {
			ps.add("setlinfo.age", "age_inconsistent", "age %d does not match birth date %s (%d at admission)",
				"年龄 %d 与出生日期 %s 不符（入院时应为 %d 岁）", p.Age, p.BirthDate.Format(dateLayout), years)
		}
	} else {
		p.Age = years
	}
	if years < 1 {
		if p.AgeDays < 0 {
			p.AgeDays = days
		} else if diff := p.AgeDays - days; diff < -1 || diff > 1 {
			ps.add("setlinfo.nwb_age", "age_days_inconsistent", "age in days %d does not match birth date (%d days at admission)",
				"天龄 %d 与出生日期不符（入院时应为 %d 天）", p.AgeDays, days)
		}
	} else {
		p.AgeDays = -1
	}
	for _, w := range []struct {
		v int
		f string
	}{{p.BirthWeight, "setlinfo.nwb_bir_wt"}, {p.AdmWeight, "setlinfo.nwb_adm_wt"}} {
		if w.v < 0 || w.v > 10000 {
			ps.add(w.f, "implausible_weight", "newborn weight %d g is outside 0–10000 g", "新生儿体重 %d 克超出 0–10000 克", w.v)
		}
	}
}

func validateCodes(d *parsedDoc) {
	s := &d.s
	ps := &d.ps
	// Principal diagnoses are counted per kind: one western (ICD-10) principal diagnosis,
	// and at most one TCM principal disease (主病) and one principal syndrome (主证), which
	// the settlement list records beside it.
	var principals, tcmDisease, tcmSyndrome int
	for i, dx := range s.Diagnoses {
		field := "diseinfo[" + strconv.Itoa(i) + "].diag_code"
		switch dx.Type {
		case "", "1", "2", "3":
		default:
			ps.add("diseinfo["+strconv.Itoa(i)+"].diag_type", "bad_diag_type", "diagnosis type %q is not 1 (western), 2 (TCM disease) or 3 (TCM syndrome)",
				"诊断类别 %q 不是 1（西医）、2（中医病名）或 3（中医证候）", truncate(dx.Type))
			continue
		}
		if dx.Principal {
			switch dx.Type {
			case "2":
				tcmDisease++
			case "3":
				tcmSyndrome++
			default:
				principals++
			}
		}
		switch {
		case dx.Code == "":
			if !hasProblem(ps, field) {
				ps.missing(field)
			}
		case dx.Type == "2":
			if !ValidTCMDisease(dx.Code) {
				ps.add(field, "bad_tcm_code", "%q is not a GB/T 15657 TCM disease code", "%q 不是 GB/T 15657 中医病名编码", truncate(dx.Code))
			}
		case dx.Type == "3":
			if !ValidTCMSyndrome(dx.Code) {
				ps.add(field, "bad_tcm_code", "%q is not a GB/T 15657 TCM syndrome code", "%q 不是 GB/T 15657 中医证候编码", truncate(dx.Code))
			}
		case !ValidICD10(dx.Code):
			ps.add(field, "bad_icd10", "%q is not a 医保版 ICD-10 code", "%q 不是医保版 ICD-10 编码", truncate(dx.Code))
		case dx.Principal && externalCause(dx.Code):
			// 医疗保障基金结算清单填写规范: external causes (V01–Y98) are never the principal diagnosis.
			ps.add(field, "principal_external_cause", "external-cause code "+dx.Code+" cannot be the principal diagnosis (settlement-list filling standard)",
				"损伤中毒外部原因编码 "+dx.Code+" 不能作为主要诊断（医疗保障基金结算清单填写规范）")
		case dx.Principal && morphologySyntax.MatchString(dx.Code):
			// ... nor a neoplasm morphology code (M8000/0–M9989/9), which only qualifies a C/D code.
			ps.add(field, "principal_morphology", "morphology code "+dx.Code+" cannot be the principal diagnosis (settlement-list filling standard)",
				"肿瘤形态学编码 "+dx.Code+" 不能作为主要诊断（医疗保障基金结算清单填写规范）")
		default:
			if want := yibao.DiagnosisSex(dx.Code); want != yibao.SexUnknown && (s.Patient.Sex == yibao.Male || s.Patient.Sex == yibao.Female) && want != s.Patient.Sex {
				ps.add(field, "sex_specific_diagnosis", "diagnosis "+dx.Code+" applies only to "+sexWord(want, false)+" patients",
					"诊断 "+dx.Code+" 仅适用于"+sexWord(want, true)+"患者，与患者性别不符")
			}
		}
	}
	if s.Inpatient && principals != 1 {
		ps.add("diseinfo", "principal_count", "an inpatient settlement needs exactly one principal western diagnosis, found %d",
			"住院结算须有且仅有一个西医主要诊断，实际 %d 个", principals)
	}
	if !s.Inpatient && principals > 1 {
		ps.add("diseinfo", "principal_count", "at most one principal diagnosis, found %d", "主要诊断至多一个，实际 %d 个", principals)
	}
	if tcmDisease > 1 || tcmSyndrome > 1 {
		ps.add("diseinfo", "principal_count", "at most one principal TCM disease and one principal TCM syndrome, found %d and %d",
			"中医主病、主证各至多一个，实际 %d 个、%d 个", tcmDisease, tcmSyndrome)
	}
	for i, p := range s.Procedures {
		field := "oprninfo[" + strconv.Itoa(i) + "].oprn_oprt_code"
		if p.Code == "" {
			if !hasProblem(ps, field) {
				ps.missing(field)
			}
		} else if !ValidICD9CM3(p.Code) {
			ps.add(field, "bad_icd9cm3", "%q is not a 医保版 ICD-9-CM-3 code", "%q 不是医保版 ICD-9-CM-3 编码", truncate(p.Code))
		}
	}
	// The western principal diagnosis goes first; TCM diagnoses keep their order after it.
	moveFirst(s.Diagnoses, func(x yibao.Diagnosis) bool { return x.Principal && !x.TCM() })
	moveFirst(s.Procedures, func(x yibao.Procedure) bool { return x.Principal })
}

func sexWord(s yibao.Sex, zh bool) string {
	switch {
	case s == yibao.Male && zh:
		return "男性"
	case s == yibao.Male:
		return "male"
	case zh:
		return "女性"
	default:
		return "female"
	}
}

// moveFirst moves the first element satisfying pick to index 0, keeping the others' order.
func moveFirst[T any](xs []T, pick func(T) bool) {
	for i, x := range xs {
		if pick(x) {
			copy(xs[1:i+1], xs[:i])
			xs[0] = x
			return
		}
	}
}

// validCategory reports whether c is one of the charge categories 01–14.
func validCategory(c string) bool {
	return len(c) == 2 && (c[0] == '0' && c[1] >= '1' && c[1] <= '9' || c[0] == '1' && c[1] >= '0' && c[1] <= '4')
}

func validateFees(d *parsedDoc) {
	s := &d.s
	ps := &d.ps
	if len(s.Fees) == 0 {
		return
	}
	seen := make(map[string]int, len(s.Fees))
	var sum yibao.Fen
	lo, hi := s.Admission.Add(-24*time.Hour), s.Discharge.Add(24*time.Hour)
	checkTimes := !s.Admission.IsZero() && !s.Discharge.IsZero()
	for i := range s.Fees {
		l := &s.Fees[i]
		pre := func() string { return "feedetl[" + strconv.Itoa(i) + "]." } // built only for a problem
		if l.Serial == "" {
			if !hasProblem(ps, pre()+"feedetl_sn") {
				ps.missing(pre() + "feedetl_sn")
			}
		} else if j, dup := seen[l.Serial]; dup {
			ps.add(pre()+"feedetl_sn", "duplicate_serial", "serial %q repeats line %d", "费用明细流水号 %q 与第 %d 行重复", truncate(l.Serial), j)
		} else {
			seen[l.Serial] = i
		}
		if l.Time.IsZero() {
			if !hasProblem(ps, pre()+"fee_ocur_time") {
				ps.missing(pre() + "fee_ocur_time")
			}
		} else if checkTimes && (l.Time.Before(lo) || l.Time.After(hi)) {
			ps.add(pre()+"fee_ocur_time", "fee_outside_stay", "fee time %s is outside the stay", "费用发生时间 %s 不在住院期间内", l.Time.Format(timeLayout))
		}
		if l.ListCode == "" && !hasProblem(ps, pre()+"med_list_codg") {
			ps.missing(pre() + "med_list_codg")
		}
		if !validCategory(l.Category) {
			if l.Category == "" {
				if !hasProblem(ps, pre()+"med_chrgitm_type") {
					ps.missing(pre() + "med_chrgitm_type")
				}
			} else {
				ps.add(pre()+"med_chrgitm_type", "bad_category", "charge category %q is not 01–14", "收费项目类别 %q 不在 01–14 之内", truncate(l.Category))
			}
		}
		if l.ListClass != "" && l.ListClass != "01" && l.ListClass != "02" && l.ListClass != "03" {
			ps.add(pre()+"chrgitm_lv", "bad_list_class", "list class %q is not 01, 02 or 03", "收费项目等级 %q 不是 01、02 或 03", truncate(l.ListClass))
		}
		// Negative lines are only refunds: negative quantity, non-negative price, negative amount.
		if l.Price < 0 {
			ps.add(pre()+"pric", "negative_price", "unit price %s is negative", "单价 %s 为负数", l.Price)
		}
		if l.Amount < 0 && l.Qty >= 0 || l.Qty < 0 && l.Amount > 0 {
			ps.add(pre()+"det_item_fee_sumamt", "negative_amount", "negative amount %s is not a refund (refunds have a negative quantity)",
				"金额 %s 为负但不是退费（退费数量应为负）", l.Amount)
		}
		if diff := yibao.MulFen(l.Qty, l.Price) - l.Amount; diff < -1 || diff > 1 {
			ps.add(pre()+"det_item_fee_sumamt", "amount_mismatch", "amount %s is not quantity %s × price %s", "金额 %s 不等于数量 %s × 单价 %s",
				l.Amount, l.Qty, l.Price)
		}
		sum += l.Amount
	}
	if diff := sum - s.Pay.Total; diff < -1 || diff > 1 {
		ps.add("setlinfo.medfee_sumamt", "total_mismatch", "total %s differs from the sum of fee lines %s", "医疗费总额 %s 与费用明细合计 %s 不符",
			s.Pay.Total, sum)
	}
}

func validatePayments(d *parsedDoc) {
	s := &d.s
	ps := &d.ps
	if s.Pay.Total < 0 {
		ps.add("setlinfo.medfee_sumamt", "negative_amount", "total %s is negative", "医疗费总额 %s 为负数", s.Pay.Total)
	}
	for _, p := range []struct {
		v yibao.Fen
		f string
	}{{s.Pay.Fund, "hifp_payamt"}, {s.Pay.SelfPay, "psn_selfpay"}, {s.Pay.OwnPay, "psn_ownpay"}, {s.Pay.Account, "acct_pay"}, {s.Pay.Cash, "psn_cashpay"}} {
		if p.v < 0 {
			ps.add("setlinfo."+p.f, "negative_amount", "amount %s is negative", "金额 %s 为负数", p.v)
		} else if p.v > s.Pay.Total && s.Pay.Total >= 0 {
			ps.add("setlinfo."+p.f, "exceeds_total", "amount %s exceeds the total %s", "金额 %s 超过医疗费总额 %s", p.v, s.Pay.Total)
		}
	}
	// Funds other than the pooled fund (payinfo) plus the pooled fund cannot exceed the total:
	// the patients' payment P = total − funds is taken from here (docs/payment.md).
	if s.Pay.Other < 0 || (s.Pay.Total >= 0 && s.Pay.Fund >= 0 && s.Pay.Fund+s.Pay.Other > s.Pay.Total) {
		ps.add("payinfo.fund_payamt", "exceeds_total", "fund payments %s + %s exceed the total %s", "基金支付 %s + %s 超过医疗费总额 %s",
			s.Pay.Fund, s.Pay.Other, s.Pay.Total)
	}
}

// validateIDs enforces the identifier character set (yibao.ValidID, docs/formats.md) on
// every id and code that is stored, shown or used in a file name: markup, quotes, path
// separators and control characters never get past ingest.
func validateIDs(d *parsedDoc) {
	s := &d.s
	// Field names are built only for a bad value: most documents have none, and building
	// five names per fee line was a tenth of parsing.
	check := func(v string, field func() string) {
		if v == "" || yibao.ValidID(v) {
			return
		}
		if f := field(); !hasProblem(&d.ps, f) {
			d.ps.add(f, "bad_id", "%q is not an identifier: 1–%d characters of %s, not starting with a dot",
				"%q 不是合法标识：须为 1–%d 个字符（%s），且不以点开头", truncate(v), yibao.MaxIDLen, yibao.IDCharset)
		}
	}
	named := func(f string) func() string { return func() string { return f } }
	check(s.ID, named("setlinfo.setl_id"))
	check(s.EncounterID, named("setlinfo.mdtrt_id"))
	check(s.Hospital, named("setlinfo.fixmedins_code"))
	check(s.AdmissionDept, named("setlinfo.adm_caty"))
	check(s.DischargeDept, named("setlinfo.dscg_caty"))
	for i, p := range s.Procedures {
		check(p.Operator, func() string { return "oprninfo[" + strconv.Itoa(i) + "].oper_dr_code" })
	}
	for i := range s.Fees {
		l := &s.Fees[i]
		for _, x := range [...]struct{ name, v string }{{"feedetl_sn", l.Serial}, {"med_list_codg", l.ListCode}, {"bilg_dept_codg", l.Dept}, {"bilg_dr_codg", l.Doctor}} {
			check(x.v, func() string { return "feedetl[" + strconv.Itoa(i) + "]." + x.name })
		}
	}
}
