package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/indicators"
	"github.com/yibao-dev/yibao/payment"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// runEvaluateStore runs the indicator system on a period of the store, links the results
// to next period's coefficients and budgets, stores both, and writes reports.
func runEvaluateStore(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "evaluate", "evaluate --db DIR --period YYYY [--system FILE] [--params FILE] [--satisfaction FILE] [--report-dir DIR] [--out-params FILE] [--coefficients-out FILE] [--json]\n       yibao evaluate indicators|technology|credit|league|topsis|ahp …")
	db := fs.String("db", "", "data directory")
	per := fs.String("period", "", "period evaluated: YYYY (the previous year is the baseline for cost growth)")
	sysPath := fs.String("system", "", "indicator system (default: the built-in one, evaluate/indicators.json)")
	params := fs.String("params", "", "payment parameters holding this period's coefficients")
	satisfaction := fs.String("satisfaction", "", "imported patient satisfaction: hospital,value")
	scheme := fs.String("scheme", demoSchemeID, "scheme whose groupings the indicators use: a scheme file, \"demo\", or a stored scheme id")
	reportDir := fs.String("report-dir", "", "write an HTML improvement report per hospital (绩效改进建议书)")
	outParams := fs.String("out-params", "", "write next period's coefficients as a payment parameter overlay")
	coefOut := fs.String("coefficients-out", "", "write next period's hospital coefficients as the payment policy's coefficient overlay (yibao pay --coefficients)")
	actor := fs.String("actor", "cli", "who runs the evaluation (logged)")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if id, err := schemeIDOf(e, *scheme); err != nil {
		return err
	} else {
		*scheme = id
	}
	pr, err := parsePeriodFlag(*per)
	if err != nil {
		return err
	}
	sys, err := evaluate.DefaultSystem()
	if *sysPath != "" {
		sys, err = evaluate.LoadSystem(*sysPath)
	}
	if err != nil {
		return err
	}
	p, err := loadParams(*params)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	wp := p // relative weights from the payment parameters only when they are given
	if *params == "" {
		wp = nil
	}
	q, err := indicatorQuery(ctx, st, *scheme, pr, wp, "hospital", "")
	if err != nil {
		return err
	}
	q.Policy = sys.Policy
	settled, err := st.FundBudgetByHospital(ctx, pr.label)
	if err != nil {
		return err
	}
	budget := map[string]yibao.Fen{}
	for h, v := range settled {
		budget[h] = yibao.Fen(v)
	}
	coef := map[string]float64{}
	hs, err := st.Hospitals(ctx)
	if err != nil {
		return err
	}
	for _, h := range hs {
		coef[h.Code] = p.Coefficient(h.Code).Float()
	}
	var adjust func([]evaluate.Facts) error
	if *satisfaction != "" {
		adjust = func(fs []evaluate.Facts) error { return importSatisfaction(*satisfaction, fs) }
	}
	as, err := evaluate.Assess(ctx, st.IndicatorSource(), sys, q, coef, budget, adjust)
	if err != nil {
		return fmt.Errorf("evaluate %s: %w", pr.label, err)
	}
	results, adj, facts := as.Results, as.Adjustments, as.Facts
	extra := reportExtra{drgExcess: as.Output.Excess, names: as.Output.Names, topRules: map[string][]ruleCount{}}
	for h, cats := range as.Output.Categories {
		for c, n := range cats {
			extra.topRules[h] = append(extra.topRules[h], ruleCount{c, n})
		}
		sort.Slice(extra.topRules[h], func(i, j int) bool {
			a, b := extra.topRules[h][i], extra.topRules[h][j]
			return a.Count > b.Count || a.Count == b.Count && a.Category < b.Category
		})
	}
	adjMap := map[string]any{}
	coefAfter := map[string]float64{}
	budgetAfter := map[string]int64{}
	for _, a := range adj {
		adjMap[a.Hospital], coefAfter[a.Hospital], budgetAfter[a.Hospital] = a, a.CoefAfter, int64(a.BudgetAfter)
	}
	run, err := st.PutEvaluation(ctx, pr.label, sys.Version, results, facts, adjMap, coefAfter, budgetAfter, *actor)
	if err != nil {
		return err
	}
	if *outParams != "" {
		next := map[string]any{"version": fmt.Sprintf("%s+eval-%d", p.Version, run), "coefficients": coefAfter}
		b, _ := json.MarshalIndent(next, "", " ")
		if err := os.WriteFile(*outParams, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if *coefOut != "" {
		ov := evaluate.CoefficientOverlay{Version: fmt.Sprintf("%s-eval-%d", pr.label, run),
			Source:       fmt.Sprintf("yibao evaluate --period %s (evaluation run %d, system %s)", pr.label, run, sys.Version),
			Coefficients: evaluate.OverlayCoefficients{Hospitals: coefAfter, Min: sys.Linkage.CoefMin, Max: sys.Linkage.CoefMax}}
		b, err := json.MarshalIndent(ov, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*coefOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if *reportDir != "" {
		if err := writeReports(*reportDir, sys, pr.label, run, results, adj, extra); err != nil {
			return err
		}
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"run": run, "period": pr.label, "system": sys.Version, "results": results,
			"adjustments": adj, "risk": as.Risk})
	}
	grades := map[string]int{}
	for _, r := range results {
		grades[evaluate.GradeZh[r.Grade]]++
	}
	fmt.Fprintf(e.stdout, "evaluation run %d: %d hospitals, period %s, system %s; grades %s\n", run, len(results), pr.label, sys.Version, countsLine(grades, nil))
	drgs, cases := map[string]int{}, map[string]int{}
	for _, r := range as.Risk {
		drgs[indicators.RiskClassZh[r.Class]]++
		cases[indicators.RiskClassZh[r.Class]] += r.Cases
	}
	fmt.Fprintf(e.stdout, "DRG death-risk classes (standardised ln mortality): DRGs %s; cases %s\n", countsLine(drgs, nil), countsLine(cases, nil))
	for _, r := range results {
		if r.PeerNote != "" {
			fmt.Fprintf(e.stdout, "  %s %s: %s\n", r.Hospital, extra.names[r.Hospital], r.PeerNote)
		}
	}
	order := make([]int, len(results))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		ra, rb := results[order[a]], results[order[b]]
		if ra.PeerGroup != rb.PeerGroup {
			return ra.PeerGroup < rb.PeerGroup
		}
		if ra.Rank != rb.Rank {
			return ra.Rank < rb.Rank
		}
		return ra.Score > rb.Score // within a tolerance cluster (shared rank), by composite
	})
	fmt.Fprintf(e.stdout, "  %-12s %-14s %4s %7s %9s %-4s %8s %16s  %s\n", "peer group", "hospital", "rank", "score", "closeness", "grade", "coef", "budget change", "名称")
	for _, i := range order {
		r, a := results[i], adj[i]
		fmt.Fprintf(e.stdout, "  %-12s %-14s %4d %7.2f %9.4f %-4s %8.4f %+15.2f%%  %s\n", r.PeerGroup, r.Hospital, r.Rank, r.Score, r.Closeness,
			evaluate.GradeZh[r.Grade], a.CoefAfter, 100*(float64(a.BudgetAfter)/math.Max(1, float64(a.BudgetBefore))-1), extra.names[r.Hospital])
	}
	return nil
}

// reportExtra carries per-hospital detail for the improvement reports.
type reportExtra struct {
	drgExcess map[string][]indicators.DRGExcess // hospital → DRGs with the largest cost excess
	topRules  map[string][]ruleCount
	names     map[string]string
}

type ruleCount struct {
	Category string
	Count    int
}

// indicatorQuery is the indicator engine's query for a period. With payment parameters the
// CMI uses their weight computation over the period's grouped cases; without (p nil) the
// engine's RW_g = Ā_g / Ā over the same cases, as the cockpit does.
func indicatorQuery(ctx context.Context, st *sqlite.Store, scheme string, pr period, p *payment.Params, unit, hospital string) (indicators.Query, error) {
	q := indicators.Query{Scheme: scheme, From: pr.from, To: pr.to, Unit: unit, Hospital: hospital, Policy: indicators.DefaultPolicy()}
	if p == nil {
		return q, nil
	}
	rows, err := st.CaseRows(ctx, scheme, pr.from, pr.to)
	if err != nil {
		return q, err
	}
	var wc []payment.WeightCase
	for _, r := range rows {
		if r.Grouped() {
			wc = append(wc, payment.WeightCase{DRG: r.DRG, ADRG: r.ADRG, Cost: yibao.Fen(r.Cost), LOS: r.LOS})
		}
	}
	if len(wc) == 0 {
		return q, nil // the engine reports the empty period
	}
	weights, err := payment.ComputeWeights(wc, p.Weights.MinCases, p.Weights.Fallback)
	if err != nil {
		return q, err
	}
	q.RW = func(drg, adrg string) (float64, bool) {
		w, ok := weights.For(drg, adrg)
		if !ok {
			return 0, false
		}
		return w.RW.Float(), true
	}
	return q, nil
}

func importSatisfaction(path string, facts []evaluate.Facts) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	vals := map[string]float64{}
	for i, r := range rows {
		if i == 0 && r[0] == "hospital" {
			continue
		}
		if len(r) < 2 {
			return fmt.Errorf("%s line %d: want hospital,value", path, i+1)
		}
		v, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			return fmt.Errorf("%s line %d column value: %q is not a number", path, i+1, r[1])
		}
		vals[r[0]] = v
	}
	for i := range facts {
		if v, ok := vals[facts[i].Hospital]; ok {
			facts[i].Satisfaction, facts[i].HasSatisfaction = v, true
		}
	}
	return nil
}
