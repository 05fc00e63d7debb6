package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yibao-dev/yibao/audit"
	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// The findings work queue (issue 11's review workflow): analysts confirm or dismiss open
// findings one by one or in bulk by filter, always with a reason; hospitals see their own
// findings with the appeal deadline and appeal from the row; every action lands in
// audit_log and the finding's review history.

// findingColumns are the findings list as shown.
var findingColumns = []column{{"id", "问题编号", "Finding", "int", "finding"}, {"setl_id", "结算编号", "Settlement", "text", "settlement"},
	{"hospital", "医院", "Hospital", "coded", "hospital"}, {"month", "出院月份", "Month", "text", ""}, {"category", "类别", "Category", "label", ""},
	{"rule_id", "规则", "Rule", "label", ""}, {"severity", "严重程度", "Severity", "label", ""}, {"amount_fen", "金额（元）", "Amount (yuan)", "money", ""},
	{"evidence", "依据", "Evidence", "label", ""}, {"status", "状态", "Status", "label", ""}, {"review", "复核（人、时间、理由）", "Review (who, when, why)", "label", ""},
	{"appeal", "申诉", "Appeal", "label", ""}, {"appeal_by", "申诉期限", "Appeal by", "text", ""}}

// findingRow labels a stored finding; appeals maps finding targets to their latest appeal.
func (s *Server) findingRow(f sqlite.FindingView, appeals map[string]sqlite.AppealRow, n names) row {
	r := row{"id": f.ID, "setl_id": f.SetlID, "hospital": f.Hospital, "hospital_name": n.hospitals[f.Hospital], "month": f.Month,
		"category": f.Category, "rule_id": f.RuleID, "severity": f.Severity, "amount_fen": f.AmountFen, "feedetl_sn": f.Serial,
		"related": f.Related, "status": f.Status, "evidence": f.Evidence, "evidence_zh": f.Evidence, "evidence_en": evidenceEn(f.Evidence),
		"reviewed_by": f.ReviewedBy, "reviewed_at": f.ReviewedAt, "review_why": f.ReviewWhy, "created_at": f.Created}
	setLabel(r, "category", audit.CategoryNames)
	setLabel(r, "rule_id", n.rules)
	setLabel(r, "severity", audit.SeverityLabels)
	setLabel(r, "status", audit.StatusLabels)
	r["review"], r["review_zh"], r["review_en"] = "", "", ""
	if f.ReviewedBy == "" && f.Status == audit.StatusConfirmed {
		// Stored confirmed by the audit run itself (yibao audit --confirm-definite).
		r["review_zh"], r["review_en"] = "审核时自动确认（明确违规）", "confirmed by the audit run (definite violation)"
	}
	if f.ReviewedBy != "" {
		d := time.Unix(f.ReviewedAt, 0).In(cst).Format("2006-01-02")
		r["review"] = f.ReviewedBy
		r["review_zh"] = f.ReviewedBy + "，" + d + "：" + f.ReviewWhy
		r["review_en"] = f.ReviewedBy + ", " + d + ": " + f.ReviewWhy
	}
	// The deadline as FileAppeal computes it (from the publication time in UTC), so that
	// what the row offers is what the server accepts.
	deadline := s.calendar.AddWorkdays(time.Unix(f.Created, 0).UTC(), evaluate.FileWithin)
	r["appeal_by"] = deadline.Format("2006-01-02")
	r["appeal"], r["appeal_zh"], r["appeal_en"] = "", "", ""
	if a, ok := appeals["finding:"+strconv.FormatInt(f.ID, 10)]; ok {
		st := s.calendar.Expire(evaluate.Appeal{State: a.State, DecideBy: a.DecideBy}, time.Now()).State
		l := evaluate.AppealStateLabels[st]
		r["appeal"], r["appeal_id"] = st, a.ID
		r["appeal_zh"], r["appeal_en"] = fmt.Sprintf("#%d %s", a.ID, l[0]), fmt.Sprintf("#%d %s", a.ID, l[1])
	}
	// A hospital may appeal a finding that is not dismissed, within the window, once at a
	// time (a rejected appeal may be refiled only within the same window).
	_, pending := r["appeal_id"]
	if pending {
		pending = r["appeal"] == evaluate.AppealFiled || r["appeal"] == evaluate.AppealUnderReview
	}
	r["appealable"] = f.Status != audit.StatusDismissed && !pending && time.Now().Before(deadline)
	return r
}

// findingFilter reads the structured filters of a findings request, with chips.
func (s *Server) findingFilter(r *http.Request) (sqlite.FindingFilter, []activeFilter, bool) {
	q := r.URL.Query()
	lang := langOf(r)
	f := sqlite.FindingFilter{Hospital: q.Get("hospital"), Category: q.Get("category"), RuleID: q.Get("rule"), Month: q.Get("month"),
		Status: q.Get("status"), Severity: q.Get("severity")}
	if sc := scope(r); sc != "" {
		if f.Hospital != "" && f.Hospital != sc {
			return f, nil, false
		}
		f.Hospital = sc
	}
	var chips []activeFilter
	add := func(key, v, zh, en string, m map[string][2]string) {
		if v == "" {
			return
		}
		text := v
		if m != nil {
			text = label(m, v, lang)
		}
		chips = append(chips, activeFilter{key, v, pick(lang, zh, en) + text})
	}
	if scope(r) == "" {
		chips = append(chips, s.hospitalFilter(r, f.Hospital)...)
	}
	add("category", f.Category, "类别：", "category: ", audit.CategoryNames)
	add("rule", f.RuleID, "规则：", "rule: ", s.names(r.Context()).rules)
	add("month", f.Month, "月份：", "month: ", nil)
	add("status", f.Status, "状态：", "status: ", audit.StatusLabels)
	add("severity", f.Severity, "严重程度：", "severity: ", audit.SeverityLabels)
	return f, chips, true
}

// findingsGrid builds the findings list a request selects (before the text filter).
func (s *Server) findingsGrid(r *http.Request) (*grid, bool, error) {
	f, chips, ok := s.findingFilter(r)
	if !ok {
		return nil, false, nil
	}
	fs, err := s.cockpit.Findings(r.Context(), f)
	if err != nil {
		return nil, true, err
	}
	appeals, err := s.latestAppeals(r)
	if err != nil {
		return nil, true, err
	}
	n := s.names(r.Context())
	g := &grid{Name: "findings", TitleZh: "智能审核问题", TitleEn: "Audit findings", Columns: findingColumns, Filters: chips}
	onlyAppealable := r.URL.Query().Get("appealable") == "1"
	if onlyAppealable {
		g.Filters = append(g.Filters, activeFilter{"appealable", "1", pick(langOf(r), "仅可申诉（未驳回、期限内、无待决申诉）", "appealable only (not dismissed, in time, no pending appeal)")})
	}
	for _, x := range fs {
		fr := s.findingRow(x, appeals, n)
		if onlyAppealable && fr["appealable"] != true {
			continue
		}
		g.Rows = append(g.Rows, fr)
	}
	if len(fs) > 0 {
		g.Period = fs[0].Month
		last := fs[0].Month
		for _, x := range fs {
			if x.Month != "" && (g.Period == "" || x.Month < g.Period) {
				g.Period = x.Month
			}
			if x.Month > last {
				last = x.Month
			}
		}
		if last != g.Period {
			g.Period += "~" + last
		}
	}
	return g, true, nil
}

func (s *Server) latestAppeals(r *http.Request) (map[string]sqlite.AppealRow, error) {
	as, err := s.cockpit.Appeals(r.Context())
	if err != nil {
		return nil, err
	}
	out := map[string]sqlite.AppealRow{}
	for _, a := range as { // newest first
		if _, seen := out[a.Target]; !seen && strings.HasPrefix(a.Target, "finding:") {
			out[a.Target] = a
		}
	}
	return out, nil
}

func (s *Server) handleFindings(w http.ResponseWriter, r *http.Request) {
	g, ok, err := s.findingsGrid(r)
	switch {
	case !ok:
		notFound(w)
	case err != nil:
		s.internal(w, r, err)
	default:
		s.serveGrid(w, r, g)
	}
}

func (s *Server) findingOf(w http.ResponseWriter, r *http.Request) (sqlite.FindingView, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		notFound(w)
		return sqlite.FindingView{}, false
	}
	f, err := s.cockpit.Finding(r.Context(), id)
	if err != nil || !visible(r, f.Hospital) {
		notFound(w)
		return f, false
	}
	return f, true
}

// handleFinding returns one finding with its review history and appeals.
func (s *Server) handleFinding(w http.ResponseWriter, r *http.Request) {
	f, ok := s.findingOf(w, r)
	if !ok {
		return
	}
	hist, err := s.cockpit.FindingReviews(r.Context(), f.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	appeals, err := s.latestAppeals(r)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if hist == nil {
		hist = []sqlite.FindingReview{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"finding": s.findingRow(f, appeals, s.names(r.Context())), "history": hist})
}

type reviewRequest struct {
	Action string `json:"action"` // confirm | dismiss
	Why    string `json:"why"`
}

func (s *Server) readReview(w http.ResponseWriter, r *http.Request, v any) bool {
	if !Bureau(userOf(r.Context()).Role) {
		apiError(w, http.StatusForbidden, "只有医保局用户可以复核审核问题", "only bureau users review findings")
		return false
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(v); err != nil {
		apiError(w, http.StatusBadRequest, "请求格式错误", "malformed request")
		return false
	}
	return true
}

var reviewErrZh = map[string]string{
	"a review needs a reason": "复核需要填写理由",
}

func reviewError(w http.ResponseWriter, err error) {
	zh := reviewErrZh[err.Error()]
	if zh == "" {
		zh = "无法复核：" + err.Error()
	}
	apiError(w, http.StatusUnprocessableEntity, zh, err.Error())
}

// handleReviewFinding confirms or dismisses one open finding.
func (s *Server) handleReviewFinding(w http.ResponseWriter, r *http.Request) {
	var in reviewRequest
	if !s.readReview(w, r, &in) {
		return
	}
	f, ok := s.findingOf(w, r)
	if !ok {
		return
	}
	p := userOf(r.Context())
	to, err := audit.ReviewTo(f.Status, in.Action, p.Username, in.Why)
	if err != nil {
		reviewError(w, err)
		return
	}
	n, err := s.cockpit.ReviewFindings(r.Context(), []int64{f.ID}, f.Status, to, p.Username, strings.TrimSpace(in.Why), fmt.Sprintf("finding %d", f.ID))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if n == 0 {
		apiError(w, http.StatusConflict, "该问题已被他人复核", "the finding was reviewed meanwhile")
		return
	}
	s.cache.clear()
	writeJSON(w, http.StatusOK, map[string]any{"id": f.ID, "status": to})
}

// handleReviewFindings confirms or dismisses every open finding a filter selects (the
// list's filters and text filter, as the query string of the list).
func (s *Server) handleReviewFindings(w http.ResponseWriter, r *http.Request) {
	var in struct {
		reviewRequest
		Filter map[string]string `json:"filter"` // hospital, category, rule, month, severity, q
		Expect int               `json:"expect"` // the count the user saw; refused if the selection changed
	}
	if !s.readReview(w, r, &in) {
		return
	}
	p := userOf(r.Context())
	to, err := audit.ReviewTo(audit.StatusOpen, in.Action, p.Username, in.Why)
	if err != nil {
		reviewError(w, err)
		return
	}
	q := r.URL.Query()
	for k, v := range in.Filter {
		switch k {
		case "hospital", "category", "rule", "month", "severity", "q":
			q.Set(k, v)
		}
	}
	q.Set("status", audit.StatusOpen)
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	g, _, err := s.findingsGrid(r2)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	rows, _ := g.apply(parseGridQuery(r2, g))
	if in.Expect > 0 && in.Expect != len(rows) {
		apiError(w, http.StatusConflict, fmt.Sprintf("筛选结果已变化（现为 %d 条），请刷新后重试", len(rows)),
			fmt.Sprintf("the selection changed (now %d findings); reload and try again", len(rows)))
		return
	}
	ids := make([]int64, 0, len(rows))
	for _, x := range rows {
		ids = append(ids, x["id"].(int64))
	}
	var desc []string
	for _, c := range g.Filters {
		desc = append(desc, c.Key+"="+c.Value)
	}
	if v := q.Get("q"); v != "" {
		desc = append(desc, "q="+v)
	}
	n, err := s.cockpit.ReviewFindings(r.Context(), ids, audit.StatusOpen, to, p.Username, strings.TrimSpace(in.Why), "bulk: "+strings.Join(desc, " "))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.cache.clear()
	writeJSON(w, http.StatusOK, map[string]any{"status": to, "changed": n, "selected": len(ids)})
}

// appealTarget names an appeal's target for people.
func appealTarget(t string) (string, string) {
	parts := strings.Split(t, ":")
	switch {
	case len(parts) == 2 && parts[0] == "finding":
		return "审核问题 #" + parts[1], "finding #" + parts[1]
	case len(parts) == 3 && parts[0] == "adjustment":
		return "评价批次 " + parts[1] + " 联动调整", "linkage adjustment of run " + parts[1]
	}
	return t, t
}

func (s *Server) handleAppeals(w http.ResponseWriter, r *http.Request) {
	rows, err := s.cockpit.Appeals(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	lang := langOf(r)
	want := r.URL.Query().Get("state")
	n := s.names(r.Context())
	now := time.Now()
	counts := map[string]int{}
	g := &grid{Name: "appeals", TitleZh: "申诉", TitleEn: "Appeals",
		Columns: []column{{"id", "编号", "No.", "int", ""}, {"hospital", "医院", "Hospital", "coded", "hospital"}, {"target", "申诉对象", "Target", "label", "target"},
			{"reason", "申诉理由", "Grounds", "text", ""}, {"filed", "提出日期", "Filed", "date", ""}, {"state", "状态", "State", "label", ""},
			{"decide_by", "决定期限", "Decide by", "date", ""}, {"decision", "决定（人、理由）", "Decision (who, why)", "label", ""}}}
	if want != "" {
		l := map[string][2]string{"pending": {"待处理", "pending"}}
		for k, v := range evaluate.AppealStateLabels {
			l[k] = v
		}
		g.Filters = []activeFilter{{"state", want, pick(lang, "状态：", "state: ") + label(l, want, lang)}}
	}
	for _, a := range rows {
		if !visible(r, a.Hospital) {
			continue
		}
		a.State = s.calendar.Expire(evaluate.Appeal{State: a.State, DecideBy: a.DecideBy}, now).State
		counts[a.State]++
		pending := a.State == evaluate.AppealFiled || a.State == evaluate.AppealUnderReview
		if pending {
			counts["pending"]++
		}
		if want != "" && want != a.State && !(want == "pending" && pending) {
			continue
		}
		tz, te := appealTarget(a.Target)
		rw := row{"id": a.ID, "hospital": a.Hospital, "hospital_name": n.hospitals[a.Hospital], "target": a.Target, "target_zh": tz, "target_en": te,
			"reason": a.Reason, "filed": a.Filed.Unix(), "state": a.State, "decide_by": a.DecideBy.Unix(), "pending": pending,
			"decision": a.DecidedBy, "decision_zh": "", "decision_en": ""}
		if a.DecidedBy != "" {
			rw["decision_zh"], rw["decision_en"] = a.DecidedBy+"："+a.DecisionWhy, a.DecidedBy+": "+a.DecisionWhy
		}
		setLabel(rw, "state", evaluate.AppealStateLabels)
		g.Rows = append(g.Rows, rw)
	}
	g.Extra = map[string]any{"counts": counts}
	s.serveGrid(w, r, g)
}

// handleQueues counts the work waiting for the user: open findings and pending appeals
// (bureau), appealable findings and undecided appeals (hospital).
func (s *Server) handleQueues(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	open, err := s.cockpit.FindingCount(r.Context(), sqlite.FindingFilter{Hospital: sc, Status: audit.StatusOpen})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	as, err := s.cockpit.Appeals(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	pending := 0
	for _, a := range as {
		st := s.calendar.Expire(evaluate.Appeal{State: a.State, DecideBy: a.DecideBy}, time.Now()).State
		if visible(r, a.Hospital) && (st == evaluate.AppealFiled || st == evaluate.AppealUnderReview) {
			pending++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"open_findings": open, "pending_appeals": pending})
}
