package monitor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/yibao-dev/yibao/forecast"
)

// Rule is an alert rule as data (预警规则).
type Rule struct {
	ID     string `json:"id"`
	NameZh string `json:"name_zh"`
	// Metric is what is measured: months_of_reserve, spending_vs_income, drg_cost_yoy,
	// hospital_spend_forecast or audit_findings_surge.
	Metric string `json:"metric"`
	// Scope is what the alert is about: fund, drg, hospital.
	Scope string `json:"scope"`
	// Op and Threshold are the condition: lt, le, gt, ge against Threshold.
	Op        string  `json:"op"`
	Threshold float64 `json:"threshold"`
	// Window is the comparison window in months (e.g. 12 for year on year).
	Window int `json:"window"`
	// MinVolume is the least evidence for the rule to speak: cases in each window for a
	// DRG, months of history for a hospital forecast, findings for a surge.
	MinVolume int `json:"min_volume"`
	// Alpha is the significance level where the rule tests (0: no test).
	Alpha    float64 `json:"alpha"`
	Severity string  `json:"severity"` // red, yellow, info
	Enabled  bool    `json:"enabled"`
	Source   string  `json:"source"`
}

// DefaultRules are the seeds' defaults (docs/monitoring.md gives each rule's source).
func DefaultRules() []Rule {
	return []Rule{
		{ID: "reserve-red", NameZh: "累计结存可支付月数低于 3 个月", Metric: "months_of_reserve", Scope: "fund", Op: "lt", Threshold: 3, Severity: "red", Enabled: true, Source: "issue 18 seeds; 人社部发〔2009〕67号 (6–9 months target)"},
		{ID: "reserve-yellow", NameZh: "累计结存可支付月数低于 6 个月", Metric: "months_of_reserve", Scope: "fund", Op: "lt", Threshold: 6, Severity: "yellow", Enabled: true, Source: "issue 18 seeds; 人社部发〔2009〕67号"},
		{ID: "reserve-excess", NameZh: "累计结存可支付月数超过 15 个月（结余过多）", Metric: "months_of_reserve", Scope: "fund", Op: "gt", Threshold: 15, Severity: "info", Enabled: true, Source: "issue 18 seeds; 人社部发〔2009〕67号"},
		{ID: "spending-outpaces-income", NameZh: "基金支出增速高于收入增速", Metric: "spending_vs_income", Scope: "fund", Op: "gt", Threshold: 0, Window: 12, Severity: "yellow", Enabled: true, Source: "seeds' indicator: spending grows no faster than income"},
		{ID: "drg-cost-yoy", NameZh: "DRG 次均费用同比上涨超过 20%", Metric: "drg_cost_yoy", Scope: "drg", Op: "gt", Threshold: 0.20, Window: 12, MinVolume: 30, Alpha: 0.05, Severity: "yellow", Enabled: true, Source: "issue 18 seeds (20%); minimum 30 cases and Welch test at 5%: local choice"},
		{ID: "hospital-above-forecast", NameZh: "医院基金支出高于预测 95% 区间上限", Metric: "hospital_spend_forecast", Scope: "hospital", Op: "gt", Threshold: 0, MinVolume: 24, Severity: "yellow", Enabled: true, Source: "issue 18 seeds; 24 months of history: local choice"},
		{ID: "audit-surge", NameZh: "审核问题数激增", Metric: "audit_findings_surge", Scope: "hospital", Op: "ge", Threshold: 2, Window: 6, MinVolume: 10, Alpha: 0.01, Severity: "yellow", Enabled: true, Source: "issue 18 seeds; ratio 2, 6-month baseline, 10 findings, Poisson test at 1%: local choice"},
	}
}

// Validate checks a rule before it is used.
func (r Rule) Validate() error {
	switch r.Metric {
	case "months_of_reserve", "spending_vs_income", "drg_cost_yoy", "hospital_spend_forecast", "audit_findings_surge":
	default:
		return fmt.Errorf("rule %s: unknown metric %q", r.ID, r.Metric)
	}
	switch r.Op {
	case "lt", "le", "gt", "ge":
	default:
		return fmt.Errorf("rule %s: op %q is not lt, le, gt or ge", r.ID, r.Op)
	}
	switch r.Severity {
	case "red", "yellow", "info":
	default:
		return fmt.Errorf("rule %s: severity %q is not red, yellow or info", r.ID, r.Severity)
	}
	if r.ID == "" || len(r.ID) > 64 {
		return errors.New("rule id must be 1–64 characters")
	}
	if r.Window < 0 || r.MinVolume < 0 || r.Alpha < 0 || r.Alpha >= 1 || math.IsNaN(r.Threshold) {
		return fmt.Errorf("rule %s: window, min_volume and alpha must be non-negative (alpha < 1)", r.ID)
	}
	return nil
}

func (r Rule) holds(v float64) bool {
	switch r.Op {
	case "lt":
		return v < r.Threshold
	case "le":
		return v <= r.Threshold
	case "gt":
		return v > r.Threshold
	case "ge":
		return v >= r.Threshold
	}
	return false
}

// Alert is one firing of a rule for one subject and period. Key deduplicates: the same rule
// firing again for the same subject and period updates the alert rather than adding one.
type Alert struct {
	Key       string  `json:"key"`
	Rule      string  `json:"rule"`
	Severity  string  `json:"severity"`
	Scope     string  `json:"scope"`
	Subject   string  `json:"subject"`  // insurance type, DRG or hospital code
	Hospital  string  `json:"hospital"` // whose inbox it also belongs to ("" = bureau only)
	Period    string  `json:"period"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	MessageZh string  `json:"message_zh"`
	MessageEn string  `json:"message_en"`

	State      string    `json:"state"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	History    []Event   `json:"history,omitempty"`
}

// Event is a state change: who did it, when, with what note.
type Event struct {
	State string    `json:"state"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
	Note  string    `json:"note"`
}

// Alert states.
const (
	StateNew          = "new"
	StateAcknowledged = "acknowledged"
	StateResolved     = "resolved"
)

// ErrTransition is returned for a state change the life cycle does not allow.
var ErrTransition = errors.New("state change not allowed")

// Transition moves an alert along new → acknowledged → resolved (new → resolved too). A
// resolved alert stays resolved; its rule firing again in a later period makes a new alert.
func Transition(a *Alert, to, by, note string, at time.Time) error {
	if by == "" {
		return errors.New("who changes the state must be named")
	}
	if len(note) > 2000 {
		return errors.New("note longer than 2000 characters")
	}
	ok := (a.State == StateNew && (to == StateAcknowledged || to == StateResolved)) ||
		(a.State == StateAcknowledged && to == StateResolved)
	if !ok {
		return fmt.Errorf("%w: %s → %s", ErrTransition, a.State, to)
	}
	a.State = to
	a.History = append(a.History, Event{State: to, By: by, At: at, Note: note})
	return nil
}

// Inputs are the values rules look at; any may be empty.
type Inputs struct {
	Books []BookMonth
	// DRGCases are individual case costs (fen) by DRG with their discharge month.
	DRGCases map[string][]CaseCost
	// HospitalSpend is each hospital's monthly pooled-fund spending (fen), oldest first.
	HospitalSpend map[string]forecast.Series
	// Findings is each hospital's audit findings count by month.
	Findings map[string]map[string]int
	// AsOf is the last complete month evaluated ("" = the latest month in the data).
	AsOf string
}

// CaseCost is one case's cost.
type CaseCost struct {
	Month   forecast.Month
	CostFen int64
}

// Evaluate runs every enabled rule over the inputs. Alerts come back deduplicated by key and
// in a stable order; timestamps and state are left to the caller that stores them.
func Evaluate(ctx context.Context, rules []Rule, in Inputs) ([]Alert, error) {
	byKey := map[string]Alert{}
	for _, r := range rules {
		if !r.Enabled {
			continue
		}
		if err := r.Validate(); err != nil {
			return nil, err
		}
		var as []Alert
		switch r.Metric {
		case "months_of_reserve":
			as = reserveAlerts(r, in)
		case "spending_vs_income":
			as = growthAlerts(r, in)
		case "drg_cost_yoy":
			as = drgAlerts(r, in)
		case "hospital_spend_forecast":
			as = hospitalForecastAlerts(ctx, r, in)
		case "audit_findings_surge":
			as = surgeAlerts(r, in)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, a := range as {
			a.Rule, a.Severity, a.Scope, a.Threshold, a.State = r.ID, r.Severity, r.Scope, r.Threshold, StateNew
			a.Key = r.ID + "|" + a.Subject + "|" + a.Period
			byKey[a.Key] = a
		}
	}
	// One alert per metric, subject and period: when several bands of a metric fire (reserve
	// below 3 and below 6 months) only the most severe is raised.
	metric := map[string]string{}
	for _, r := range rules {
		metric[r.ID] = r.Metric
	}
	top := map[string]Alert{}
	for _, a := range byKey {
		k := metric[a.Rule] + "|" + a.Subject + "|" + a.Period
		if cur, ok := top[k]; !ok || severityRank[a.Severity] > severityRank[cur.Severity] ||
			(severityRank[a.Severity] == severityRank[cur.Severity] && a.Key < cur.Key) {
			top[k] = a
		}
	}
	out := make([]Alert, 0, len(top))
	for _, a := range top {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

var severityRank = map[string]int{"info": 1, "yellow": 2, "red": 3}

// latestBook returns each fund's book for the as-of month (the last one when AsOf is empty).
func latestBooks(in Inputs) map[string]BookMonth {
	out := map[string]BookMonth{}
	for _, b := range in.Books {
		if in.AsOf != "" && b.Period > in.AsOf {
			continue
		}
		if cur, ok := out[b.InsuType]; !ok || b.Period > cur.Period {
			out[b.InsuType] = b
		}
	}
	return out
}

func reserveAlerts(r Rule, in Inputs) []Alert {
	var out []Alert
	for t, b := range latestBooks(in) {
		if math.IsNaN(b.MonthsOfReserve) || !r.holds(b.MonthsOfReserve) {
			continue
		}
		out = append(out, Alert{Subject: t, Period: b.Period, Value: b.MonthsOfReserve,
			MessageZh: fmt.Sprintf("%s %s 累计结存可支付月数 %.1f 个月（%s %.0f）", InsuTypeZh[t], b.Period, b.MonthsOfReserve, opZh[r.Op], r.Threshold),
			MessageEn: fmt.Sprintf("%s fund %s: months of reserve %.1f (%s %.0f)", t, b.Period, b.MonthsOfReserve, r.Op, r.Threshold)})
	}
	return out
}

var opZh = map[string]string{"lt": "低于", "le": "不高于", "gt": "高于", "ge": "不低于"}

func growthAlerts(r Rule, in Inputs) []Alert {
	var out []Alert
	for t, b := range latestBooks(in) {
		if math.IsNaN(b.IncomeGrowth) || math.IsNaN(b.ExpenditureGrowth) {
			continue
		}
		gap := b.ExpenditureGrowth - b.IncomeGrowth
		if !r.holds(gap) {
			continue
		}
		out = append(out, Alert{Subject: t, Period: b.Period, Value: gap,
			MessageZh: fmt.Sprintf("%s 近 12 个月基金支出增长 %.1f%%，收入增长 %.1f%%", InsuTypeZh[t], 100*b.ExpenditureGrowth, 100*b.IncomeGrowth),
			MessageEn: fmt.Sprintf("%s fund: spending grew %.1f%% over 12 months, income %.1f%%", t, 100*b.ExpenditureGrowth, 100*b.IncomeGrowth)})
	}
	return out
}

// asOfMonth is the evaluation month: AsOf, or the latest month seen in the case data.
func asOfMonth(in Inputs, latest forecast.Month) forecast.Month {
	if in.AsOf != "" {
		if m, err := forecast.ParseMonth(in.AsOf); err == nil {
			return m
		}
	}
	return latest
}

// drgAlerts compares each DRG's per-case cost in the last Window months with the Window
// before: it fires when the rise exceeds the threshold, both windows have at least MinVolume
// cases, and Welch's t test on log costs rejects equal means (one-sided) at Alpha after the
// Benjamini–Hochberg correction over every DRG tested — with some 170 DRGs tested a month, an
// uncorrected 5% test would raise eight or nine false alarms (Benjamini & Hochberg 1995).
func drgAlerts(r Rule, in Inputs) []Alert {
	var latest forecast.Month
	for _, cs := range in.DRGCases {
		for _, c := range cs {
			if c.Month.Index() > latest.Index() {
				latest = c.Month
			}
		}
	}
	end := asOfMonth(in, latest)
	w := r.Window
	if w <= 0 {
		w = 12
	}
	type tested struct {
		drg       string
		rise, p   float64
		cur, prev int
	}
	var all []tested
	for drg, cs := range in.DRGCases {
		var cur, prev []float64
		var sumCur, sumPrev float64
		for _, c := range cs {
			if c.CostFen <= 0 {
				continue
			}
			d := end.Index() - c.Month.Index()
			switch {
			case d >= 0 && d < w:
				cur = append(cur, math.Log(float64(c.CostFen)))
				sumCur += float64(c.CostFen)
			case d >= w && d < 2*w:
				prev = append(prev, math.Log(float64(c.CostFen)))
				sumPrev += float64(c.CostFen)
			}
		}
		if len(cur) < max(r.MinVolume, 2) || len(prev) < max(r.MinVolume, 2) {
			continue
		}
		t := tested{drg: drg, rise: (sumCur/float64(len(cur)))/(sumPrev/float64(len(prev))) - 1, p: math.NaN(), cur: len(cur), prev: len(prev)}
		if r.Alpha > 0 {
			t.p = WelchOneSided(cur, prev)
		}
		all = append(all, t)
	}
	ps := make([]float64, len(all))
	for i, t := range all {
		ps[i] = t.p
	}
	q := BenjaminiHochberg(ps)
	var out []Alert
	for i, t := range all {
		if !r.holds(t.rise) || (r.Alpha > 0 && !(q[i] < r.Alpha)) {
			continue
		}
		out = append(out, Alert{Subject: t.drg, Period: end.String(), Value: t.rise,
			MessageZh: fmt.Sprintf("DRG %s 次均费用同比上涨 %.1f%%（本期 %d 例，上期 %d 例，Welch 检验 p=%.3g，%d 组多重检验校正后 q=%.3g）", t.drg, 100*t.rise, t.cur, t.prev, t.p, len(all), q[i]),
			MessageEn: fmt.Sprintf("DRG %s per-case cost up %.1f%% year on year (%d vs %d cases, Welch p=%.3g, q=%.3g over %d DRGs tested)", t.drg, 100*t.rise, t.cur, t.prev, t.p, q[i], len(all))})
	}
	return out
}

// BenjaminiHochberg returns the adjusted p-values (q-values) of the step-up procedure that
// controls the false discovery rate; NaN p-values stay NaN and do not count as tests.
func BenjaminiHochberg(p []float64) []float64 {
	idx := make([]int, 0, len(p))
	for i, v := range p {
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	sort.Slice(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	q := make([]float64, len(p))
	for i := range q {
		q[i] = math.NaN()
	}
	m := float64(len(idx))
	prev := 1.0
	for k := len(idx) - 1; k >= 0; k-- {
		v := math.Min(prev, p[idx[k]]*m/float64(k+1))
		q[idx[k]] = v
		prev = v
	}
	return q
}

// WelchOneSided is the one-sided p-value of Welch's t test that mean(a) > mean(b), with the
// Welch–Satterthwaite degrees of freedom (Welch 1947).
func WelchOneSided(a, b []float64) float64 {
	ma, va := meanVar(a)
	mb, vb := meanVar(b)
	na, nb := float64(len(a)), float64(len(b))
	se2 := va/na + vb/nb
	if se2 == 0 {
		if ma > mb {
			return 0
		}
		return 1
	}
	t := (ma - mb) / math.Sqrt(se2)
	df := se2 * se2 / ((va/na)*(va/na)/(na-1) + (vb/nb)*(vb/nb)/(nb-1))
	return 1 - distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.CDF(t)
}

func meanVar(x []float64) (float64, float64) {
	var m float64
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return m, ss / float64(len(x)-1)
}

// hospitalForecastAlerts forecasts each hospital's spending from the months before the
// as-of month and fires when the as-of month lies above the 95% upper bound.
func hospitalForecastAlerts(ctx context.Context, r Rule, in Inputs) []Alert {
	var out []Alert
	for h, s := range in.HospitalSpend {
		n := len(s.Values)
		last := s.Period(n - 1)
		if in.AsOf != "" {
			m, err := forecast.ParseMonth(in.AsOf)
			if err != nil {
				continue
			}
			k := m.Index() - s.Start.Index()
			if k < 0 || k >= n {
				continue
			}
			n, last = k+1, m
		}
		hist := n - 1
		if hist < max(r.MinVolume, 16) {
			continue
		}
		res, err := forecast.Run(ctx, forecast.Request{Series: forecast.Series{Start: s.Start, Values: s.Values[:hist]}, Horizon: 1,
			Backtest: forecast.BacktestOptions{Origins: 1}})
		if err != nil {
			continue
		}
		actual := s.Values[n-1]
		excess := actual - res.Forecast.Hi95[0]
		if !(excess > 0) || !r.holds(excess) {
			continue
		}
		out = append(out, Alert{Subject: h, Hospital: h, Period: last.String(), Value: actual,
			MessageZh: fmt.Sprintf("医院 %s %s 基金支出 %.0f 元，高于预测 95%% 区间上限 %.0f 元（模型 %s）", h, last, actual/100, res.Forecast.Hi95[0]/100, res.Model),
			MessageEn: fmt.Sprintf("hospital %s %s fund spending %.0f yuan above the forecast's 95%% upper bound %.0f (%s)", h, last, actual/100, res.Forecast.Hi95[0]/100, res.Model)})
	}
	return out
}

// surgeAlerts compares a hospital's findings in the as-of month with the mean of the Window
// months before; fires when the ratio reaches the threshold, the month has at least MinVolume
// findings and a Poisson test rejects the baseline rate at Alpha.
func surgeAlerts(r Rule, in Inputs) []Alert {
	var latest forecast.Month
	for _, byMonth := range in.Findings {
		for m := range byMonth {
			if mm, err := forecast.ParseMonth(m); err == nil && mm.Index() > latest.Index() {
				latest = mm
			}
		}
	}
	end := asOfMonth(in, latest)
	w := r.Window
	if w <= 0 {
		w = 6
	}
	var out []Alert
	for h, byMonth := range in.Findings {
		cur := byMonth[end.String()]
		if cur < r.MinVolume {
			continue
		}
		var base float64
		for k := 1; k <= w; k++ {
			base += float64(byMonth[end.Add(-k).String()])
		}
		rate := base / float64(w)
		// A hospital with no baseline findings is compared with half a finding a month, so
		// that a first burst can still fire but the ratio stays finite.
		rate = math.Max(rate, 0.5)
		ratio := float64(cur) / rate
		if !r.holds(ratio) {
			continue
		}
		p := math.NaN()
		if r.Alpha > 0 {
			// P(X ≥ cur) for X ~ Poisson(rate).
			p = 1 - distuv.Poisson{Lambda: rate}.CDF(float64(cur)-1)
			if !(p < r.Alpha) {
				continue
			}
		}
		out = append(out, Alert{Subject: h, Hospital: h, Period: end.String(), Value: ratio,
			MessageZh: fmt.Sprintf("医院 %s %s 审核问题 %d 条，为前 %d 个月月均 %.1f 条的 %.1f 倍（泊松检验 p=%.2g）", h, end, cur, w, base/float64(w), ratio, p),
			MessageEn: fmt.Sprintf("hospital %s %s: %d audit findings, %.1f× the %d-month mean of %.1f (Poisson p=%.2g)", h, end, cur, ratio, w, base/float64(w), p)})
	}
	return out
}

// Merge folds freshly evaluated alerts into the stored ones: an alert whose key is already
// stored keeps its state and history and only has its value, message and last-seen time
// updated (deduplication); the others are added as new. It returns the merged list and the
// alerts that are new, which are the ones to deliver.
func Merge(stored, fresh []Alert, now time.Time) (merged, added []Alert) {
	idx := map[string]int{}
	merged = append(merged, stored...)
	for i, a := range merged {
		idx[a.Key] = i
	}
	for _, a := range fresh {
		if i, ok := idx[a.Key]; ok {
			m := &merged[i]
			m.Value, m.MessageZh, m.MessageEn, m.LastSeenAt = a.Value, a.MessageZh, a.MessageEn, now
			continue
		}
		a.State, a.CreatedAt, a.LastSeenAt = StateNew, now, now
		idx[a.Key] = len(merged)
		merged = append(merged, a)
		added = append(added, a)
	}
	return merged, added
}

// Inbox returns the alerts a user sees: the bureau (hospital "") everything, a hospital only
// its own. state filters when not empty.
func Inbox(alerts []Alert, hospital, state string) []Alert {
	var out []Alert
	for _, a := range alerts {
		if hospital != "" && a.Hospital != hospital {
			continue
		}
		if state != "" && a.State != state {
			continue
		}
		out = append(out, a)
	}
	return out
}
