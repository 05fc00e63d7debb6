package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/indicators"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// Evaluation from the cockpit: indicator definitions, running an evaluation for a period,
// the facts and cases behind a number, the linkage, and the technology comparison. The
// computation is the indicator engine's and package evaluate's, as for `yibao evaluate`.

const maxTrace = 500 // cases returned per drill-down page

func (s *Server) evaluateRoutes(mux *http.ServeMux) {
	for path, h := range map[string]http.HandlerFunc{
		"GET /api/evaluate/indicators": s.handleEvalIndicators,
		"POST /api/evaluate/runs":      s.handleEvalRun,
		"GET /api/evaluate/facts":      s.handleEvalFacts,
		"GET /api/evaluate/linkage":    s.handleEvalLinkage,
		"GET /api/evaluate/technology": s.handleEvalTechnology,
	} {
		mux.HandleFunc(path, s.authed(h))
	}
}

// evalPeriod reads `period`: YYYY, or YYYY-MM:YYYY-MM (inclusive months), at most 24 months.
func evalPeriod(v string) (string, time.Time, time.Time, error) {
	if len(v) == 4 {
		f, err := time.Parse("2006", v)
		if err != nil {
			return "", time.Time{}, time.Time{}, fmt.Errorf("period %q is not YYYY", v)
		}
		return v, f, f.AddDate(1, 0, 0), nil
	}
	a, b, ok := strings.Cut(v, ":")
	if !ok {
		return "", time.Time{}, time.Time{}, fmt.Errorf("period %q is not YYYY or YYYY-MM:YYYY-MM", v)
	}
	f, err1 := time.Parse("2006-01", a)
	t, err2 := time.Parse("2006-01", b)
	if err1 != nil || err2 != nil || t.Before(f) || t.After(f.AddDate(2, -1, 0)) {
		return "", time.Time{}, time.Time{}, fmt.Errorf("period %q is not YYYY-MM:YYYY-MM of at most 24 months", v)
	}
	return v, f, t.AddDate(0, 1, 0), nil
}

// evalLock waits up to 30 s for the running evaluation to finish (false: answer 429).
func (s *Server) evalLock(ctx context.Context) bool {
	deadline := time.Now().Add(30 * time.Second)
	for !s.evalMu.TryLock() {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return true
}

func (s *Server) evalSystem() (*evaluate.System, error) { return evaluate.DefaultSystem() }

func (s *Server) handleEvalIndicators(w http.ResponseWriter, r *http.Request) {
	sys, err := s.evalSystem()
	if err != nil {
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	type row struct {
		evaluate.Indicator
		Definition indicators.Definition `json:"definition"`
		MinCases   int                   `json:"min_cases"`
	}
	rows := []row{}
	for _, ind := range sys.Indicators {
		d, _ := indicators.Lookup(ind.Compute)
		x := row{Indicator: ind, Definition: d, MinCases: d.MinCases}
		if ind.MinCases != nil {
			x.MinCases = *ind.MinCases
		}
		rows = append(rows, x)
	}
	writeJSON(w, http.StatusOK, map[string]any{"system": sys.Version, "policy": sys.Policy, "min_peer_size": sys.MinPeerSize,
		"tolerance": sys.Tolerance, "scoring": sys.Scoring, "linkage": sys.Linkage, "indicators": rows})
}

// handleEvalRun runs and stores an evaluation of a period (bureau users only).
func (s *Server) handleEvalRun(w http.ResponseWriter, r *http.Request) {
	p := userOf(r.Context())
	if !Bureau(p.Role) {
		apiError(w, http.StatusForbidden, "只有医保局用户可以运行评价", "only bureau users run evaluations")
		return
	}
	var in struct {
		Period string `json:"period"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<12)).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "请求格式错误", "malformed request")
		return
	}
	label, from, to, err := evalPeriod(in.Period)
	if err != nil {
		apiError(w, http.StatusBadRequest, "评价期间格式错误："+err.Error(), err.Error())
		return
	}
	if !s.evalLock(r.Context()) {
		apiError(w, http.StatusTooManyRequests, "另一项评价正在计算，请稍后再试", "another evaluation is running")
		return
	}
	defer s.evalMu.Unlock()
	ctx := r.Context()
	sys, err := s.evalSystem()
	if err != nil {
		s.internal(w, r, err)
		return
	}
	settled, err := s.cockpit.FundBudgetByHospital(ctx, label)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	budget := map[string]yibao.Fen{}
	for h, v := range settled {
		budget[h] = yibao.Fen(v)
	}
	// The coefficients before are those the previous year's evaluation set, else 1.
	coef := map[string]float64{}
	if len(label) == 4 {
		y, _ := strconv.Atoi(label)
		if c, _, err := s.cockpit.LatestCoefficients(ctx, strconv.Itoa(y-1)); err == nil {
			coef = c
		}
	}
	q := indicators.Query{Scheme: s.scheme, From: from, To: to, Unit: "hospital", Policy: sys.Policy}
	as, err := evaluate.Assess(ctx, s.cockpit.IndicatorSource(), sys, q, coef, budget, nil)
	if errors.Is(err, indicators.ErrNoStays) {
		apiError(w, http.StatusUnprocessableEntity, "该期间没有出院的住院结算", "no inpatient settlements discharged in the period")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	adjMap := map[string]any{}
	coefAfter := map[string]float64{}
	budgetAfter := map[string]int64{}
	for _, a := range as.Adjustments {
		adjMap[a.Hospital], coefAfter[a.Hospital], budgetAfter[a.Hospital] = a, a.CoefAfter, int64(a.BudgetAfter)
	}
	run, err := s.cockpit.PutEvaluation(ctx, label, sys.Version, as.Results, as.Facts, adjMap, coefAfter, budgetAfter, p.Username)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.cache.clear()
	writeJSON(w, http.StatusCreated, map[string]any{"run": run, "period": label, "system": sys.Version, "results": as.Results,
		"adjustments": as.Adjustments, "risk": as.Risk})
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Printf("api %s: %v", r.URL.Path, err)
	apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
}

// handleEvalFacts shows the facts behind one unit's indicators and, for one indicator,
// the cases: /api/evaluate/facts?period=2025&hospital=H…&indicator=readmission_31&offset=0.
func (s *Server) handleEvalFacts(w http.ResponseWriter, r *http.Request) {
	label, from, to, err := evalPeriod(r.URL.Query().Get("period"))
	if err != nil {
		apiError(w, http.StatusBadRequest, "评价期间格式错误："+err.Error(), err.Error())
		return
	}
	h := r.URL.Query().Get("hospital")
	if h == "" || len(h) > 64 || !visible(r, h) {
		notFound(w)
		return
	}
	ind := r.URL.Query().Get("indicator")
	if _, ok := indicators.Lookup(ind); ind != "" && !ok {
		apiError(w, http.StatusBadRequest, "未知指标", "unknown indicator")
		return
	}
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	if offset < 0 {
		offset = 0
	}
	if !s.evalLock(r.Context()) {
		apiError(w, http.StatusTooManyRequests, "另一项评价正在计算，请稍后再试", "another evaluation is running")
		return
	}
	defer s.evalMu.Unlock()
	sys, err := s.evalSystem()
	if err != nil {
		s.internal(w, r, err)
		return
	}
	q := indicators.Query{Scheme: s.scheme, From: from, To: to, Unit: "hospital", Policy: sys.Policy,
		Trace: &indicators.TraceRequest{Unit: h, Indicator: ind}}
	out, err := indicators.Compute(r.Context(), s.cockpit.IndicatorSource(), q)
	if errors.Is(err, indicators.ErrNoStays) {
		notFound(w)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var facts *indicators.Facts
	for i := range out.Facts {
		if out.Facts[i].Hospital == h {
			facts = &out.Facts[i]
		}
	}
	if facts == nil {
		notFound(w)
		return
	}
	type value struct {
		ID    string   `json:"id"`
		Value *float64 `json:"value"`
		N     int      `json:"n"`
	}
	var values []value
	for _, d := range indicators.Definitions() {
		v, n, ok := d.Value(facts)
		x := value{ID: d.ID, N: n}
		if ok {
			x.Value = &v
		}
		values = append(values, x)
	}
	trace := out.Trace
	if ind == "" {
		trace = nil // the cases are listed one indicator at a time
	}
	total := len(trace)
	trace = trace[min(offset, total):min(offset+maxTrace, total)]
	if trace == nil {
		trace = []indicators.CaseTrace{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"period": label, "hospital": h, "facts": facts, "values": values,
		"indicator": ind, "cases": trace, "total": total, "offset": offset})
}

// handleEvalLinkage returns the newest stored evaluation of a period with its linkage.
func (s *Server) handleEvalLinkage(w http.ResponseWriter, r *http.Request) {
	label, _, _, err := evalPeriod(r.URL.Query().Get("period"))
	if err != nil {
		apiError(w, http.StatusBadRequest, "评价期间格式错误："+err.Error(), err.Error())
		return
	}
	run, results, adj, err := s.cockpit.EvaluationOf(r.Context(), label)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if run == 0 {
		notFound(w)
		return
	}
	var rs []evaluate.Result
	if err := json.Unmarshal(results, &rs); err != nil {
		s.internal(w, r, err)
		return
	}
	kept := []evaluate.Result{}
	for _, x := range rs {
		if visible(r, x.Hospital) {
			kept = append(kept, x)
		}
	}
	adjs := []sqlite.AdjustmentRow{}
	for _, a := range adj {
		if visible(r, a.Hospital) {
			adjs = append(adjs, a)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"run": run, "period": label, "results": kept, "adjustments": adjs})
}

// handleEvalTechnology compares each technology with its alternatives in the same DRGs:
// /api/evaluate/technology?period=2025[&technology=lap_appendectomy].
func (s *Server) handleEvalTechnology(w http.ResponseWriter, r *http.Request) {
	label, from, to, err := evalPeriod(r.URL.Query().Get("period"))
	if err != nil {
		apiError(w, http.StatusBadRequest, "评价期间格式错误："+err.Error(), err.Error())
		return
	}
	tech := r.URL.Query().Get("technology")
	cat, err := evaluate.DefaultTechnologies()
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !s.evalLock(r.Context()) {
		apiError(w, http.StatusTooManyRequests, "另一项评价正在计算，请稍后再试", "another evaluation is running")
		return
	}
	defer s.evalMu.Unlock()
	cases, err := indicators.TechnologyCases(r.Context(), s.cockpit.IndicatorSource(),
		indicators.Query{Scheme: s.scheme, From: from, To: to, Policy: indicators.DefaultPolicy()})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	results := cat.EvaluateTechnologies(cases)
	overlay, skipped := cat.TechnologyOverlay(results)
	kept := []evaluate.TechResult{}
	for _, x := range results {
		if (tech == "" || x.Technology == tech) && (x.Hospital == "" || visible(r, x.Hospital)) {
			kept = append(kept, x)
		}
	}
	if tech != "" && len(kept) == 0 {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"period": label, "catalogue": cat.Version, "rules": cat.Rules, "results": kept,
		"overlay": overlay, "overlay_skipped": skipped})
}
