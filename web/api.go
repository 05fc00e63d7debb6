package web

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// scope is the hospital a request may see: "" for the bureau.
func scope(r *http.Request) string {
	p := userOf(r.Context())
	if Bureau(p.Role) {
		return ""
	}
	return p.Hospital
}

// visible reports whether the user may see a hospital's data; hospital users asking for
// another hospital get 404, as if it did not exist.
func visible(r *http.Request, hospital string) bool {
	s := scope(r)
	return s == "" || s == hospital
}

func (s *Server) serveJSON(w http.ResponseWriter, r *http.Request, key string, compute func() (any, error)) {
	v, err := s.cache.get(key+"|"+scope(r), compute)
	if err != nil {
		s.log.Printf("api %s: %v", r.URL.Path, err)
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func notFound(w http.ResponseWriter) { apiError(w, http.StatusNotFound, "未找到", "not found") }

func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request) {
	s.serveJSON(w, r, "overview", func() (any, error) { return s.overview(r.Context(), scope(r)) })
}

func (s *Server) overview(ctx context.Context, scope string) (any, error) {
	{
		months, err := s.cockpit.Monthly(ctx, scope)
		if err != nil {
			return nil, err
		}
		out := map[string]any{"months": months}
		// Balance ratio: (monthly fund budget − fund spending) / budget; red below 15%.
		var alerts []map[string]any
		if s.monthlyBudget > 0 && scope == "" {
			for _, m := range months {
				ratio := float64(s.monthlyBudget-m.FundFen) / float64(s.monthlyBudget)
				if ratio < 0.15 {
					alerts = append(alerts, map[string]any{"kind": "balance_ratio", "level": "red", "month": m.Month, "value": ratio,
						"zh": "基金结余率 " + strconv.FormatFloat(ratio*100, 'f', 1, 64) + "% 低于 15%"})
				}
			}
		}
		// A DRG's per-case cost up more than 20% against the same month of the year before.
		drgMonths, err := s.cockpit.DRGMonthly(ctx, s.scheme)
		if err != nil {
			return nil, err
		}
		type key struct{ drg, month string }
		per := map[key]float64{}
		for _, d := range drgMonths {
			if d.Cases >= 5 {
				per[key{d.DRG, d.Month}] = float64(d.CostFen) / float64(d.Cases)
			}
		}
		var movers []map[string]any
		for k, v := range per {
			y, _ := strconv.Atoi(k.month[:4])
			prev, ok := per[key{k.drg, strconv.Itoa(y-1) + k.month[4:]}]
			if ok && prev > 0 && v/prev-1 > 0.2 {
				movers = append(movers, map[string]any{"kind": "drg_cost_growth", "level": "yellow", "drg": k.drg, "month": k.month,
					"growth": v/prev - 1, "zh": k.drg + " " + k.month + " 次均费用同比上涨 " + strconv.FormatFloat((v/prev-1)*100, 'f', 1, 64) + "%"})
			}
		}
		sort.Slice(movers, func(i, j int) bool { return movers[i]["growth"].(float64) > movers[j]["growth"].(float64) })
		if len(movers) > 20 {
			movers = movers[:20]
		}
		alerts = append(alerts, movers...)
		out["alerts"] = alerts
		var cases int
		var total, fund int64
		for _, m := range months {
			cases += m.InpatientCases + m.OutpatientVis
			total += m.InpatientFen + m.OutpatientFen
			fund += m.FundFen
		}
		out["totals"] = map[string]any{"settlements": cases, "total_fen": total, "fund_fen": fund}
		// CMI by month from the latest settle run.
		if run, period, _ := s.cockpit.LatestRunAny(ctx); run > 0 {
			cs, err := s.cockpit.RunCases(ctx, run, scope, "", 0)
			if err != nil {
				return nil, err
			}
			sum, n := map[string]int64{}, map[string]int{}
			for _, c := range cs {
				if c.RW > 0 {
					sum[c.Month] += c.RW
					n[c.Month]++
				}
			}
			var cmi []map[string]any
			for m := range n {
				cmi = append(cmi, map[string]any{"month": m, "cmi": float64(sum[m]) / float64(n[m]) / 10000})
			}
			sort.Slice(cmi, func(i, j int) bool { return cmi[i]["month"].(string) < cmi[j]["month"].(string) })
			out["cmi"], out["priced_period"] = cmi, period
		}
		return out, nil
	}
}

func (s *Server) evaluation(ctx context.Context) (int64, string, []evaluate.Result, error) {
	id, period, raw, err := s.cockpit.LatestEvaluation(ctx)
	if err != nil || id == 0 {
		return 0, "", nil, err
	}
	var rs []evaluate.Result
	err = json.Unmarshal(raw, &rs)
	return id, period, rs, err
}

func (s *Server) handleHospitals(w http.ResponseWriter, r *http.Request) {
	s.serveJSON(w, r, "hospitals", func() (any, error) {
		hs, err := s.cockpit.Hospitals(r.Context())
		if err != nil {
			return nil, err
		}
		_, period, results, err := s.evaluation(r.Context())
		if err != nil {
			return nil, err
		}
		byH := map[string]evaluate.Result{}
		for _, x := range results {
			byH[x.Hospital] = x
		}
		var out []map[string]any
		for _, h := range hs {
			if !visible(r, h.Code) {
				continue
			}
			row := map[string]any{"code": h.Code, "name": h.Name, "level": h.Level, "grade_level": h.Grade, "type": h.Type, "region": h.Region, "beds": h.Beds}
			if x, ok := byH[h.Code]; ok {
				lights := map[string]string{}
				for _, iv := range x.Indicators {
					lights[iv.ID] = iv.Light
				}
				row["peer_group"], row["score"], row["grade"], row["rank"], row["closeness"], row["lights"] = x.PeerGroup, x.Score, x.Grade, x.Rank, x.Closeness, lights
			}
			out = append(out, row)
		}
		return map[string]any{"period": period, "hospitals": out}, nil
	})
}

func (s *Server) handleHospital(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !visible(r, code) {
		notFound(w)
		return
	}
	s.serveJSON(w, r, "hospital:"+code, func() (any, error) {
		ctx := r.Context()
		hs, err := s.cockpit.Hospitals(ctx)
		if err != nil {
			return nil, err
		}
		var found map[string]any
		for _, h := range hs {
			if h.Code == code {
				found = map[string]any{"code": h.Code, "name": h.Name, "level": h.Level, "type": h.Type, "region": h.Region, "beds": h.Beds}
			}
		}
		if found == nil {
			return map[string]any{"missing": true}, nil
		}
		months, err := s.cockpit.Monthly(ctx, code)
		if err != nil {
			return nil, err
		}
		found["months"] = months
		if _, period, results, err := s.evaluation(ctx); err == nil {
			for _, x := range results {
				if x.Hospital == code {
					found["evaluation"], found["evaluation_period"] = x, period
				}
			}
		}
		// Indicator trends: the hospital's result in every evaluated period.
		hist, err := s.cockpit.EvaluationHistory(ctx)
		if err != nil {
			return nil, err
		}
		var trend []map[string]any
		for _, h := range hist {
			var rs []evaluate.Result
			if json.Unmarshal(h.Results, &rs) != nil {
				continue
			}
			for _, x := range rs {
				if x.Hospital == code {
					values := map[string]*float64{}
					for _, iv := range x.Indicators {
						values[iv.ID] = iv.Value
					}
					trend = append(trend, map[string]any{"period": h.Period, "score": x.Score, "grade": x.Grade, "rank": x.Rank, "values": values})
				}
			}
		}
		found["trend"] = trend
		if run, _, _ := s.cockpit.LatestRunAny(ctx); run > 0 {
			sets, err := s.cockpit.HospitalSettlementsOf(ctx, run)
			if err != nil {
				return nil, err
			}
			found["settlement"] = sets[code]
			cs, err := s.cockpit.RunCases(ctx, run, code, "", 0)
			if err != nil {
				return nil, err
			}
			mix := map[string]int{}
			for _, c := range cs {
				mix[c.DRG]++
			}
			type kv struct {
				DRG   string `json:"drg"`
				Cases int    `json:"cases"`
			}
			var mx []kv
			for d, n := range mix {
				mx = append(mx, kv{d, n})
			}
			sort.Slice(mx, func(i, j int) bool { return mx[i].Cases > mx[j].Cases })
			if len(mx) > 15 {
				mx = mx[:15]
			}
			found["drg_mix"] = mx
		}
		adj, err := s.cockpit.Adjustments(ctx, code)
		if err != nil {
			return nil, err
		}
		found["coefficients"] = adj
		fs, err := s.cockpit.FindingSummary(ctx, "category", code)
		if err != nil {
			return nil, err
		}
		found["findings"] = fs
		return found, nil
	})
}

func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !visible(r, code) || s.reports == "" || strings.ContainsAny(code, "/\\.") {
		notFound(w)
		return
	}
	b, err := os.ReadFile(filepath.Join(s.reports, code+".html"))
	if err != nil {
		notFound(w)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b)
}

func (s *Server) handleDRGs(w http.ResponseWriter, r *http.Request) {
	s.serveJSON(w, r, "drgs", func() (any, error) { return s.drgs(r.Context(), scope(r)) })
}

func (s *Server) drgs(ctx context.Context, scope string) (any, error) {
	{
		run, period, _ := s.cockpit.LatestRunAny(ctx)
		if run == 0 {
			return map[string]any{"drgs": []any{}}, nil
		}
		cs, err := s.cockpit.RunCases(ctx, run, scope, "", 0)
		if err != nil {
			return nil, err
		}
		type agg struct {
			DRG       string  `json:"drg"`
			Cases     int     `json:"cases"`
			CostFen   int64   `json:"cost_fen"`
			PayFen    int64   `json:"payment_fen"`
			RW        float64 `json:"rw"`
			Outliers  int     `json:"outliers"`
			OutlierPc float64 `json:"outlier_pct"`
			AvgCost   float64 `json:"avg_cost"`
		}
		by := map[string]*agg{}
		for _, c := range cs {
			a := by[c.DRG]
			if a == nil {
				a = &agg{DRG: c.DRG, RW: float64(c.RW) / 10000}
				by[c.DRG] = a
			}
			a.Cases++
			a.CostFen += c.CostFen
			a.PayFen += c.PaymentFen
			if c.Kind == "high" || c.Kind == "low" { // 高倍率 and 低倍率 cases (payment kinds)
				a.Outliers++
			}
		}
		var out []*agg
		for _, a := range by {
			a.OutlierPc = 100 * float64(a.Outliers) / float64(a.Cases)
			a.AvgCost = float64(a.CostFen) / float64(a.Cases) / 100
			out = append(out, a)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Cases > out[j].Cases })
		return map[string]any{"period": period, "drgs": out}, nil
	}
}

// Warm computes the bureau's heavy summaries ahead of the first request (the pipeline has
// just run), so that the first page opens as fast as the next.
func (s *Server) Warm(ctx context.Context) {
	if s.cockpit == nil {
		return
	}
	s.cache.get("overview|", func() (any, error) { return s.overview(ctx, "") })
	s.cache.get("drgs|", func() (any, error) { return s.drgs(ctx, "") })
}

func (s *Server) handleDRGCases(w http.ResponseWriter, r *http.Request) {
	drg := r.PathValue("drg")
	s.serveJSON(w, r, "drg:"+drg, func() (any, error) {
		run, _, _ := s.cockpit.LatestRunAny(r.Context())
		cs, err := s.cockpit.RunCases(r.Context(), run, scope(r), drg, 500)
		if cs == nil {
			cs = []sqlite.CasePaymentView{}
		}
		return map[string]any{"drg": drg, "cases": cs}, err
	})
}

func (s *Server) handleAuditSummary(w http.ResponseWriter, r *http.Request) {
	by := r.URL.Query().Get("by")
	s.serveJSON(w, r, "audit:"+by, func() (any, error) {
		rows, err := s.cockpit.FindingSummary(r.Context(), by, scope(r))
		if rows == nil {
			rows = []sqlite.FindingSummaryRow{}
		}
		return map[string]any{"by": by, "rows": rows}, err
	})
}

func (s *Server) handleFindings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	f := sqlite.FindingFilter{Hospital: q.Get("hospital"), Category: q.Get("category"), RuleID: q.Get("rule"), Month: q.Get("month"), Limit: 500, Offset: offset}
	if sc := scope(r); sc != "" {
		if f.Hospital != "" && f.Hospital != sc {
			notFound(w)
			return
		}
		f.Hospital = sc
	}
	rows, err := s.cockpit.Findings(r.Context(), f)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	total, err := s.cockpit.FindingCount(r.Context(), f)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	if rows == nil {
		rows = []sqlite.FindingView{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"findings": rows, "total": total, "offset": f.Offset, "limit": f.Limit})
}

func (s *Server) handleSettlement(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	h, err := s.cockpit.SettlementHospital(r.Context(), id)
	if err != nil || !visible(r, h) {
		notFound(w)
		return
	}
	st, version, err := s.cockpit.Settlement(r.Context(), id)
	if err != nil {
		notFound(w)
		return
	}
	fs, err := s.cockpit.Findings(r.Context(), sqlite.FindingFilter{SetlID: id})
	if err != nil {
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	g, _ := s.cockpit.GroupingOf(r.Context(), id, s.scheme)
	writeJSON(w, http.StatusOK, map[string]any{"settlement": st, "version": version, "findings": fs, "grouping": g})
}

func (s *Server) handleLinkage(w http.ResponseWriter, r *http.Request) {
	rows, err := s.cockpit.Adjustments(r.Context(), scope(r))
	if err != nil {
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	if rows == nil {
		rows = []sqlite.AdjustmentRow{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"adjustments": rows})
}

func (s *Server) handleAppeals(w http.ResponseWriter, r *http.Request) {
	rows, err := s.cockpit.Appeals(r.Context())
	if err != nil {
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	out := []sqlite.AppealRow{}
	now := time.Now()
	for _, a := range rows {
		if visible(r, a.Hospital) {
			a.State = s.calendar.Expire(evaluate.Appeal{State: a.State, DecideBy: a.DecideBy}, now).State
			out = append(out, a)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"appeals": out})
}

func (s *Server) handleFileAppeal(w http.ResponseWriter, r *http.Request) {
	p := userOf(r.Context())
	if p.Role != RoleHospital {
		apiError(w, http.StatusForbidden, "只有医院用户可以提出申诉", "only hospital users file appeals")
		return
	}
	var in struct{ Target, Reason string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "请求格式错误", "malformed request")
		return
	}
	pub, err := s.cockpit.PublicationTime(r.Context(), in.Target, p.Hospital)
	if err != nil {
		notFound(w)
		return
	}
	a, err := s.calendar.FileAppeal(evaluate.Appeal{Hospital: p.Hospital, Target: in.Target, Reason: in.Reason, Published: pub, Filed: time.Now().UTC()})
	if err == nil {
		err = s.refileAllowed(r.Context(), a)
	}
	if err != nil {
		apiError(w, http.StatusUnprocessableEntity, "申诉未受理："+err.Error(), err.Error())
		return
	}
	id, err := s.cockpit.PutAppeal(r.Context(), sqlite.AppealRow{Hospital: a.Hospital, Target: a.Target, Reason: a.Reason, Published: a.Published,
		Filed: a.Filed, State: a.State, DecideBy: a.DecideBy, FiledBy: p.Username}, p.Username, "appeal.file")
	if err != nil {
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	s.cache.clear()
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "state": a.State, "decide_by": a.DecideBy})
}

func (s *Server) handleDecideAppeal(w http.ResponseWriter, r *http.Request) {
	p := userOf(r.Context())
	if !Bureau(p.Role) {
		notFound(w)
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var in struct {
		Uphold bool
		Why    string
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "请求格式错误", "malformed request")
		return
	}
	row, err := s.cockpit.Appeal(r.Context(), id)
	if err != nil {
		notFound(w)
		return
	}
	d, err := s.calendar.Decide(evaluate.Appeal{ID: row.ID, Target: row.Target, State: row.State, DecideBy: row.DecideBy, Filed: row.Filed}, in.Uphold, p.Username, in.Why, time.Now().UTC())
	if err != nil {
		apiError(w, http.StatusUnprocessableEntity, "无法作出决定："+err.Error(), err.Error())
		return
	}
	row.State, row.DecidedBy, row.DecidedAt, row.DecisionWhy = d.State, d.DecidedBy, d.DecidedAt, d.DecisionWhy
	if _, err := s.cockpit.PutAppeal(r.Context(), row, p.Username, "appeal.decide"); err != nil {
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	s.cache.clear()
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "state": d.State})
}

func (s *Server) handleScenarios(w http.ResponseWriter, r *http.Request) {
	var names []string
	if s.scenarios != "" {
		m, _ := filepath.Glob(filepath.Join(s.scenarios, "scenario-*.json"))
		for _, p := range m {
			names = append(names, strings.TrimSuffix(filepath.Base(p), ".json"))
		}
	}
	if names == nil {
		names = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"scenarios": names})
}

func (s *Server) handleSimulate(w http.ResponseWriter, r *http.Request) {
	if !Bureau(userOf(r.Context()).Role) {
		notFound(w)
		return
	}
	name := r.URL.Query().Get("scenario")
	file, err := yibao.FileName(name, ".json")
	if err == nil {
		_, err = os.Stat(filepath.Join(s.scenarios, file))
	}
	if s.simulate == nil || err != nil { // an unknown scenario is not found, not a server error
		notFound(w)
		return
	}
	s.serveJSON(w, r, "simulate:"+name, func() (any, error) {
		return s.simulate(r.Context(), filepath.Join(s.scenarios, file))
	})
}
