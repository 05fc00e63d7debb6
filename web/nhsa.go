package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/audit"
	"github.com/yibao-dev/yibao/hisauth"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// The online audit speaks the national 3101/3102/3103 shape (../shared/formats/nhsa-3101.md).
// Dictionary codes used in responses (they differ between provinces, so Chinese labels are
// returned beside them):
//
//	sev_deg: 1 明确违规 (definite), 2 可疑 (suspicious)
//	vola_amt_stas: 1 amount computed, 0 not computable (settlement-level findings)
//	vola_item_type: 1 违规项 (violating line), 2 涉及项 (related line)

// Limits on every request (local choices, docs/api.md "Limits"): the body, each string,
// and the patients, encounters and fee lines one request may carry. A request over a limit
// is refused with the limit named, before any audit work.
const (
	maxRequestBytes    = 4 << 20
	maxEnvelopeField   = 64   // msgid, fixmedins_code, inf_time, infno, key id
	maxTextField       = 500  // names, explanations
	maxPatients        = 50   // per request
	maxEncounters      = 200  // per patient
	maxFeeLines        = 5000 // per encounter
	maxRequestFeeLines = 20000
	maxDiagnoses       = 100 // per encounter
	maxOperations      = 50  // per encounter
	maxRuleIDs         = 200
	maxFeedbackItems   = 500
	// maxResults bounds what one request may store: 20,000 duplicated fee lines gave 40,000
	// judgements (about 1 KB each with their ledger entries) from a 1.3 MB request.
	maxResults           = 5000
	defaultHISRatePerMin = 600
)

type envelope struct {
	Infno         string          `json:"infno"`
	MsgID         string          `json:"msgid"`
	FixmedinsCode string          `json:"fixmedins_code"`
	InfTime       string          `json:"inf_time"`
	SignType      string          `json:"signtype"`
	CAInfo        string          `json:"cainfo"`
	Input         json.RawMessage `json:"input"` // exact bytes: they are signed
	data          json.RawMessage
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
	return flexError(fmt.Sprintf("应为字符串或数值，收到 %s", truncate(string(b))))
}

// flexError is a value of the wrong shape, said without Go type names.
type flexError string

func (e flexError) Error() string { return string(e) }

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
		host := s.clientAddr(r)
		call := sqlite.HISCall{At: start, Remote: host, Infno: infno}
		out, msgid, err := s.nhsa(r, infno, &call)
		resp.InfRefmsgID = msgid
		outcome := "ok"
		if err != nil {
			resp.Infcode = -1
			var ne nhsaError
			if errors.As(err, &ne) {
				resp.ErrMsg = ne.msg
				outcome = "refused"
			} else {
				resp.ErrMsg = "服务内部错误，请稍后重试"
				outcome = "error"
				s.log.Printf("nhsa %s: %v", infno, err)
			}
		} else {
			resp.Output = out
		}
		if call.ID != 0 {
			// The log row outlives the request: a client that hangs up is still recorded.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
			if err := s.store.FinishHISCall(ctx, call.ID, outcome, call.Patients, call.Results, time.Since(start)); err != nil {
				s.log.Printf("nhsa %s: call log: %v", infno, err)
			}
			cancel()
		}
		resp.RespondTime = time.Now().Format("20060102150405")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(resp)
	}
}

// clip bounds a client's string before it is logged.
func clip(s string) string {
	if len(s) > maxEnvelopeField {
		return strings.ToValidUTF8(s[:maxEnvelopeField], "") + "…"
	}
	return s
}

func (s *Server) nhsa(r *http.Request, infno string, call *sqlite.HISCall) (any, string, error) {
	if r.Method != http.MethodPost {
		return nil, "", s.deny(r, call, "bad_method", nhsaError{"请使用 POST 方法调用"})
	}
	var env envelope
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxRequestBytes))
	if err := dec.Decode(&env); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", s.deny(r, call, "too_large", nhsaError{fmt.Sprintf("请求报文超过 %d MB 上限", maxRequestBytes>>20)})
		}
		return nil, "", s.deny(r, call, "bad_json", nhsaError{"请求报文不是有效的 JSON：" + jsonProblem(err)})
	}
	call.MsgID, call.Hospital = clip(env.MsgID), clip(env.FixmedinsCode)
	for _, f := range []struct{ name, v string }{{"infno", env.Infno}, {"msgid", env.MsgID}, {"fixmedins_code", env.FixmedinsCode},
		{"inf_time", env.InfTime}, {"signtype", env.SignType}} {
		if len(f.v) > maxEnvelopeField {
			return nil, "", s.deny(r, call, "too_long", nhsaError{fmt.Sprintf("%s 超过 %d 个字符上限", f.name, maxEnvelopeField)})
		}
	}
	if env.Infno != "" && env.Infno != infno {
		return nil, env.MsgID, s.deny(r, call, "wrong_infno", nhsaError{fmt.Sprintf("交易编号 infno=%s 与接口 %s 不符", env.Infno, infno)})
	}
	cred, err := s.authenticate(r, infno, &env, call)
	if err != nil {
		return nil, env.MsgID, err
	}
	var wrap struct {
		Data json.RawMessage `json:"data"`
	}
	if len(env.Input) > 0 {
		if err := json.Unmarshal(env.Input, &wrap); err != nil {
			return nil, env.MsgID, nhsaError{"input 格式错误：" + jsonProblem(err)}
		}
	}
	env.data = wrap.Data
	if len(env.data) == 0 || string(env.data) == "null" {
		return nil, env.MsgID, nhsaError{"缺少 input.data"}
	}
	if s.kb == nil {
		return nil, env.MsgID, nhsaError{"审核知识库未加载，服务不可用"}
	}
	if infno == "3103" {
		return s.feedback(r.Context(), env, cred, call)
	}
	var data auditData
	if err := json.Unmarshal(env.data, &data); err != nil {
		return nil, env.MsgID, nhsaError{"input.data 格式错误：" + jsonProblem(err)}
	}
	if len(data.Patients) == 0 {
		return nil, env.MsgID, nhsaError{"input.data.patient_dtos 为空"}
	}
	if err := checkLimits(&data); err != nil {
		return nil, env.MsgID, err
	}
	call.Patients = len(data.Patients)
	ruleFilter := map[string]bool{}
	for _, id := range data.RuleIDs {
		ruleFilter[id] = true
	}
	var results []result
	var judgements []Judgement
	for pi, p := range data.Patients {
		rs, js, err := s.auditPatient(r.Context(), env, cred, p, ruleFilter)
		if err != nil {
			if ctxErr := r.Context().Err(); ctxErr != nil {
				return nil, env.MsgID, ctxErr
			}
			var ne nhsaError
			if errors.As(err, &ne) {
				return nil, env.MsgID, nhsaError{fmt.Sprintf("patient_dtos[%d]：%s", pi, ne.msg)}
			}
			return nil, env.MsgID, fmt.Errorf("patient_dtos[%d]: %w", pi, err)
		}
		results = append(results, rs...)
		judgements = append(judgements, js...)
		if len(results) > maxResults {
			return nil, env.MsgID, nhsaError{fmt.Sprintf("审核结果超过每次请求 %d 条上限，请分批提交（每次更少的患者或费用明细）", maxResults)}
		}
	}
	if err := s.store.PutJudgements(r.Context(), judgements); err != nil {
		return nil, env.MsgID, err
	}
	if results == nil {
		results = []result{}
	}
	call.Results = len(results)
	return map[string]any{"result": results}, env.MsgID, nil
}

// authenticate checks the envelope's signature against the credential it names, that the
// credential is live and belongs to the hospital in fixmedins_code, the credential's rate,
// and that its msgid is new; it records the call either way.
func (s *Server) authenticate(r *http.Request, infno string, env *envelope, call *sqlite.HISCall) (sqlite.HISCredential, error) {
	var none sqlite.HISCredential
	if s.sealer == nil {
		return none, s.deny(r, call, "not_configured", nhsaError{"HIS 认证未配置，接口不可用"})
	}
	if env.SignType == "" && env.CAInfo == "" {
		return none, s.deny(r, call, "unsigned", nhsaError{"缺少签名：请在 signtype/cainfo 中使用医保部门发放的 HIS 凭证签名（见接口文档）"})
	}
	if env.SignType != hisauth.SignType {
		return none, s.deny(r, call, "bad_signtype", nhsaError{"不支持的签名算法 signtype，应为 " + hisauth.SignType})
	}
	keyID, sig, ok := hisauth.ParseCAInfo(env.CAInfo)
	call.KeyID = clip(keyID)
	if !ok || len(keyID) > maxEnvelopeField {
		return none, s.deny(r, call, "bad_cainfo", nhsaError{"cainfo 格式错误，应为 凭证编号:签名"})
	}
	bad := nhsaError{"签名校验失败：凭证无效、已吊销，或签名与报文不符"}
	cred, err := s.store.HISCredential(r.Context(), keyID)
	if errors.Is(err, sqlite.ErrNotFound) {
		return none, s.deny(r, call, "bad_signature", bad)
	} else if err != nil {
		return none, err
	}
	secret, err := s.sealer.Open(cred.KeyID, cred.Sealed)
	if err != nil {
		s.log.Printf("nhsa: %v", err)
		return none, s.deny(r, call, "bad_signature", bad)
	}
	if !cred.Active(time.Now()) || !hisauth.Verify(secret, hisauth.Canonical(infno, env.MsgID, env.FixmedinsCode, env.InfTime, env.Input), sig) {
		return none, s.deny(r, call, "bad_signature", bad)
	}
	call.KeyID = cred.KeyID
	if env.FixmedinsCode != cred.Hospital {
		return none, s.deny(r, call, "wrong_hospital", nhsaError{"fixmedins_code 与凭证所属机构不符"})
	}
	if !yibao.ValidID(env.MsgID) {
		return none, s.deny(r, call, "bad_msgid", nhsaError{"msgid（报文ID，每条报文唯一）缺失或含非法字符：须为 1–64 个字母、数字或 . _ -"})
	}
	rate := cred.RatePerMin
	if rate <= 0 {
		rate = defaultHISRatePerMin
	}
	if ok, retry := s.hisRate.allow("key|"+cred.KeyID, rate, max(10, rate/6), time.Now()); !ok {
		return none, s.deny(r, call, "rate_limited", nhsaError{fmt.Sprintf("调用过于频繁：凭证限 %d 次/分钟，请 %d 秒后重试", rate, int(retry.Seconds())+1)})
	}
	call.Accepted, call.Outcome = true, "accepted"
	id, err := s.store.LogHISCall(r.Context(), *call)
	if errors.Is(err, sqlite.ErrReplay) {
		call.Accepted = false
		return none, s.deny(r, call, "replay", nhsaError{"msgid 已使用：同一凭证的每条报文须有新的 msgid（防重放）"})
	} else if err != nil {
		return none, err
	}
	call.ID = id
	return cred, nil
}

// maxRefusalsLogged bounds the refusals logged a minute from all addresses together: a
// client with many source addresses (an IPv6 prefix; 127.0.0.0/8 on loopback) otherwise
// grew his_calls by 1,000 rows a second with unsigned calls (review of issue 10).
const maxRefusalsLogged = 600

// deny logs a refused call and returns err. Refusals are logged at most 60 a minute per
// address and maxRefusalsLogged a minute in all, so that a flood of unsigned requests cannot
// grow the log without bound.
func (s *Server) deny(r *http.Request, call *sqlite.HISCall, code string, err error) error {
	call.Outcome = code
	now := time.Now()
	if ok, _ := s.denyRate.allow(call.Remote, 60, 60, now); ok && s.denyAll(now) {
		if _, lerr := s.store.LogHISCall(r.Context(), *call); lerr != nil {
			s.log.Printf("nhsa: call log: %v", lerr)
		}
	}
	return err
}

// denyAll takes a token from the bucket shared by every address ("*" is never an address).
func (s *Server) denyAll(now time.Time) bool {
	ok, _ := s.denyRate.allow("*", maxRefusalsLogged, maxRefusalsLogged, now)
	return ok
}

// checkLimits refuses a request carrying more than the limits allow.
func checkLimits(d *auditData) error {
	if len(d.Patients) > maxPatients {
		return nhsaError{fmt.Sprintf("patient_dtos 有 %d 人，超过每次 %d 人上限", len(d.Patients), maxPatients)}
	}
	if len(d.RuleIDs) > maxRuleIDs {
		return nhsaError{fmt.Sprintf("rule_ids 超过 %d 条上限", maxRuleIDs)}
	}
	lines := 0
	for pi, p := range d.Patients {
		pre := fmt.Sprintf("patient_dtos[%d]", pi)
		if len(p.Encounters) > maxEncounters {
			return nhsaError{fmt.Sprintf("%s.fsi_encounter_dtos 有 %d 次就诊，超过每人 %d 次上限", pre, len(p.Encounters), maxEncounters)}
		}
		for _, f := range []struct{ name, v string }{{"patn_id", string(p.PatnID)}, {"curr_mdtrt_id", string(p.CurrMdtrt)}} {
			if len(f.v) > maxEnvelopeField {
				return nhsaError{fmt.Sprintf("%s.%s 超过 %d 个字符上限", pre, f.name, maxEnvelopeField)}
			}
		}
		for ei, e := range p.Encounters {
			pre := fmt.Sprintf("%s.fsi_encounter_dtos[%d]", pre, ei)
			switch {
			case len(e.Orders) > maxFeeLines:
				return nhsaError{fmt.Sprintf("%s.fsi_order_dtos 超过每次就诊 %d 条上限", pre, maxFeeLines)}
			case len(e.Diagnoses) > maxDiagnoses:
				return nhsaError{fmt.Sprintf("%s.fsi_diagnose_dtos 超过 %d 条上限", pre, maxDiagnoses)}
			case len(e.Operations) > maxOperations:
				return nhsaError{fmt.Sprintf("%s.fsi_operation_dtos 超过 %d 条上限", pre, maxOperations)}
			}
			lines += len(e.Orders)
			if lines > maxRequestFeeLines {
				return nhsaError{fmt.Sprintf("费用明细合计超过每次请求 %d 条上限", maxRequestFeeLines)}
			}
			// Ids are stored and echoed: the ingest character set applies (docs/formats.md).
			for _, f := range []struct{ name, v string }{{"mdtrt_id", string(e.MdtrtID)}, {"medins_id", string(e.MedinsID)}} {
				if f.v != "" && !yibao.ValidID(f.v) {
					return nhsaError{fmt.Sprintf("%s.%s 须为 1–%d 个字母、数字或 . _ -", pre, f.name, yibao.MaxIDLen)}
				}
			}
			for oi, o := range e.Orders {
				if o.RxID != "" && !yibao.ValidID(string(o.RxID)) || len(o.Code) > maxEnvelopeField || len(o.Name) > maxTextField {
					return nhsaError{fmt.Sprintf("%s.fsi_order_dtos[%d] 的 rx_id 含非法字符或字段超过长度上限", pre, oi)}
				}
			}
		}
	}
	return nil
}

// jsonProblem describes a JSON decoding error for a client: where and what, without Go
// type names.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("第 %d 字节处语法错误", se.Offset)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "报文"
		}
		return fmt.Sprintf("字段 %s 的类型不对（收到 %s）", clip(field), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "报文不完整"
	}
	var fe flexError
	if errors.As(err, &fe) {
		return string(fe)
	}
	return "无法解析"
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

// auditPatient audits the current encounter of one patient for the calling hospital. The
// encounter must be the caller's; history of other institutions from the store feeds the
// cross-settlement detectors, but the hospital is told only that "another institution" is
// involved: the full evidence is kept for the bureau in the judgement.
func (s *Server) auditPatient(ctx context.Context, env envelope, cred sqlite.HISCredential, p patientDTO, filter map[string]bool) ([]result, []Judgement, error) {
	caller := cred.Hospital
	if p.PatnID == "" {
		return nil, nil, nhsaError{"缺少 patn_id"}
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
		st, lv, err := s.settlementOf(p, e, caller, now)
		if err != nil {
			return nil, nil, nhsaError{err.Error()}
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
		return nil, nil, nhsaError{fmt.Sprintf("curr_mdtrt_id %s 不在 fsi_encounter_dtos 中", clip(string(p.CurrMdtrt)))}
	}
	if current.Hospital != caller {
		return nil, nil, nhsaError{"当前就诊的 medins_id 与凭证所属机构不符：只能审核本机构的就诊"}
	}
	if level == 0 {
		level = s.levels(ctx, current.Hospital)
	}
	// History the store holds for the person, beyond what the request carries.
	foreign := map[string]bool{} // settlement ids of other institutions' stays
	if hist, err := s.store.PersonStays(ctx, current.Patient.Pseudonym); err == nil {
		for _, h := range hist {
			id := h.SetlID
			if h.Hospital == caller {
				if inRequest[id] {
					continue // the request carries the caller's own, newer view of the stay
				}
			} else {
				// Another institution's stay is never shadowed by, nor taken for, an encounter
				// of the request that bears its id: a guessed id would otherwise make an
				// overlap vanish (telling that the stay exists), or hand the caller the
				// findings of that stay as its own.
				if inRequest[id] {
					id = "another-institution:" + id
				}
				foreign[id] = true
			}
			cat := h.Principal
			if len(cat) > 3 {
				cat = cat[:3]
			}
			stays = append(stays, audit.Stay{SetlID: id, Hospital: h.Hospital, Person: current.Patient.Pseudonym,
				Admission: h.Admission, Discharge: h.Discharge, Category: cat, Planned: h.Planned, Disposition: h.Disposition, LOS: h.LOS})
		}
	}
	findings := s.kb.AuditSettlement(current, level)
	cross, err := s.kb.CrossSettlementContext(ctx, stays)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range cross {
		// A split admission lands on the earlier stay and names the readmission as Other.
		if f.SetlID == current.ID || f.Other == current.ID {
			findings = append(findings, f)
		}
	}
	// A HIS that audits many different encounters of one person in a day is probing the
	// person's stays elsewhere (issue 10: 731 one-day encounters recovered every stay); past
	// the limit, findings that involve another institution are no longer returned.
	// A probe is an encounter id with its dates: one id sent again with other dates (a day
	// at a time) is a new probe, not the same encounter (review of issue 10: 247 calls with one
	// mdtrt_id recovered every stay elsewhere). Days, not seconds: an encounter in progress
	// audited at every order entry within a day stays one probe.
	probe := current.ID + "|" + current.Admission.Format("20060102") + "|" + current.Discharge.Format("20060102")
	probing := len(foreign) > 0 && s.probes.tooMany(cred.KeyID+"|"+current.Patient.Pseudonym, probe, time.Now())
	var results []result
	var js []Judgement
	taskID := newID()
	for _, f := range findings {
		if len(filter) > 0 && !filter[f.RuleID] {
			continue
		}
		if probing && involves(f, foreign) {
			s.log.Printf("nhsa: credential %s audits more than %d encounters of one person a day; finding %s on another institution's stay withheld",
				cred.KeyID, maxEncountersPerPersonDay, f.RuleID)
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
		evidence := hospitalEvidence(f, foreign)
		rs := result{JrID: newID(), RuleID: f.RuleID, RuleName: name, VolaCont: evidence, PatnID: string(p.PatnID), MdtrtID: current.ID,
			VolaAmt: f.Amount.String(), VolaAmtStas: "1", SevDeg: "2", SevDegName: audit.SeverityZh[f.Severity], VolaEvid: evidence,
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
		js = append(js, Judgement{JrID: rs.JrID, Infno: env.Infno, MsgID: env.MsgID, Hospital: caller,
			Person: current.Patient.Pseudonym, MdtrtID: current.ID, RuleID: f.RuleID, Category: f.Category, Amount: int64(f.Amount),
			Evidence: f.Evidence})
	}
	return results, js, nil
}

// involves reports whether a finding's evidence names one of the foreign stays, or counts
// them: the frequent-admission count includes other institutions' stays, so moving an
// encounter's dates and reading the count maps them as well as an overlap does.
//
// The finding's own stays decide first: an overlap found on the other institution's stay
// (it was admitted during ours) names only our encounter, yet its evidence tells the other
// stay's admission to the minute.
func involves(f audit.Finding, foreign map[string]bool) bool {
	if foreign[f.SetlID] || foreign[f.Other] || f.RuleID == "FRQ-001" && len(foreign) > 0 {
		return true
	}
	for id := range foreign {
		if strings.Contains(f.Evidence, id) {
			return true
		}
	}
	return false
}

// maxEncountersPerPersonDay bounds how many distinct encounters of one person a credential
// may have audited against other institutions' stays in a day (local choice: a long stay
// audited at every order entry stays one encounter; 20 covers a day's outpatient visits).
const maxEncountersPerPersonDay = 20

// probeCounter remembers, per credential and person, the encounters audited in the last day.
type probeCounter struct{ seen *lru[map[string]bool] }

func newProbeCounter() *probeCounter {
	return &probeCounter{seen: newLRU[map[string]bool](10000, 24*time.Hour)}
}

// tooMany records an encounter and reports whether the key has gone past the limit.
func (p *probeCounter) tooMany(key, encounter string, now time.Time) bool {
	over := false
	p.seen.update(key, now, func(m *map[string]bool) {
		if *m == nil {
			*m = map[string]bool{}
		}
		if len(*m) <= maxEncountersPerPersonDay { // the set stops growing once past the limit
			(*m)[encounter] = true
		}
		over = len(*m) > maxEncountersPerPersonDay
	})
	return over
}

// hospitalEvidence is the evidence a hospital may read: a finding that involves another
// institution's stay never names that stay, its hospital or its dates (the bureau keeps
// the full text with the judgement).
func hospitalEvidence(f audit.Finding, foreign map[string]bool) string {
	if !involves(f, foreign) {
		return f.Evidence
	}
	switch f.Category {
	case "overlapping_stay":
		return "本次住院与参保人在另一机构的住院时间重叠（相关结算的详细信息由医保部门掌握）"
	case "split_admission":
		return "参保人在另一机构出院后短期内因同一主要诊断类目再次入院，疑似分解住院（相关结算的详细信息由医保部门掌握）"
	}
	return audit.Rules[f.RuleID].Name + "：涉及参保人在另一机构的住院（详细信息由医保部门掌握）"
}

type feedbackData struct {
	JrID   flexString `json:"jr_id"`
	Way    flexString `json:"dspo_way"`     // 1 accepted, 2 will modify, 3 explained / disputed
	Reason flexString `json:"dspo_way_rea"` // explanation
}

func (s *Server) feedback(ctx context.Context, env envelope, cred sqlite.HISCredential, call *sqlite.HISCall) (any, string, error) {
	var items []feedbackData
	raw := env.data
	if len(raw) > 0 && raw[0] == '{' {
		raw = append(append([]byte{'['}, raw...), ']')
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, env.MsgID, nhsaError{"input.data 格式错误：" + jsonProblem(err)}
	}
	if len(items) > maxFeedbackItems {
		return nil, env.MsgID, nhsaError{fmt.Sprintf("input.data 有 %d 条，超过每次 %d 条上限", len(items), maxFeedbackItems)}
	}
	for i, it := range items {
		if it.JrID == "" {
			return nil, env.MsgID, nhsaError{fmt.Sprintf("input.data[%d] 缺少 jr_id", i)}
		}
		if len(it.JrID) > maxEnvelopeField || len([]rune(string(it.Reason))) > maxTextField {
			return nil, env.MsgID, nhsaError{fmt.Sprintf("input.data[%d] 字段超过长度上限（jr_id %d 字符，dspo_way_rea %d 字）", i, maxEnvelopeField, maxTextField)}
		}
		switch it.Way {
		case "1", "2", "3":
		default:
			return nil, env.MsgID, nhsaError{fmt.Sprintf("input.data[%d].dspo_way 须为 1（接受）、2（将修改）或 3（说明理由）", i)}
		}
	}
	// A hospital answers only its own judgements; another's is "not found", as if it did
	// not exist.
	for _, it := range items {
		if err := s.store.PutFeedback(ctx, string(it.JrID), cred.Hospital, string(it.Way), string(it.Reason)); err != nil {
			if errors.Is(err, ErrNoJudgement) {
				return nil, env.MsgID, nhsaError{fmt.Sprintf("审核结果 jr_id=%s 不存在", clip(string(it.JrID)))}
			}
			return nil, env.MsgID, err
		}
	}
	call.Results = len(items)
	return map[string]any{"recorded": len(items)}, env.MsgID, nil
}

func truncate(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
