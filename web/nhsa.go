package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/audit"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// The online audit speaks the national 3101/3102/3103 shape (../shared/formats/nhsa-3101.md).
// Dictionary codes used in responses (they differ between provinces, so Chinese labels are
// returned beside them):
//
//	sev_deg: 1 明确违规 (definite), 2 可疑 (suspicious)
//	vola_amt_stas: 1 amount computed, 0 not computable (settlement-level findings)
//	vola_item_type: 1 违规项 (violating line), 2 涉及项 (related line)

// maxRequestBytes bounds a request body.
const maxRequestBytes = 8 << 20

type envelope struct {
	Infno         string `json:"infno"`
	MsgID         string `json:"msgid"`
	FixmedinsCode string `json:"fixmedins_code"`
	InfTime       string `json:"inf_time"`
	Input         struct {
		Data json.RawMessage `json:"data"`
	} `json:"input"`
}

type auditData struct {
	Syscode  string       `json:"syscode"`
	RuleIDs  []string     `json:"rule_ids"`
	TrigScen flexString   `json:"trig_scen"`
	Patients []patientDTO `json:"patient_dtos"`
}

type patientDTO struct {
	PatnID     flexString     `json:"patn_id"`
	Gend       flexString     `json:"gend"`
	Brdy       flexString     `json:"brdy"`
	CurrMdtrt  flexString     `json:"curr_mdtrt_id"`
	Encounters []encounterDTO `json:"fsi_encounter_dtos"`
}

type encounterDTO struct {
	MdtrtID    flexString     `json:"mdtrt_id"`
	MedinsID   flexString     `json:"medins_id"`
	MedinsLv   flexString     `json:"medins_lv"`
	AdmDate    flexString     `json:"adm_date"`
	DscgDate   flexString     `json:"dscg_date"`
	MainDise   flexString     `json:"dscg_main_dise_codg"`
	DeptCode   flexString     `json:"dscg_dept_codg"`
	MedType    flexString     `json:"med_type"`
	Sumamt     flexString     `json:"medfee_sumamt"`
	Insutype   flexString     `json:"insutype"`
	Diagnoses  []diagnoseDTO  `json:"fsi_diagnose_dtos"`
	Orders     []orderDTO     `json:"fsi_order_dtos"`
	Operations []operationDTO `json:"fsi_operation_dtos"`
}

type diagnoseDTO struct {
	Code     flexString `json:"dise_codg"`
	Name     flexString `json:"dise_name"`
	MainFlag flexString `json:"maindise_flag"`
}

type orderDTO struct {
	RxID      flexString `json:"rx_id"`
	ChrgType  flexString `json:"chrg_type"`
	Code      flexString `json:"hilist_code"`
	Name      flexString `json:"hilist_name"`
	Lv        flexString `json:"hilist_lv"`
	Cnt       flexString `json:"cnt"`
	Pric      flexString `json:"pric"`
	Sumamt    flexString `json:"sumamt"`
	BeginDate flexString `json:"drord_begn_date"`
	DeptCode  flexString `json:"drord_dept_codg"`
	DrCode    flexString `json:"drord_dr_codg"`
}

type operationDTO struct {
	Code     flexString `json:"oprn_code"`
	MainFlag flexString `json:"main_oprn_flag"`
	Date     flexString `json:"oprn_date"`
	DrCode   flexString `json:"oper_dr_code"`
}

// flexString accepts a JSON string, number or null ("numbers may arrive as JSON numbers or
// as strings; null appears for absent values").
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9') {
		*f = flexString(b)
		return nil
	}
	return fmt.Errorf("want a string or number, got %s", truncate(string(b)))
}

type result struct {
	JrID        string         `json:"jr_id"`
	RuleID      string         `json:"rule_id"`
	RuleName    string         `json:"rule_name"`
	VolaCont    string         `json:"vola_cont"`
	PatnID      string         `json:"patn_id"`
	MdtrtID     string         `json:"mdtrt_id"`
	Details     []resultDetail `json:"judge_result_detail_dtos"`
	VolaAmt     string         `json:"vola_amt"`
	VolaAmtStas string         `json:"vola_amt_stas"`
	SevDeg      string         `json:"sev_deg"`
	SevDegName  string         `json:"sev_deg_name"`
	VolaEvid    string         `json:"vola_evid"`
	VolaBhvr    string         `json:"vola_bhvr_type"`
	Category    string         `json:"category"`
	TaskID      string         `json:"task_id"`
}

type resultDetail struct {
	JrdID        string `json:"jrd_id"`
	PatnID       string `json:"patn_id"`
	MdtrtID      string `json:"mdtrt_id"`
	RxID         string `json:"rx_id"`
	VolaItemType string `json:"vola_item_type"`
	VolaAmt      string `json:"vola_amt"`
}

type response struct {
	Infcode     int    `json:"infcode"`
	InfRefmsgID string `json:"inf_refmsgid"`
	RefmsgTime  string `json:"refmsg_time"`
	RespondTime string `json:"respond_time"`
	ErrMsg      string `json:"err_msg"`
	WarnMsg     string `json:"warn_msg"`
	Output      any    `json:"output"`
}

// nhsaError is a failure answered inside the envelope, never as a bare 500.
type nhsaError struct{ msg string }

func (e nhsaError) Error() string { return e.msg }

func newID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) handleNHSA(infno string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		resp := response{RefmsgTime: start.Format("20060102150405")}
		out, msgid, err := s.nhsa(r, infno)
		resp.InfRefmsgID = msgid
		if err != nil {
			resp.Infcode = -1
			var ne nhsaError
			if errors.As(err, &ne) {
				resp.ErrMsg = ne.msg
			} else {
				resp.ErrMsg = "服务内部错误，请稍后重试"
				s.log.Printf("nhsa %s: %v", infno, err)
			}
		} else {
			resp.Output = out
		}
		resp.RespondTime = time.Now().Format("20060102150405")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(resp)
	}
}

func (s *Server) nhsa(r *http.Request, infno string) (any, string, error) {
	if r.Method != http.MethodPost {
		return nil, "", nhsaError{"请使用 POST 方法调用"}
	}
	var env envelope
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxRequestBytes))
	if err := dec.Decode(&env); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", nhsaError{fmt.Sprintf("请求报文超过 %d MB 上限", maxRequestBytes>>20)}
		}
		return nil, "", nhsaError{"请求报文不是有效的 JSON：" + truncate(err.Error())}
	}
	if env.Infno != "" && env.Infno != infno {
		return nil, env.MsgID, nhsaError{fmt.Sprintf("交易编号 infno=%s 与接口 %s 不符", env.Infno, infno)}
	}
	if len(env.Input.Data) == 0 || string(env.Input.Data) == "null" {
		return nil, env.MsgID, nhsaError{"缺少 input.data"}
	}
	if s.kb == nil {
		return nil, env.MsgID, nhsaError{"审核知识库未加载，服务不可用"}
	}
	if infno == "3103" {
		return s.feedback(r.Context(), env)
	}
	var data auditData
	if err := json.Unmarshal(env.Input.Data, &data); err != nil {
		return nil, env.MsgID, nhsaError{"input.data 格式错误：" + truncate(err.Error())}
	}
	if len(data.Patients) == 0 {
		return nil, env.MsgID, nhsaError{"input.data.patient_dtos 为空"}
	}
	ruleFilter := map[string]bool{}
	for _, id := range data.RuleIDs {
		ruleFilter[id] = true
	}
	var results []result
	var judgements []Judgement
	for pi, p := range data.Patients {
		rs, js, err := s.auditPatient(r.Context(), env, p, ruleFilter)
		if err != nil {
			return nil, env.MsgID, nhsaError{fmt.Sprintf("patient_dtos[%d]：%v", pi, err)}
		}
		results = append(results, rs...)
		judgements = append(judgements, js...)
	}
	if err := s.store.PutJudgements(r.Context(), judgements); err != nil {
		return nil, env.MsgID, err
	}
	if results == nil {
		results = []result{}
	}
	return map[string]any{"result": results}, env.MsgID, nil
}

// Judgement is what the service remembers of a result, for 3103 feedback.
type Judgement = sqlite.Judgement

func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02", "20060102150405", "20060102"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// settlementOf maps an encounter onto the domain model.
func (s *Server) settlementOf(p patientDTO, e encounterDTO, fallbackHospital string, now time.Time) (*yibao.Settlement, int, error) {
	st := &yibao.Settlement{ID: string(e.MdtrtID), EncounterID: string(e.MdtrtID), Hospital: string(e.MedinsID), MedType: string(e.MedType),
		InsuranceType: string(e.Insutype), DischargeDept: string(e.DeptCode)}
	if st.Hospital == "" {
		st.Hospital = fallbackHospital
	}
	if st.ID == "" {
		return nil, 0, errors.New("fsi_encounter_dtos 缺少 mdtrt_id")
	}
	st.Patient.Pseudonym = s.pseudonym(string(p.PatnID))
	switch p.Gend {
	case "1":
		st.Patient.Sex = yibao.Male
	case "2":
		st.Patient.Sex = yibao.Female
	}
	adm, ok := parseDate(string(e.AdmDate))
	if !ok {
		adm = now
	}
	dis, ok := parseDate(string(e.DscgDate))
	if !ok || dis.Before(adm) {
		dis = now // an encounter in progress is audited up to now
	}
	st.Admission, st.Discharge = adm, dis
	st.Inpatient = strings.HasPrefix(st.MedType, "2") || st.MedType == ""
	if st.Inpatient {
		st.LOS = max(1, int(time.Date(dis.Year(), dis.Month(), dis.Day(), 0, 0, 0, 0, time.UTC).Sub(
			time.Date(adm.Year(), adm.Month(), adm.Day(), 0, 0, 0, 0, time.UTC)).Hours()/24))
	}
	if b, ok := parseDate(string(p.Brdy)); ok {
		st.Patient.BirthDate = b
		st.Patient.Age = adm.Year() - b.Year()
		if adm.YearDay() < b.YearDay() {
			st.Patient.Age--
		}
	}
	for _, d := range e.Diagnoses {
		st.Diagnoses = append(st.Diagnoses, yibao.Diagnosis{Code: string(d.Code), Name: string(d.Name), Principal: d.MainFlag == "1"})
	}
	if len(st.Diagnoses) == 0 && e.MainDise != "" {
		st.Diagnoses = []yibao.Diagnosis{{Code: string(e.MainDise), Principal: true}}
	}
	for i, o := range e.Operations {
		st.Procedures = append(st.Procedures, yibao.Procedure{Code: string(o.Code), Principal: o.MainFlag == "1" || (i == 0 && o.MainFlag == ""), Operator: string(o.DrCode)})
	}
	for i, o := range e.Orders {
		l := yibao.FeeLine{Serial: string(o.RxID), ListCode: string(o.Code), Name: string(o.Name), Category: string(o.ChrgType),
			ListClass: string(o.Lv), Dept: string(o.DeptCode), Doctor: string(o.DrCode)}
		if l.Serial == "" {
			return nil, 0, fmt.Errorf("fsi_order_dtos[%d] 缺少 rx_id", i)
		}
		var err error
		if l.Qty, err = yibao.ParseDec6(string(o.Cnt)); err != nil {
			return nil, 0, fmt.Errorf("fsi_order_dtos[%d].cnt %q 不是数值", i, o.Cnt)
		}
		if l.Price, err = yibao.ParseDec6(string(o.Pric)); err != nil {
			return nil, 0, fmt.Errorf("fsi_order_dtos[%d].pric %q 不是数值", i, o.Pric)
		}
		if o.Sumamt != "" {
			if l.Amount, err = yibao.ParseYuan(string(o.Sumamt)); err != nil {
				return nil, 0, fmt.Errorf("fsi_order_dtos[%d].sumamt %q 不是金额", i, o.Sumamt)
			}
		} else {
			l.Amount = yibao.MulFen(l.Qty, l.Price)
		}
		if t, ok := parseDate(string(o.BeginDate)); ok {
			l.Time = t
		} else {
			l.Time = adm
		}
		st.Fees = append(st.Fees, l)
		st.Pay.Total += l.Amount
	}
	level := 0
	if lv := strings.TrimSpace(string(e.MedinsLv)); lv != "" {
		level, _ = strconv.Atoi(lv[:1])
	}
	return st, level, nil
}

func (s *Server) auditPatient(ctx context.Context, env envelope, p patientDTO, filter map[string]bool) ([]result, []Judgement, error) {
	if p.PatnID == "" {
		return nil, nil, errors.New("缺少 patn_id")
	}
	now := time.Now().UTC()
	if t, ok := parseDate(env.InfTime); ok {
		now = t
	}
	var current *yibao.Settlement
	level := 0
	var stays []audit.Stay
	inRequest := map[string]bool{}
	for _, e := range p.Encounters {
		st, lv, err := s.settlementOf(p, e, env.FixmedinsCode, now)
		if err != nil {
			return nil, nil, err
		}
		inRequest[st.ID] = true
		if st.ID == string(p.CurrMdtrt) || (p.CurrMdtrt == "" && current == nil) {
			current, level = st, lv
		}
		if st.Inpatient {
			stays = append(stays, audit.StayOf(st, 0, ""))
		}
	}
	if current == nil {
		return nil, nil, fmt.Errorf("curr_mdtrt_id %s 不在 fsi_encounter_dtos 中", p.CurrMdtrt)
	}
	if level == 0 {
		level = s.levels(ctx, current.Hospital)
	}
	// History the store holds for the person, beyond what the request carries.
	if hist, err := s.store.PersonStays(ctx, current.Patient.Pseudonym); err == nil {
		for _, h := range hist {
			if inRequest[h.SetlID] {
				continue
			}
			cat := h.Principal
			if len(cat) > 3 {
				cat = cat[:3]
			}
			stays = append(stays, audit.Stay{SetlID: h.SetlID, Hospital: h.Hospital, Person: current.Patient.Pseudonym,
				Admission: h.Admission, Discharge: h.Discharge, Category: cat, Planned: h.Planned, Disposition: h.Disposition, LOS: h.LOS})
		}
	}
	findings := s.kb.AuditSettlement(current, level)
	for _, f := range s.kb.CrossSettlement(stays) {
		// A split admission lands on the earlier stay and names the readmission as Other.
		if f.SetlID == current.ID || f.Other == current.ID {
			findings = append(findings, f)
		}
	}
	var results []result
	var js []Judgement
	taskID := newID()
	for _, f := range findings {
		if len(filter) > 0 && !filter[f.RuleID] {
			continue
		}
		name := audit.Rules[f.RuleID].Name
		if name == "" {
			for _, c := range s.kb.Custom {
				if c.ID == f.RuleID {
					name = c.Name
				}
			}
		}
		rs := result{JrID: newID(), RuleID: f.RuleID, RuleName: name, VolaCont: f.Evidence, PatnID: string(p.PatnID), MdtrtID: current.ID,
			VolaAmt: f.Amount.String(), VolaAmtStas: "1", SevDeg: "2", SevDegName: audit.SeverityZh[f.Severity], VolaEvid: f.Evidence,
			VolaBhvr: audit.Rules[f.RuleID].Behaviour, Category: f.Category, TaskID: taskID, Details: []resultDetail{}}
		if f.Severity == audit.Definite {
			rs.SevDeg = "1"
		}
		if f.Serial == "" {
			rs.VolaAmtStas = "0"
		} else {
			rs.Details = append(rs.Details, resultDetail{JrdID: newID(), PatnID: string(p.PatnID), MdtrtID: current.ID, RxID: f.Serial,
				VolaItemType: "1", VolaAmt: f.Amount.String()})
		}
		for _, rel := range f.Related {
			rs.Details = append(rs.Details, resultDetail{JrdID: newID(), PatnID: string(p.PatnID), MdtrtID: current.ID, RxID: rel,
				VolaItemType: "2", VolaAmt: "0.00"})
		}
		results = append(results, rs)
		js = append(js, Judgement{JrID: rs.JrID, Infno: env.Infno, MsgID: env.MsgID, Hospital: current.Hospital,
			Person: current.Patient.Pseudonym, MdtrtID: current.ID, RuleID: f.RuleID, Category: f.Category, Amount: int64(f.Amount)})
	}
	return results, js, nil
}

type feedbackData struct {
	JrID   flexString `json:"jr_id"`
	Way    flexString `json:"dspo_way"`     // 1 accepted, 2 will modify, 3 explained / disputed
	Reason flexString `json:"dspo_way_rea"` // explanation
}

func (s *Server) feedback(ctx context.Context, env envelope) (any, string, error) {
	var items []feedbackData
	raw := env.Input.Data
	if len(raw) > 0 && raw[0] == '{' {
		raw = append(append([]byte{'['}, raw...), ']')
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, env.MsgID, nhsaError{"input.data 格式错误：" + truncate(err.Error())}
	}
	for i, it := range items {
		if it.JrID == "" {
			return nil, env.MsgID, nhsaError{fmt.Sprintf("input.data[%d] 缺少 jr_id", i)}
		}
		switch it.Way {
		case "1", "2", "3":
		default:
			return nil, env.MsgID, nhsaError{fmt.Sprintf("input.data[%d].dspo_way 须为 1（接受）、2（将修改）或 3（说明理由）", i)}
		}
		if err := s.store.PutFeedback(ctx, string(it.JrID), string(it.Way), string(it.Reason)); err != nil {
			if errors.Is(err, ErrNoJudgement) {
				return nil, env.MsgID, nhsaError{fmt.Sprintf("审核结果 jr_id=%s 不存在", it.JrID)}
			}
			return nil, env.MsgID, err
		}
	}
	return map[string]any{"recorded": len(items)}, env.MsgID, nil
}

func truncate(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
