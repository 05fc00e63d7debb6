package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
)

// SettlementColumns are the columns of the analysts' flat settlements.csv; names are the
// national field names so that a column means the same thing as in the JSON document.
// diagnoses and procedures list codes separated by |, the principal first.
var SettlementColumns = []string{
	"setl_id", "mdtrt_id", "psn_no", "certno", "psn_name", "fixmedins_code", "gend", "brdy", "age", "nwb_age",
	"nwb_bir_wt", "hi_type", "ipt_med_type", "adm_time", "dscg_time", "act_ipt_days", "adm_caty", "dscg_caty",
	"dscg_way", "days_rinp_flag_31", "vent_used_dura", "medfee_sumamt", "hifp_payamt", "psn_selfpay",
	"psn_ownpay", "acct_pay", "psn_cashpay", "diagnoses", "procedures",
}

// FeeColumns are the columns of fees.csv, one row per fee line, keyed by setl_id.
var FeeColumns = []string{
	"setl_id", "feedetl_sn", "fee_ocur_time", "med_list_codg", "medins_list_codg", "hilist_name",
	"med_chrgitm_type", "chrgitm_lv", "cnt", "pric", "det_item_fee_sumamt", "bilg_dept_codg", "bilg_dr_codg", "rx_drord_no",
}

// HospitalColumns are the columns of the hospital registry CSV.
var HospitalColumns = []string{"code", "name", "level", "grade", "type", "specialty", "region", "beds"}

// csvTable reads a CSV with a header row and hands out rows as name → value maps.
type csvTable struct {
	r      *csv.Reader
	header []string
	index  map[string]int
	line   int
}

func newCSVTable(r io.Reader) (*csvTable, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	h, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file: no header row")
		}
		return nil, fmt.Errorf("header: %w", err)
	}
	if len(h) > 0 {
		h[0] = strings.TrimPrefix(h[0], "\ufeff")
	}
	t := &csvTable{r: cr, header: h, index: map[string]int{}}
	for i, name := range h {
		t.index[strings.TrimSpace(name)] = i
	}
	return t, nil
}

// next returns the next row as a map, or io.EOF. A row with a syntax error is returned as
// an error naming the line; the caller rejects it and goes on.
func (t *csvTable) next() (map[string]string, error) {
	rec, err := t.r.Read()
	t.line++
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			t.line = pe.Line
			return nil, fmt.Errorf("line %d: %w", pe.Line, pe.Err)
		}
		return nil, err
	}
	row := make(map[string]string, len(t.header))
	for name, i := range t.index {
		if i < len(rec) {
			row[name] = rec[i]
		}
	}
	if len(rec) != len(t.header) {
		row["\x00width"] = strconv.Itoa(len(rec))
	}
	return row, nil
}

// rowReader adapts a CSV row to the same checks as JSON fields.
type rowReader struct {
	row map[string]string
	ps  *problems
	pre string
}

func (r rowReader) str(col string, limit int) string {
	v := r.row[col]
	if len(v) > limit {
		r.ps.add(r.pre+col, "too_long", "value has %d bytes, at most %d allowed", "取值长度 %d 字节，超过上限 %d", len(v), limit)
		return ""
	}
	return v
}

func (r rowReader) money(col string) (yibao.Fen, bool) {
	v := strings.TrimSpace(r.row[col])
	if v == "" {
		return 0, false
	}
	m, err := yibao.ParseYuan(v)
	if err != nil {
		r.ps.add(r.pre+col, "bad_amount", "amount %s: %v", "金额 %s 无效：%v", truncate(v), err)
		return 0, false
	}
	return m, true
}

func (r rowReader) dec6(col string) (yibao.Dec6, bool) {
	v := strings.TrimSpace(r.row[col])
	if v == "" {
		r.ps.missing(r.pre + col)
		return 0, false
	}
	d, err := yibao.ParseDec6(v)
	if err != nil {
		r.ps.add(r.pre+col, "bad_number", "number %s: %v", "数值 %s 无效：%v", truncate(v), err)
		return 0, false
	}
	return d, true
}

func (r rowReader) integer(col string) (int, bool) {
	v := strings.TrimSpace(r.row[col])
	if v == "" {
		return -1, false
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.ps.add(r.pre+col, "not_integer", "%s is not a whole number", "%s 不是整数", truncate(v))
		return -1, false
	}
	return n, true
}

func (r rowReader) time(col string, dateOnly bool) (t time.Time, ok bool) {
	v := r.row[col]
	if v == "" {
		return t, false
	}
	layout := timeLayout
	if dateOnly || len(v) == len(dateLayout) {
		layout = dateLayout
		if len(v) > len(dateLayout) {
			v = v[:len(dateLayout)]
		}
	}
	tt, err := time.Parse(layout, v)
	if err != nil {
		r.ps.add(r.pre+col, "bad_time", "%q is not of the form %s", "%q 不符合格式 %s", truncate(v), layout)
		return t, false
	}
	return tt, true
}

// parseSettlementRow maps a settlements.csv row onto a parsedDoc; fee lines come later.
func parseSettlementRow(row map[string]string) *parsedDoc {
	d := &parsedDoc{}
	r := rowReader{row: row, ps: &d.ps}
	s := &d.s
	s.ID = r.str("setl_id", maxCodeLen)
	s.EncounterID = r.str("mdtrt_id", maxCodeLen)
	d.psnNo = r.str("psn_no", maxCodeLen)
	d.certNo = r.str("certno", maxCodeLen)
	s.Hospital = r.str("fixmedins_code", maxCodeLen)
	switch g := row["gend"]; g {
	case "1":
		s.Patient.Sex = yibao.Male
	case "2":
		s.Patient.Sex = yibao.Female
	case "0", "9":
	case "":
		d.ps.missing("gend")
	default:
		d.ps.add("gend", "bad_value", "sex %q is not 1, 2, 9 or 0", "性别 %q 不是 1、2、9 或 0", truncate(g))
	}
	if t, ok := r.time("brdy", true); ok {
		s.Patient.BirthDate = t
	} else if row["brdy"] == "" {
		d.ps.missing("brdy")
	}
	s.Patient.Age, d.ageGiven = r.integer("age")
	s.Patient.AgeDays, _ = r.integer("nwb_age")
	if w, ok := r.integer("nwb_bir_wt"); ok {
		s.Patient.BirthWeight = w
	}
	s.InsuranceType = r.str("hi_type", maxCodeLen)
	s.MedType = r.str("ipt_med_type", maxCodeLen)
	s.Admission, _ = r.time("adm_time", false)
	s.Discharge, _ = r.time("dscg_time", false)
	s.LOS, d.losGiven = r.integer("act_ipt_days")
	s.AdmissionDept = r.str("adm_caty", maxCodeLen)
	s.DischargeDept = r.str("dscg_caty", maxCodeLen)
	s.Disposition = r.str("dscg_way", maxCodeLen)
	s.PlannedReadmission = row["days_rinp_flag_31"] == "2"
	if v := row["vent_used_dura"]; v != "" {
		m, ok := parseDHM(v)
		if !ok {
			d.ps.add("vent_used_dura", "bad_duration", "%q is not days/hours/minutes", "%q 不是“天/小时/分钟”格式", truncate(v))
		}
		s.VentilatorMinutes = m
	}
	var ok bool
	if s.Pay.Total, ok = r.money("medfee_sumamt"); !ok && row["medfee_sumamt"] == "" {
		d.ps.missing("medfee_sumamt")
	}
	s.Pay.Fund, d.fundGiven = r.money("hifp_payamt")
	s.Pay.SelfPay, _ = r.money("psn_selfpay")
	s.Pay.OwnPay, _ = r.money("psn_ownpay")
	s.Pay.Account, _ = r.money("acct_pay")
	s.Pay.Cash, _ = r.money("psn_cashpay")
	if dx := row["diagnoses"]; dx != "" {
		for i, c := range strings.Split(dx, "|") {
			s.Diagnoses = append(s.Diagnoses, yibao.Diagnosis{Code: c, Principal: i == 0})
		}
	}
	if px := row["procedures"]; px != "" {
		for i, c := range strings.Split(px, "|") {
			s.Procedures = append(s.Procedures, yibao.Procedure{Code: c, Principal: i == 0})
		}
	}
	return d
}

// appendFeeRow adds one fees.csv row to d.
func appendFeeRow(d *parsedDoc, row map[string]string) {
	i := len(d.s.Fees)
	r := rowReader{row: row, ps: &d.ps, pre: "feedetl[" + strconv.Itoa(i) + "]."}
	var l yibao.FeeLine
	l.Serial = r.str("feedetl_sn", maxCodeLen)
	l.Time, _ = r.time("fee_ocur_time", false)
	l.ListCode = r.str("med_list_codg", maxCodeLen)
	l.HospCode = r.str("medins_list_codg", maxCodeLen)
	l.Name = r.str("hilist_name", maxTextLen)
	l.Category = r.str("med_chrgitm_type", maxCodeLen)
	l.ListClass = r.str("chrgitm_lv", maxCodeLen)
	l.Qty, _ = r.dec6("cnt")
	l.Price, _ = r.dec6("pric")
	var ok bool
	if l.Amount, ok = r.money("det_item_fee_sumamt"); !ok && row["det_item_fee_sumamt"] == "" {
		d.ps.missing(r.pre + "det_item_fee_sumamt")
	}
	l.Dept = r.str("bilg_dept_codg", maxCodeLen)
	l.Doctor = r.str("bilg_dr_codg", maxCodeLen)
	l.Order = r.str("rx_drord_no", maxCodeLen)
	d.s.Fees = append(d.s.Fees, l)
}

// parseHospitalRow reads one registry row.
func parseHospitalRow(row map[string]string) (yibao.Hospital, problems) {
	var ps problems
	r := rowReader{row: row, ps: &ps}
	h := yibao.Hospital{
		Code: strings.TrimSpace(r.str("code", maxCodeLen)), Name: r.str("name", maxTextLen),
		Grade: strings.TrimSpace(row["grade"]), Type: strings.TrimSpace(row["type"]),
		Specialty: r.str("specialty", maxTextLen), Region: r.str("region", maxCodeLen), Registered: true,
	}
	if h.Code == "" {
		ps.missing("code")
	} else if !yibao.ValidID(h.Code) {
		ps.add("code", "bad_id", "%q is not an identifier: 1–%d characters of %s, not starting with a dot",
			"%q 不是合法标识：须为 1–%d 个字符（%s），且不以点开头", truncate(h.Code), yibao.MaxIDLen, yibao.IDCharset)
	}
	if h.Name == "" {
		ps.missing("name")
	}
	if h.Region != "" && !yibao.ValidID(h.Region) {
		ps.add("region", "bad_id", "%q is not an identifier: 1–%d characters of %s, not starting with a dot",
			"%q 不是合法标识：须为 1–%d 个字符（%s），且不以点开头", truncate(h.Region), yibao.MaxIDLen, yibao.IDCharset)
	}
	lv := strings.TrimSpace(row["level"])
	if h.Level = ParseLevel(lv); h.Level == 0 {
		ps.add("level", "bad_value", "level %q is not 1, 2 or 3", "医院等级 %q 不是 1、2 或 3", truncate(lv))
	}
	if h.Grade == "" { // "三级甲等" carries the grade too
		for _, g := range []string{"甲", "乙", "丙"} {
			if strings.Contains(lv, g) {
				h.Grade = g
			}
		}
	}
	switch h.Grade {
	case "", "甲", "乙", "丙":
	default:
		ps.add("grade", "bad_value", "grade %q is not 甲, 乙 or 丙", "医院等次 %q 不是甲、乙或丙", truncate(h.Grade))
	}
	switch h.Type {
	case "general", "tcm", "specialty":
	case "":
		h.Type = "general"
	default:
		ps.add("type", "bad_value", "type %q is not general, tcm or specialty", "医院类型 %q 不是 general、tcm 或 specialty", truncate(h.Type))
	}
	if b, ok := r.integer("beds"); ok {
		if b < 0 {
			ps.add("beds", "negative", "beds %d is negative", "床位数 %d 为负数", b)
		}
		h.Beds = b
	}
	return h, ps
}

// ParseLevel reads a hospital level written as 1/2/3, 一级/二级/三级 or 三级甲等; 0 when
// it is none of these.
func ParseLevel(s string) int {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return 0
	case s[0] >= '1' && s[0] <= '3':
		if len(s) == 1 || !(s[1] >= '0' && s[1] <= '9') {
			return int(s[0] - '0')
		}
	case strings.HasPrefix(s, "一"):
		return 1
	case strings.HasPrefix(s, "二"):
		return 2
	case strings.HasPrefix(s, "三"):
		return 3
	}
	return 0
}
