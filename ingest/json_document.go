package ingest

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
	"github.com/yibao-dev/yibao"
)

// parsedDoc is a settlement read from its source but not yet pseudonymised: the clear
// identifiers live here only until pseudonymise replaces them.
type parsedDoc struct {
	s      yibao.Settlement
	psnNo  string
	certNo string
	// given records which optional fields the sender supplied, for consistency checks.
	ageGiven, losGiven, fundGiven bool
	settledFrom, settledTo        time.Time // setl_begn_date / setl_end_date
	ps                            problems
}

// parseJSONDocument maps one canonical settlement document onto the domain model.
func parseJSONDocument(p *fastjson.Parser, scratch *parseScratch, raw []byte) *parsedDoc {
	d := &parsedDoc{}
	v, err := p.ParseBytes(raw)
	if err != nil {
		// The parser's message quotes the text around the fault (psn_no, certno, names):
		// only the byte offset goes into the rejects file.
		at := syntaxOffset(raw)
		d.ps.add("", "bad_json", "malformed JSON at byte %d of the record", "JSON 格式错误，位于记录第 %d 字节", at)
		return d
	}
	root, err := v.Object()
	if err != nil {
		d.ps.add("", "not_object", "a settlement document must be a JSON object", "结算文档必须是 JSON 对象")
		return d
	}
	setl := root.Get("setlinfo")
	if setl == nil || setl.Type() != fastjson.TypeObject {
		d.ps.add("setlinfo", "missing", "setlinfo object is missing", "缺少 setlinfo 对象")
		return d
	}
	so, _ := setl.Object()
	f := fieldReader{obj: so, section: "setlinfo", index: -1, ps: &d.ps, scratch: scratch}
	s := &d.s
	s.ID = f.code("setl_id")
	s.EncounterID = f.code("mdtrt_id")
	d.psnNo = f.code("psn_no")
	d.certNo = f.code("certno")
	s.Hospital = f.code("fixmedins_code")
	s.SettlementLevel = ParseLevel(f.code("hi_setl_lv"))
	s.Patient.Sex = yibao.Sex(255)
	switch g := f.code("gend"); g {
	case "1":
		s.Patient.Sex = yibao.Male
	case "2":
		s.Patient.Sex = yibao.Female
	case "0", "9":
		s.Patient.Sex = yibao.SexUnknown
	case "":
		d.ps.missing("setlinfo.gend")
	default:
		d.ps.add("setlinfo.gend", "bad_value", "sex %q is not 1, 2, 9 or 0", "性别 %q 不是 1、2、9 或 0", g)
	}
	if t, ok := f.date("brdy"); ok {
		s.Patient.BirthDate = t
	} else if f.code("brdy") == "" {
		d.ps.missing("setlinfo.brdy")
	}
	s.Patient.Age, d.ageGiven = f.integer("age")
	s.Patient.AgeDays, _ = f.integer("nwb_age")
	if w, ok := f.integer("nwb_bir_wt"); ok {
		s.Patient.BirthWeight = w
	}
	if w, ok := f.integer("nwb_adm_wt"); ok {
		s.Patient.AdmWeight = w
	}
	s.InsuranceType = f.code("hi_type", "insutype")
	s.InsuredRegion = f.code("insuplc")
	s.MedType = f.code("ipt_med_type", "med_type")
	s.Admission, _ = f.timestamp("adm_time")
	s.Discharge, _ = f.timestamp("dscg_time")
	d.settledFrom, _ = f.date("setl_begn_date")
	d.settledTo, _ = f.date("setl_end_date")
	s.SettledTo = d.settledTo
	s.LOS, d.losGiven = f.integer("act_ipt_days")
	s.AdmissionDept = f.code("adm_caty")
	s.DischargeDept = f.code("dscg_caty")
	s.VentilatorMinutes = f.duration("vent_used_dura")
	s.Disposition = f.code("dscg_way")
	s.PlannedReadmission = f.code("days_rinp_flag_31") == "2"
	var ok bool
	if s.Pay.Total, ok = f.money("medfee_sumamt"); !ok && f.obj.Get("medfee_sumamt") == nil {
		d.ps.missing("setlinfo.medfee_sumamt")
	}
	s.Pay.Fund, d.fundGiven = f.money("hifp_payamt")
	s.Pay.SelfPay, _ = f.money("psn_selfpay")
	s.Pay.OwnPay, _ = f.money("psn_ownpay")
	s.Pay.Account, _ = f.money("acct_pay")
	s.Pay.Cash, _ = f.money("psn_cashpay")

	eachObject(root, "diseinfo", &d.ps, scratch, func(i int, o fieldReader) {
		s.Diagnoses = append(s.Diagnoses, yibao.Diagnosis{
			Code:      o.code("diag_code"),
			Name:      o.text("diag_name"),
			Principal: o.code("maindiag_flag") == "1",
			Type:      o.code("diag_type"),
			AdmCond:   o.code("adm_cond_type"),
		})
		if o.obj.Get("maindiag_flag") == nil {
			d.ps.missing(o.field("maindiag_flag"))
		}
	})
	flagged := false
	eachObject(root, "oprninfo", &d.ps, scratch, func(i int, o fieldReader) {
		p := yibao.Procedure{
			Code:        o.code("oprn_oprt_code"),
			Name:        o.text("oprn_oprt_name"),
			Operator:    o.code("oper_dr_code"),
			Anaesthesia: o.code("anst_way"),
		}
		if flag := o.code("main_oprn_flag"); flag != "" {
			flagged = true
			p.Principal = flag == "1"
		}
		p.Date, _ = o.date("oprn_oprt_date")
		s.Procedures = append(s.Procedures, p)
	})
	if !flagged && len(s.Procedures) > 0 {
		s.Procedures[0].Principal = true
	}
	eachObject(root, "icuinfo", &d.ps, scratch, func(i int, o fieldReader) {
		if m := o.duration("scs_cutd_sum_dura"); m > 0 {
			s.ICUMinutes += m
			return
		}
		in, ok1 := o.timestamp("scs_cutd_inpool_time")
		out, ok2 := o.timestamp("scs_cutd_exit_time")
		if ok1 && ok2 && out.After(in) {
			s.ICUMinutes += int(out.Sub(in) / time.Minute)
		}
	})
	var fundSum yibao.Fen
	eachObject(root, "payinfo", &d.ps, scratch, func(i int, o fieldReader) {
		if m, ok := o.money("fund_payamt"); ok {
			if o.code("fund_pay_type") == "310100" {
				fundSum += m
			} else {
				s.Pay.Other += m // a fund, not the patient: kept apart for P (docs/payment.md)
			}
		}
	})
	if !d.fundGiven {
		s.Pay.Fund = fundSum
	}
	s.Fees = make([]yibao.FeeLine, 0, feeCount(root))
	eachObject(root, "feedetl", &d.ps, scratch, func(i int, o fieldReader) {
		s.Fees = append(s.Fees, parseFeeLine(o, &d.ps))
	})
	eachObject(root, "ext_measurements", &d.ps, scratch, func(i int, o fieldReader) {
		if v, ok := o.dec6("value"); ok {
			s.Measurements = append(s.Measurements, yibao.Measurement{Item: o.code("item"), Value: v})
		}
	})
	return d
}

func feeCount(root *fastjson.Object) int {
	if v := root.Get("feedetl"); v != nil && v.Type() == fastjson.TypeArray {
		a, _ := v.Array()
		return len(a)
	}
	return 0
}

// eachObject calls fn for each object element of the array member name.
func eachObject(root *fastjson.Object, name string, ps *problems, scratch *parseScratch, fn func(int, fieldReader)) {
	v := root.Get(name)
	if v == nil || v.Type() == fastjson.TypeNull {
		return
	}
	arr, err := v.Array()
	if err != nil {
		ps.add(name, "wrong_type", "must be an array, got %s", "应为数组，实际为 %s", v.Type())
		return
	}
	for i, e := range arr {
		o, err := e.Object()
		if err != nil {
			ps.add(name+"["+strconv.Itoa(i)+"]", "wrong_type", "must be an object, got %s", "应为对象，实际为 %s", e.Type())
			continue
		}
		fn(i, fieldReader{obj: o, section: name, index: i, ps: ps, scratch: scratch})
	}
}

// Fee-line fields, as bits for the required-field check.
const (
	hasSerial = 1 << iota
	hasTime
	hasCode
	hasCategory
	hasQty
	hasPrice
	hasAmount
	feeRequired = hasSerial | hasTime | hasCode | hasCategory | hasQty | hasPrice | hasAmount
)

// parseFeeLine visits each key of a fee line once: lines are most of a document, and a
// lookup per field and alias would scan the object a dozen times.
func parseFeeLine(o fieldReader, ps *problems) yibao.FeeLine {
	var l yibao.FeeLine
	seen := 0
	o.obj.Visit(func(key []byte, v *fastjson.Value) {
		if v.Type() == fastjson.TypeNull {
			return
		}
		switch string(key) {
		case "feedetl_sn":
			l.Serial = o.strOf("feedetl_sn", v, maxCodeLen)
			seen |= hasSerial
		case "fee_ocur_time":
			l.Time, _ = o.timestampOf("fee_ocur_time", v)
			seen |= hasTime
		case "med_list_codg", "hilist_code":
			if l.ListCode == "" {
				l.ListCode = o.strOf(string(key), v, maxCodeLen)
			}
			seen |= hasCode
		case "medins_list_codg", "hosplist_code":
			l.HospCode = o.strOf(string(key), v, maxCodeLen)
		case "hilist_name", "med_list_name":
			if l.Name == "" {
				l.Name = o.strOf(string(key), v, maxTextLen)
			}
		case "med_chrgitm_type", "chrg_type":
			if l.Category == "" {
				l.Category = o.strOf(string(key), v, maxCodeLen)
			}
			seen |= hasCategory
		case "chrgitm_lv", "hilist_lv":
			l.ListClass = o.strOf(string(key), v, maxCodeLen)
		case "cnt":
			l.Qty, _ = o.dec6Of("cnt", v)
			seen |= hasQty
		case "pric":
			l.Price, _ = o.dec6Of("pric", v)
			seen |= hasPrice
		case "det_item_fee_sumamt", "sumamt":
			if seen&hasAmount == 0 {
				l.Amount, _ = o.moneyOf(string(key), v)
			}
			seen |= hasAmount
		case "bilg_dept_codg":
			l.Dept = o.strOf("bilg_dept_codg", v, maxCodeLen)
		case "bilg_dr_codg":
			l.Doctor = o.strOf("bilg_dr_codg", v, maxCodeLen)
		case "rx_drord_no", "drord_no":
			l.Order = o.strOf(string(key), v, maxCodeLen)
		}
	})
	if missing := feeRequired &^ seen; missing != 0 {
		for _, f := range []struct {
			bit  int
			name string
		}{{hasSerial, "feedetl_sn"}, {hasTime, "fee_ocur_time"}, {hasCode, "med_list_codg"}, {hasCategory, "med_chrgitm_type"},
			{hasQty, "cnt"}, {hasPrice, "pric"}, {hasAmount, "det_item_fee_sumamt"}} {
			if missing&f.bit != 0 {
				ps.missing(o.field(f.name))
			}
		}
	}
	return l
}

// syntaxOffset is where encoding/json finds a record's first syntax error (the record's
// length when it only ends too soon, 0 when it finds none), so that an error can be
// located without quoting the record.
func syntaxOffset(raw []byte) int64 {
	var v any
	err := json.Unmarshal(raw, &v)
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return se.Offset
	case err != nil:
		return int64(len(raw))
	}
	return 0
}
