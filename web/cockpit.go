package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/audit"
	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/payment"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// hospitalParam is the hospital a request looks at: a hospital user's own, else the
// bureau's ?hospital= choice ("" for all).
func hospitalParam(r *http.Request) string {
	if sc := scope(r); sc != "" {
		return sc
	}
	return r.URL.Query().Get("hospital")
}

func (s *Server) hospitalFilter(r *http.Request, h string) []activeFilter {
	if h == "" || scope(r) != "" {
		return nil
	}
	n := s.names(r.Context()).hospitals[h]
	return []activeFilter{{Key: "hospital", Value: h, Label: pick(langOf(r), "医院：", "hospital: ") + strings.TrimSpace(h+" "+n)}}
}

// incompleteShare: a month with fewer settlements than this share of the median month is
// marked incomplete (data still arriving or the region's first/last partial month) and
// kept out of alerts and trend lines — local choice.
const incompleteShare = 0.5

func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request) {
	h, year := hospitalParam(r), r.URL.Query().Get("year")
	if _, err := strconv.Atoi(year); year != "" && (len(year) != 4 || err != nil) {
		apiError(w, http.StatusBadRequest, "年份应为四位数字", "year must be YYYY")
		return
	}
	if h != "" && !s.knownHospital(r.Context(), h) {
		notFound(w)
		return
	}
	s.serveJSON(w, r, "overview:"+h+":"+year, func() (any, error) { return s.overview(r.Context(), h, year) })
}

func (s *Server) knownHospital(ctx context.Context, h string) bool {
	_, ok := s.names(ctx).hospitals[h]
	return ok
}

func (s *Server) overview(ctx context.Context, hospital, year string) (any, error) {
	all, err := s.cockpit.Monthly(ctx, hospital)
	if err != nil {
		return nil, err
	}
	years := []string{}
	var counts []int
	for _, m := range all {
		if len(years) == 0 || years[len(years)-1] != m.Month[:4] {
			years = append(years, m.Month[:4])
		}
		counts = append(counts, m.InpatientCases+m.OutpatientVis)
	}
	sort.Ints(counts)
	median := 0
	if len(counts) > 0 {
		median = counts[len(counts)/2]
	}
	type month struct {
		sqlite.MonthRow
		Incomplete bool `json:"incomplete"`
	}
	var months []month
	incomplete := map[string]bool{}
	var cases int
	var total, fund int64
	for _, m := range all {
		if year != "" && m.Month[:4] != year {
			continue
		}
		n := m.InpatientCases + m.OutpatientVis
		inc := float64(n) < incompleteShare*float64(median)
		incomplete[m.Month] = inc
		months = append(months, month{m, inc})
		cases += n
		total += m.InpatientFen + m.OutpatientFen
		fund += m.FundFen
	}
	out := map[string]any{"months": months, "years": years, "year": year, "hospital": hospital}
	if len(months) > 0 {
		out["period"] = map[string]string{"from": months[0].Month, "to": months[len(months)-1].Month}
	}
	var inc []string
	for _, m := range months {
		if m.Incomplete {
			inc = append(inc, m.Month)
		}
	}
	out["incomplete_months"] = inc
	out["totals"] = map[string]any{"settlements": cases, "total_fen": total, "fund_fen": fund}

	// Alerts, grouped by kind; each item says how many cases it rests on and where to look.
	var groups []map[string]any
	if s.monthlyBudget > 0 && hospital == "" {
		var items []map[string]any
		for _, m := range months {
			ratio := float64(s.monthlyBudget-m.FundFen) / float64(s.monthlyBudget)
			if ratio < 0.15 && !m.Incomplete {
				pct := strconv.FormatFloat(ratio*100, 'f', 1, 64)
				items = append(items, map[string]any{"month": m.Month, "value": ratio, "cases": m.InpatientCases + m.OutpatientVis,
					"zh": m.Month + " 基金结余率 " + pct + "%", "en": m.Month + " fund balance ratio " + pct + "%", "link": "audit", "query": "month=" + m.Month})
			}
		}
		if len(items) > 0 {
			groups = append(groups, map[string]any{"kind": "balance_ratio", "level": "red", "zh": "基金结余率低于 15%", "en": "Fund balance ratio below 15%",
				"count": len(items), "items": items})
		}
	}
	// A DRG's per-case cost up more than 20% against the same month of the year before
	// (both months complete, at least 5 cases in each).
	drgMonths, err := s.cockpit.DRGMonthlyOf(ctx, s.scheme, hospital) // a hospital sees its own DRGs only
	if err != nil {
		return nil, err
	}
	type key struct{ drg, month string }
	type cell struct {
		per   float64
		cases int
	}
	per := map[key]cell{}
	for _, d := range drgMonths {
		if d.Cases >= 5 {
			per[key{d.DRG, d.Month}] = cell{float64(d.CostFen) / float64(d.Cases), d.Cases}
		}
	}
	names := s.names(ctx)
	var movers []map[string]any
	for k, v := range per {
		if year != "" && k.month[:4] != year || incomplete[k.month] {
			continue
		}
		if _, shown := incomplete[k.month]; !shown {
			continue
		}
		y, _ := strconv.Atoi(k.month[:4])
		prevMonth := strconv.Itoa(y-1) + k.month[4:]
		prev, ok := per[key{k.drg, prevMonth}]
		if ok && prev.per > 0 && v.per/prev.per-1 > 0.2 {
			g := v.per/prev.per - 1
			pct := strconv.FormatFloat(g*100, 'f', 1, 64)
			movers = append(movers, map[string]any{"drg": k.drg, "drg_name": names.drgs[k.drg], "month": k.month, "growth": g, "cases": v.cases,
				"prev_cases": prev.cases, "per_case_fen": int64(v.per), "prev_per_case_fen": int64(prev.per),
				"zh":   fmt.Sprintf("%s %s：%s 次均费用同比上涨 %s%%（%d 例，上年同月 %d 例）", k.drg, names.drgs[k.drg], k.month, pct, v.cases, prev.cases),
				"en":   fmt.Sprintf("%s %s: cost per case up %s%% on the year (%d cases; %d a year before)", k.drg, k.month, pct, v.cases, prev.cases),
				"link": "drg", "arg": k.drg})
		}
	}
	sort.Slice(movers, func(i, j int) bool { return movers[i]["growth"].(float64) > movers[j]["growth"].(float64) })
	if len(movers) > 0 {
		byDRG := map[string]int{}
		for _, m := range movers {
			byDRG[m["drg"].(string)]++
		}
		groups = append(groups, map[string]any{"kind": "drg_cost_growth", "level": "yellow", "zh": "DRG 次均费用同比上涨超过 20%",
			"en": "DRGs whose cost per case rose more than 20% on the year", "count": len(movers), "drgs": len(byDRG), "items": movers})
	}
	if groups == nil {
		groups = []map[string]any{}
	}
	out["alerts"] = groups
	// CMI by month from the latest settle run.
	if run, period, _ := s.cockpit.LatestRunAny(ctx); run > 0 {
		cs, err := s.cockpit.RunCases(ctx, run, hospital, "", 0)
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
		cmi := []map[string]any{}
		for m := range n {
			cmi = append(cmi, map[string]any{"month": m, "cmi": float64(sum[m]) / float64(n[m]) / 10000, "cases": n[m]})
		}
		sort.Slice(cmi, func(i, j int) bool { return cmi[i]["month"].(string) < cmi[j]["month"].(string) })
		out["cmi"], out["priced_period"] = cmi, period
	}
	return out, nil
}

// evaluation returns the latest evaluation run, or the latest run of a period.
func (s *Server) evaluation(ctx context.Context, period string) (string, []evaluate.Result, error) {
	if period == "" {
		_, p, raw, err := s.cockpit.LatestEvaluation(ctx)
		if err != nil || raw == nil {
			return "", nil, err
		}
		var rs []evaluate.Result
		return p, rs, json.Unmarshal(raw, &rs)
	}
	hist, err := s.cockpit.EvaluationHistory(ctx)
	if err != nil {
		return "", nil, err
	}
	for _, h := range hist {
		if h.Period == period {
			var rs []evaluate.Result
			return period, rs, json.Unmarshal(h.Results, &rs)
		}
	}
	return period, nil, nil
}

func (s *Server) evaluatedPeriods(ctx context.Context) []string {
	out := []string{}
	if hist, err := s.cockpit.EvaluationHistory(ctx); err == nil {
		for _, h := range hist {
			out = append(out, h.Period)
		}
	}
	return out
}

// lightsText names the non-green indicators of a result, worst first.
func (s *Server) lightsText(x evaluate.Result) (zh, en string, list []map[string]string) {
	ind := s.indicatorLabels()
	var zs, es []string
	for _, light := range []string{"red", "yellow"} {
		for _, iv := range x.Indicators {
			if iv.Light == light {
				l := ind[iv.ID]
				if l[0] == "" {
					l = [2]string{iv.ID, iv.ID}
				}
				ll := evaluate.LightLabels[light]
				zs, es = append(zs, l[0]+" "+ll[0]), append(es, l[1]+" "+ll[1])
				list = append(list, map[string]string{"id": iv.ID, "light": light, "zh": l[0], "en": l[1]})
			}
		}
	}
	return strings.Join(zs, "；"), strings.Join(es, "; "), list
}

func (s *Server) handleHospitals(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	hs, err := s.cockpit.Hospitals(ctx)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	period, results, err := s.evaluation(ctx, q.Get("period"))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	byH := map[string]evaluate.Result{}
	peers := map[string]bool{}
	for _, x := range results {
		byH[x.Hospital] = x
		peers[x.PeerGroup] = true
	}
	lang := langOf(r)
	g := &grid{Name: "hospitals", TitleZh: "医院绩效评价", TitleEn: "Hospital evaluation", Period: period,
		Columns: []column{{"code", "编码", "Code", "text", "hospital"}, {"name", "名称", "Name", "text", "hospital"}, {"level", "级别", "Level", "label", ""},
			{"peer_group", "同组", "Peer group", "label", ""}, {"rank", "组内排名", "Rank", "int", ""}, {"score", "得分", "Score", "num2", ""},
			{"grade", "等级", "Grade", "label", ""}, {"lights", "信号灯（非绿）", "Lights (not green)", "lights", ""}}}
	pg := q.Get("peer_group")
	if pg != "" {
		l := peerLabels(pg)
		g.Filters = append(g.Filters, activeFilter{"peer_group", pg, pick(lang, "同组：", "peer group: ") + pick(lang, l[0], l[1])})
	}
	for _, h := range hs {
		if !visible(r, h.Code) {
			continue
		}
		x, ok := byH[h.Code]
		if pg != "" && x.PeerGroup != pg {
			continue
		}
		rw := row{"code": h.Code, "name": h.Name, "level": strconv.Itoa(h.Level), "beds": h.Beds, "type": h.Type}
		lv := yibao.LevelLabels[h.Level]
		rw["level_zh"], rw["level_en"] = levelZh(h.Level, h.Grade), lv[1]
		if ok {
			pl := mergedPeerLabels(x)
			gl := evaluate.GradeLabels[x.Grade]
			zh, en, list := s.lightsText(x)
			rw["peer_note"] = x.PeerNote
			rw["peer_group"], rw["peer_group_zh"], rw["peer_group_en"] = x.PeerGroup, pl[0], pl[1]
			rw["score"], rw["rank"], rw["peer_size"], rw["closeness"] = x.Score, x.Rank, x.PeerSize, x.Closeness
			rw["grade"], rw["grade_zh"], rw["grade_en"] = x.Grade, gl[0], gl[1]
			rw["lights"], rw["lights_zh"], rw["lights_en"] = list, zh, en
		}
		g.Rows = append(g.Rows, rw)
	}
	// Default order: by peer group, then rank.
	sort.SliceStable(g.Rows, func(i, j int) bool {
		a, b := fmt.Sprint(g.Rows[i]["peer_group"]), fmt.Sprint(g.Rows[j]["peer_group"])
		if a != b {
			return a < b
		}
		x, _ := num(g.Rows[i]["rank"])
		y, _ := num(g.Rows[j]["rank"])
		return x < y
	})
	var pgs []map[string]string
	for p := range peers {
		l := peerLabels(p)
		pgs = append(pgs, map[string]string{"id": p, "zh": l[0], "en": l[1]})
	}
	sort.Slice(pgs, func(i, j int) bool { return pgs[i]["id"] < pgs[j]["id"] })
	g.Extra = map[string]any{"periods": s.evaluatedPeriods(ctx), "peer_groups": pgs}
	s.serveGrid(w, r, g)
}

// static renders a small table with the grid's cells, for tables shown whole.
func static(cols []column, rows []row, lang string) map[string]any {
	out := make([]row, 0, len(rows))
	for _, r := range rows {
		c := make([]string, len(cols))
		for i, col := range cols {
			c[i] = cellText(col, r, lang)
		}
		x := row{"cells": c}
		for k, v := range r {
			x[k] = v
		}
		out = append(out, x)
	}
	return map[string]any{"columns": cols, "rows": out}
}

func (s *Server) handleHospital(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !visible(r, code) || !s.knownHospital(r.Context(), code) {
		notFound(w)
		return
	}
	lang := langOf(r)
	s.serveJSON(w, r, "hospital:"+code+":"+lang, func() (any, error) {
		ctx := r.Context()
		hs, err := s.cockpit.Hospitals(ctx)
		if err != nil {
			return nil, err
		}
		var found map[string]any
		for _, h := range hs {
			if h.Code == code {
				lv := yibao.LevelLabels[h.Level]
				ty := yibao.HospitalTypeLabels[h.Type]
				found = map[string]any{"code": h.Code, "name": h.Name, "level": h.Level, "type": h.Type, "region": h.Region, "beds": h.Beds,
					"level_zh": levelZh(h.Level, h.Grade), "level_en": lv[1], "type_zh": ty[0], "type_en": ty[1]}
			}
		}
		months, err := s.cockpit.Monthly(ctx, code)
		if err != nil {
			return nil, err
		}
		found["months"] = months
		ind := s.indicatorLabels()
		if period, results, err := s.evaluation(ctx, ""); err == nil {
			for _, x := range results {
				if x.Hospital != code {
					continue
				}
				pl, gl := mergedPeerLabels(x), evaluate.GradeLabels[x.Grade]
				found["evaluation"], found["evaluation_period"] = x, period
				found["peer_group_zh"], found["peer_group_en"], found["grade_zh"], found["grade_en"] = pl[0], pl[1], gl[0], gl[1]
				found["peer_note"] = x.PeerNote // how a too-small group was merged (Chinese)
				var rows []row
				for _, iv := range x.Indicators {
					rw := row{"id": iv.ID, "value": iv.Value, "peer_median": iv.PeerMedian, "score": iv.Score, "weight": iv.Weight, "light": iv.Light}
					setLabel(rw, "id", ind)
					setLabel(rw, "light", evaluate.LightLabels)
					rows = append(rows, rw)
				}
				found["indicators"] = static([]column{{"id", "指标", "Indicator", "label", ""}, {"value", "本院", "This hospital", "num2", ""},
					{"peer_median", "同组中位数", "Peer median", "num2", ""}, {"score", "得分", "Score", "num2", ""}, {"weight", "权重", "Weight", "num4", ""},
					{"light", "信号灯", "Light", "light", ""}}, rows, lang)
			}
		}
		// Indicator trends: the hospital's result in every evaluated period.
		hist, err := s.cockpit.EvaluationHistory(ctx)
		if err != nil {
			return nil, err
		}
		trend := []map[string]any{}
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
		found["indicator_names"] = ind
		names := s.names(ctx)
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
				Name  string `json:"drg_name"`
				Cases int    `json:"cases"`
			}
			var mx []kv
			for d, n := range mix {
				mx = append(mx, kv{d, names.drgs[d], n})
			}
			sort.Slice(mx, func(i, j int) bool {
				return mx[i].Cases > mx[j].Cases || mx[i].Cases == mx[j].Cases && mx[i].DRG < mx[j].DRG
			})
			if len(mx) > 15 {
				mx = mx[:15]
			}
			found["drg_mix"] = mx
		}
		adj, err := s.cockpit.Adjustments(ctx, code)
		if err != nil {
			return nil, err
		}
		var arows []row
		for _, a := range adj {
			arows = append(arows, row{"run": a.Run, "period": a.Period, "coef_after": a.CoefAfter, "budget_after_fen": a.BudgetFen, "overridden": a.Overridden})
		}
		found["coefficients"] = static([]column{{"run", "评价批次", "Run", "int", ""}, {"period", "周期", "Period", "text", ""}, {"coef_after", "系数", "Coefficient", "num4", ""},
			{"budget_after_fen", "预算（元）", "Budget (yuan)", "money", ""}, {"overridden", "申诉改判", "Reversed by appeal", "text", ""}}, arows, lang)
		fs, err := s.cockpit.FindingSummary(ctx, "category", code)
		if err != nil {
			return nil, err
		}
		var frows []row
		for _, f := range fs {
			rw := row{"key": f.Key, "count": f.Count, "amount_fen": f.AmountFen, "hospital": code}
			setLabel(rw, "key", audit.CategoryNames)
			frows = append(frows, rw)
		}
		found["findings"] = static([]column{{"key", "类别", "Category", "label", "audit-category"}, {"count", "问题数", "Findings", "int", ""},
			{"amount_fen", "金额（元）", "Amount (yuan)", "money", ""}}, frows, lang)
		return found, nil
	})
}

func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	file, err := yibao.FileName(code, ".html") // the name the report writer used
	if !visible(r, code) || s.reports == "" || err != nil {
		notFound(w)
		return
	}
	b, err := os.ReadFile(filepath.Join(s.reports, file))
	if err != nil {
		notFound(w)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The printable report is a static document with its own <style>: no script at all.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	w.Write(b)
}

// drgAgg is one DRG's volume and cost in the latest settle run.
type drgAgg struct {
	DRG       string
	Cases     int
	CostFen   int64
	PayFen    int64
	RW        float64
	Outliers  int
	OutlierPc float64
}

func (s *Server) drgs(ctx context.Context, scope string) (any, error) {
	run, period, _ := s.cockpit.LatestRunAny(ctx)
	if run == 0 {
		return struct {
			period string
			rows   []*drgAgg
		}{}, nil
	}
	cs, err := s.cockpit.RunCases(ctx, run, scope, "", 0)
	if err != nil {
		return nil, err
	}
	by := map[string]*drgAgg{}
	for _, c := range cs {
		a := by[c.DRG]
		if a == nil {
			a = &drgAgg{DRG: c.DRG, RW: float64(c.RW) / 10000}
			by[c.DRG] = a
		}
		a.Cases++
		a.CostFen += c.CostFen
		a.PayFen += c.PaymentFen
		if c.Kind == payment.KindHigh || c.Kind == payment.KindLow {
			a.Outliers++
		}
	}
	var out []*drgAgg
	for _, a := range by {
		a.OutlierPc = 100 * float64(a.Outliers) / float64(a.Cases)
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Cases > out[j].Cases || out[i].Cases == out[j].Cases && out[i].DRG < out[j].DRG
	})
	return struct {
		period string
		rows   []*drgAgg
	}{period, out}, nil
}

func (s *Server) handleDRGs(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	h := hospitalParam(r)
	if h != "" && !s.knownHospital(ctx, h) {
		notFound(w)
		return
	}
	g := &grid{Filters: s.hospitalFilter(r, h)}
	if r.URL.Query().Get("scheme") == "dip" {
		cat, rows, err := s.cockpit.DIPGroups(ctx, h)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if cat == "" {
			s.dipSettlementGrid(w, r, g, h)
			return
		}
		g.Name, g.TitleZh, g.TitleEn, g.Period = "dip-groups", "DIP 病种", "DIP groups", cat
		g.Columns = []column{{"dip_group", "DIP 病种", "DIP group", "text", ""}, {"cases", "病例数", "Cases", "int", ""},
			{"avg_cost_fen", "次均费用（元）", "Mean cost (yuan)", "money", ""}, {"cost_fen", "费用合计（元）", "Total cost (yuan)", "money", ""},
			{"score", "病种分值", "Score", "num2", ""}}
		sort.Slice(rows, func(i, j int) bool {
			return rows[i].Cases > rows[j].Cases || rows[i].Cases == rows[j].Cases && rows[i].Group < rows[j].Group
		})
		for _, x := range rows {
			g.Rows = append(g.Rows, row{"dip_group": x.Group, "cases": x.Cases, "cost_fen": x.CostFen, "avg_cost_fen": x.CostFen / int64(max(1, x.Cases)), "score": x.Score})
		}
		g.Extra = map[string]any{"scheme": "dip", "catalogue": cat, "schemes": []string{"drg", "dip"}}
		s.serveGrid(w, r, g)
		return
	}
	v, err := s.cache.get("drgs|"+h, func() (any, error) { return s.drgs(ctx, h) })
	if err != nil {
		s.internal(w, r, err)
		return
	}
	d := v.(struct {
		period string
		rows   []*drgAgg
	})
	names := s.names(ctx)
	g.Name, g.TitleZh, g.TitleEn, g.Period = "drgs", "DRG 病组", "DRG groups", d.period
	g.Columns = []column{{"drg", "DRG", "DRG", "coded", "drg"}, {"cases", "病例数", "Cases", "int", ""}, {"avg_cost_fen", "次均费用（元）", "Mean cost (yuan)", "money", ""},
		{"cost_fen", "费用合计（元）", "Total cost (yuan)", "money", ""}, {"payment_fen", "DRG 支付（元）", "DRG payment (yuan)", "money", ""},
		{"rw", "权重 RW", "RW", "num4", ""}, {"outlier_pct", "高低倍率占比 %", "Outliers %", "num1", ""}}
	for _, a := range d.rows {
		g.Rows = append(g.Rows, row{"drg": a.DRG, "drg_name": names.drgs[a.DRG], "cases": a.Cases, "cost_fen": a.CostFen, "payment_fen": a.PayFen,
			"avg_cost_fen": a.CostFen / int64(max(1, a.Cases)), "rw": a.RW, "outlier_pct": a.OutlierPc})
	}
	schemes := []string{"drg"}
	if cat, _, err := s.cockpit.DIPGroups(ctx, "\x00"); err == nil && cat != "" {
		schemes = append(schemes, "dip") // DIP assignments are stored: offer them
	} else if _, err := s.cockpit.LatestDIPRun(ctx, ""); err == nil {
		schemes = append(schemes, "dip") // a DIP settlement is stored
	}
	g.Extra = map[string]any{"scheme": "drg", "schemes": schemes}
	s.serveGrid(w, r, g)
}

// Warm computes the bureau's heavy summaries ahead of the first request (the pipeline has
// just run), so that the first page opens as fast as the next.
func (s *Server) Warm(ctx context.Context) {
	if s.cockpit == nil {
		return
	}
	s.names(ctx)
	s.cache.get("overview::|", func() (any, error) { return s.overview(ctx, "", "") })
	s.cache.get("drgs|", func() (any, error) { return s.drgs(ctx, "") })
}

func (s *Server) handleDRGCases(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	drg := r.PathValue("drg")
	h := hospitalParam(r)
	names := s.names(ctx)
	if _, ok := names.drgs[drg]; !ok || h != "" && !s.knownHospital(ctx, h) {
		notFound(w)
		return
	}
	run, period, _ := s.cockpit.LatestRunAny(ctx)
	cs, err := s.cockpit.RunCases(ctx, run, h, drg, 0)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	g := &grid{Name: "drg-" + drg, TitleZh: "DRG 病例：" + drg + " " + names.drgs[drg], TitleEn: "DRG cases: " + drg, Period: period, Filters: s.hospitalFilter(r, h),
		Columns: []column{{"setl_id", "结算编号", "Settlement", "text", "settlement"}, {"hospital", "医院", "Hospital", "coded", "hospital"},
			{"month", "出院月份", "Month", "text", ""}, {"kind", "支付类型", "Payment kind", "label", ""}, {"rw", "权重 RW", "RW", "num4", ""},
			{"cost_fen", "费用（元）", "Cost (yuan)", "money", ""}, {"payment_fen", "支付（元）", "Payment (yuan)", "money", ""}}}
	for _, c := range cs {
		rw := row{"setl_id": c.SetlID, "hospital": c.Hospital, "hospital_name": names.hospitals[c.Hospital], "month": c.Month, "kind": c.Kind,
			"rw": float64(c.RW) / 10000, "cost_fen": c.CostFen, "payment_fen": c.PaymentFen}
		setLabel(rw, "kind", payment.KindLabels)
		g.Rows = append(g.Rows, rw)
	}
	g.Extra = map[string]any{"drg": drg, "drg_name": names.drgs[drg]}
	s.serveGrid(w, r, g)
}

func (s *Server) handleAuditSummary(w http.ResponseWriter, r *http.Request) {
	by := r.URL.Query().Get("by")
	switch by {
	case "category", "rule", "hospital", "month":
	default:
		by = "category" // cache keys stay bounded
	}
	h := hospitalParam(r)
	if h != "" && !s.knownHospital(r.Context(), h) {
		notFound(w)
		return
	}
	s.serveJSON(w, r, "audit:"+by+":"+h, func() (any, error) {
		rows, err := s.cockpit.FindingSummary(r.Context(), by, h)
		out := []map[string]any{}
		for _, x := range rows {
			m := map[string]any{"key": x.Key, "count": x.Count, "amount_fen": x.AmountFen, "zh": x.Key, "en": x.Key}
			if by == "category" {
				if l, ok := audit.CategoryNames[x.Key]; ok {
					m["zh"], m["en"] = l[0], l[1]
				}
			}
			out = append(out, m)
		}
		return map[string]any{"by": by, "rows": out}, err
	})
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
		s.internal(w, r, err)
		return
	}
	var frows []row
	for _, f := range fs {
		frows = append(frows, s.findingRow(f, nil, s.names(r.Context())))
	}
	lang := langOf(r)
	g, _ := s.cockpit.GroupingOf(r.Context(), id, s.scheme)
	writeJSON(w, http.StatusOK, map[string]any{"settlement": st, "version": version, "grouping": g, "hospital_name": s.names(r.Context()).hospitals[h],
		"findings": static([]column{{"id", "问题编号", "Finding", "int", ""}, {"feedetl_sn", "明细序号", "Line", "text", ""}, {"category", "类别", "Category", "label", ""},
			{"rule_id", "规则", "Rule", "label", ""}, {"severity", "严重程度", "Severity", "label", ""}, {"amount_fen", "金额（元）", "Amount (yuan)", "money", ""},
			{"evidence", "依据", "Evidence", "label", ""}, {"status", "状态", "Status", "label", ""}}, frows, lang)})
}

func (s *Server) handleLinkage(w http.ResponseWriter, r *http.Request) {
	rows, err := s.cockpit.Adjustments(r.Context(), scope(r))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	names := s.names(r.Context())
	g := &grid{Name: "linkage", TitleZh: "绩效联动调整", TitleEn: "Linkage adjustments",
		Columns: []column{{"run", "评价批次", "Run", "int", ""}, {"period", "周期", "Period", "text", ""}, {"hospital", "医院", "Hospital", "coded", "hospital"},
			{"coef_after", "系数", "Coefficient", "num4", ""}, {"budget_after_fen", "预算（元）", "Budget (yuan)", "money", ""}, {"overridden", "申诉改判", "Reversed by appeal", "text", ""}}}
	for _, a := range rows {
		g.Rows = append(g.Rows, row{"run": a.Run, "period": a.Period, "hospital": a.Hospital, "hospital_name": names.hospitals[a.Hospital],
			"coef_after": a.CoefAfter, "budget_after_fen": a.BudgetFen, "overridden": a.Overridden})
	}
	s.serveGrid(w, r, g)
}

// levelZh names a hospital's level and grade (三级甲等; 一级 without a grade).
func levelZh(level int, grade string) string {
	l := yibao.LevelLabels[level][0]
	if l == "" {
		return "未定级"
	}
	if grade != "" {
		return l + grade + "等"
	}
	return l
}

// dipSettlementGrid shows the latest DIP settlement by hospital (yibao dip settle) when no
// per-case DIP assignments are stored.
func (s *Server) dipSettlementGrid(w http.ResponseWriter, r *http.Request, g *grid, h string) {
	run, err := s.cockpit.LatestDIPRun(r.Context(), "")
	if errors.Is(err, sqlite.ErrNoDIPRun) {
		g.Rows = nil
	} else if err != nil {
		s.internal(w, r, err)
		return
	}
	names := s.names(r.Context())
	g.Name, g.TitleZh, g.TitleEn, g.Period = "dip-settlement", "DIP 结算（按医院）", "DIP settlement by hospital", run.Period
	g.Columns = []column{{"hospital", "医院", "Hospital", "coded", "hospital"}, {"cases", "病例数", "Cases", "int", ""}, {"points", "总分值", "Points", "text", ""},
		{"amount_fen", "DIP 支付（元）", "DIP amount (yuan)", "money", ""}, {"deduction_fen", "扣减（元）", "Deductions (yuan)", "money", ""},
		{"fund_paid_fen", "基金支付（元）", "Fund pays (yuan)", "money", ""}, {"clearing_due_fen", "清算应付（元）", "Due at clearing (yuan)", "money", ""}}
	for _, x := range run.Hospitals {
		if h != "" && x.Hospital != h {
			continue
		}
		g.Rows = append(g.Rows, row{"hospital": x.Hospital, "hospital_name": names.hospitals[x.Hospital], "cases": x.Cases, "points": x.Points,
			"amount_fen": x.Amount, "deduction_fen": x.Deduction, "fund_paid_fen": x.FundPaid, "clearing_due_fen": x.Due})
	}
	g.Extra = map[string]any{"scheme": "dip", "catalogue": run.Catalogue, "point_value": run.PointValue, "schemes": []string{"drg", "dip"}}
	s.serveGrid(w, r, g)
}

// mergedPeerLabels names a result's peer group, saying so when the evaluation merged
// too-small groups into it (its id then names only one of the groups it holds).
func mergedPeerLabels(x evaluate.Result) [2]string {
	l := peerLabels(x.PeerGroup)
	if x.PeerNote != "" && !strings.Contains(l[0], "合并") {
		l[0] += "（含并入的组）"
		l[1] += " (with merged groups)"
	}
	return l
}
