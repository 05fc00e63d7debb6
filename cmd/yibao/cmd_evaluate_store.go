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
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/payment"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// runEvaluateStore runs the indicator system on a period of the store, links the results
// to next period's coefficients and budgets, stores both, and writes reports.
func runEvaluateStore(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "evaluate", "evaluate --db DIR --period YYYY [--system FILE] [--params FILE] [--satisfaction FILE] [--report-dir DIR] [--out-params FILE] [--json]\n       yibao evaluate topsis|ahp …")
	db := fs.String("db", "", "data directory")
	per := fs.String("period", "", "period evaluated: YYYY (the previous year is the baseline for cost growth)")
	sysPath := fs.String("system", "", "indicator system (default: the built-in one, evaluate/indicators.json)")
	params := fs.String("params", "", "payment parameters holding this period's coefficients")
	satisfaction := fs.String("satisfaction", "", "imported patient satisfaction: hospital,value")
	scheme := fs.String("scheme", demoSchemeID, "scheme whose groupings the indicators use: a scheme file, \"demo\", or a stored scheme id")
	reportDir := fs.String("report-dir", "", "write an HTML improvement report per hospital (绩效改进建议书)")
	outParams := fs.String("out-params", "", "write next period's coefficients as a payment parameter overlay")
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
	facts, extra, err := gatherFacts(ctx, st, *scheme, pr, p, "hospital", "")
	if err != nil {
		return err
	}
	if *satisfaction != "" {
		if err := importSatisfaction(*satisfaction, facts); err != nil {
			return err
		}
	}
	results, err := sys.Evaluate(facts)
	if err != nil {
		return err
	}
	settled, err := st.SettledByHospital(ctx, pr.label)
	if err != nil {
		return err
	}
	coef := map[string]float64{}
	budget := map[string]yibao.Fen{}
	for _, f := range facts {
		coef[f.Hospital] = p.Coefficient(f.Hospital).Float()
		budget[f.Hospital] = yibao.Fen(settled[f.Hospital])
		if budget[f.Hospital] == 0 {
			budget[f.Hospital] = yibao.Fen(math.Round(f.Cost * 100))
		}
	}
	adj, err := evaluate.Link(results, coef, budget, sys.Linkage)
	if err != nil {
		return err
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
	if *reportDir != "" {
		if err := writeReports(*reportDir, sys, pr.label, run, results, adj, extra); err != nil {
			return err
		}
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"run": run, "period": pr.label, "system": sys.Version, "results": results, "adjustments": adj})
	}
	grades := map[string]int{}
	for _, r := range results {
		grades[evaluate.GradeZh[r.Grade]]++
	}
	fmt.Fprintf(e.stdout, "evaluation run %d: %d hospitals, period %s, system %s; grades %v\n", run, len(results), pr.label, sys.Version, grades)
	order := make([]int, len(results))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		ra, rb := results[order[a]], results[order[b]]
		if ra.PeerGroup != rb.PeerGroup {
			return ra.PeerGroup < rb.PeerGroup
		}
		return ra.Rank < rb.Rank
	})
	fmt.Fprintf(e.stdout, "  %-12s %-14s %4s %7s %9s %-4s %8s %16s\n", "peer group", "hospital", "rank", "score", "closeness", "grade", "coef", "budget change")
	for _, i := range order {
		r, a := results[i], adj[i]
		fmt.Fprintf(e.stdout, "  %-12s %-14s %4d %7.2f %9.4f %-4s %8.4f %+15.2f%%\n", r.PeerGroup, r.Hospital, r.Rank, r.Score, r.Closeness,
			evaluate.GradeZh[r.Grade], a.CoefAfter, 100*(float64(a.BudgetAfter)/math.Max(1, float64(a.BudgetBefore))-1))
	}
	return nil
}

// reportExtra carries per-hospital detail for the improvement reports.
type reportExtra struct {
	drgExcess map[string][]drgCost // hospital → DRGs with the largest cost excess
	topRules  map[string][]ruleCount
	names     map[string]string
}

type drgCost struct {
	DRG            string
	Cases          int
	Excess, Actual float64 // yuan
}

type ruleCount struct {
	Category string
	Count    int
}

// gatherFacts computes the per-hospital facts of a period from the store.
//
// unit is "hospital" (peer groups by level and type), or "department" / "doctor" inside
// one hospital (all its units are one peer group).
func gatherFacts(ctx context.Context, st *sqlite.Store, scheme string, pr period, p *payment.Params, unit, hospital string) ([]evaluate.Facts, reportExtra, error) {
	extra := reportExtra{drgExcess: map[string][]drgCost{}, topRules: map[string][]ruleCount{}, names: map[string]string{}}
	rows, err := st.CaseRows(ctx, scheme, pr.from, pr.to)
	if err != nil {
		return nil, extra, err
	}
	if len(rows) == 0 {
		return nil, extra, fmt.Errorf("no inpatient settlements discharged in %s", pr.label)
	}
	prev, err := st.CaseRows(ctx, scheme, pr.from.AddDate(-1, 0, 0), pr.from)
	if err != nil {
		return nil, extra, err
	}
	hs, err := st.Hospitals(ctx)
	if err != nil {
		return nil, extra, err
	}
	peer := map[string]string{}
	for _, h := range hs {
		peer[h.Code] = fmt.Sprintf("%d级-%s", h.Level, h.Type)
		extra.names[h.Code] = h.Name
	}
	keyOf := func(r *sqlite.CaseRow) string { return r.Hospital }
	peerOf := func(k string) string { return peer[k] }
	switch unit {
	case "department":
		keyOf = func(r *sqlite.CaseRow) string { return r.Dept }
	case "doctor":
		keyOf = func(r *sqlite.CaseRow) string { return r.Doctor }
	}
	if unit != "hospital" {
		peerOf = func(string) string { return hospital }
	}
	unitOf := map[string]string{} // setl_id → unit key, for the detail pass and findings
	var own []sqlite.CaseRow
	for i := range rows {
		if hospital == "" || rows[i].Hospital == hospital {
			unitOf[rows[i].SetlID] = keyOf(&rows[i])
			own = append(own, rows[i])
		}
	}
	// Region means per DRG over the period, and weights from the period itself.
	type agg struct {
		n, deaths int
		los, cost float64
	}
	region := map[string]*agg{}
	var wc []payment.WeightCase
	for _, r := range rows {
		if !r.Grouped() {
			continue
		}
		a := region[r.DRG]
		if a == nil {
			a = &agg{}
			region[r.DRG] = a
		}
		a.n++
		a.los += float64(r.LOS)
		a.cost += float64(r.Cost) / 100
		if r.Disposition == "5" {
			a.deaths++
		}
		wc = append(wc, payment.WeightCase{DRG: r.DRG, ADRG: r.ADRG, Cost: yibao.Fen(r.Cost), LOS: r.LOS})
	}
	weights, err := payment.ComputeWeights(wc, p.Weights.MinCases, p.Weights.Fallback)
	if err != nil {
		return nil, extra, err
	}
	// Low-risk DRGs: mortality more than one standard deviation below the mean DRG mortality.
	var ms []float64
	for _, a := range region {
		ms = append(ms, float64(a.deaths)/float64(a.n))
	}
	mean, sd := meanSD(ms)
	lowRisk := map[string]bool{}
	for d, a := range region {
		if float64(a.deaths)/float64(a.n) < mean-sd || a.deaths == 0 {
			lowRisk[d] = true
		}
	}
	by := map[string]*evaluate.Facts{}
	drgs := map[string]map[string]bool{}
	excess := map[string]map[string]*drgCost{}
	get := func(h string) *evaluate.Facts {
		if by[h] == nil {
			by[h] = &evaluate.Facts{Hospital: h, PeerGroup: peerOf(h)}
			drgs[h] = map[string]bool{}
			excess[h] = map[string]*drgCost{}
		}
		return by[h]
	}
	// 31-day unplanned readmission of the same person after a discharge.
	byPerson := map[string][]sqlite.CaseRow{}
	for _, r := range append(append([]sqlite.CaseRow{}, prev...), rows...) {
		byPerson[r.Person] = append(byPerson[r.Person], r)
	}
	readmitted := map[string]bool{}
	for _, stays := range byPerson {
		sort.Slice(stays, func(i, j int) bool { return stays[i].Admission.Before(stays[j].Admission) })
		for i := 1; i < len(stays); i++ {
			if gap := stays[i].Admission.Sub(stays[i-1].Discharge); gap >= 0 && gap <= 31*24*time.Hour {
				readmitted[stays[i-1].SetlID] = true
			}
		}
	}
	// Fee categories and surgery need the detail of each stay; the surgical share of a DRG
	// across the region classes it as technology-dependent (≥ 50% surgical) or routine.
	surgical := map[string]bool{}
	err = st.EachCurrent(ctx, sqlite.Filter{InpatientOnly: true, From: pr.from, To: pr.to}, func(s sqlite.StoredSettlement) error {
		procs := make([]string, len(s.Procedures))
		for i, p := range s.Procedures {
			procs[i] = p.Code
		}
		surgical[s.ID] = grouper.TreatmentClass(procs) == grouper.TreatSurgical
		k, ok := unitOf[s.ID]
		if !ok {
			return nil
		}
		f := get(k)
		for _, l := range s.Fees {
			f.FeeFen += int64(l.Amount)
			switch l.Category {
			case yibao.CatWesternDrug, yibao.CatHerbal, yibao.CatPatentDrug:
				f.DrugFen += int64(l.Amount)
			case yibao.CatConsumable:
				f.ConsFen += int64(l.Amount)
			}
		}
		if surgical[s.ID] {
			f.Surgical++
		}
		return nil
	})
	if err != nil {
		return nil, extra, err
	}
	techShare := map[string][2]int{}
	for _, r := range rows {
		if r.Grouped() {
			v := techShare[r.DRG]
			if surgical[r.SetlID] {
				v[0]++
			}
			techShare[r.DRG] = [2]int{v[0], v[1] + 1}
		}
	}
	techDRG := func(d string) bool { v := techShare[d]; return v[1] > 0 && 2*v[0] >= v[1] }
	var regionNow, regionPrev float64
	var nNow, nPrev int
	for _, r := range rows {
		regionNow += float64(r.Cost) / 100
		nNow++
	}
	for _, r := range own {
		k := keyOf(&r)
		f := get(k)
		f.Cases++
		f.Discharges++
		f.LOS += float64(r.LOS)
		f.Cost += float64(r.Cost) / 100
		if readmitted[r.SetlID] {
			f.Readmissions31++
		}
		if r.Outcome == "check_failed" {
			f.ValidationFailed++
		}
		if !r.Grouped() {
			continue
		}
		f.Grouped++
		drgs[k][r.DRG] = true
		a := region[r.DRG]
		f.ExpectedLOS += a.los / float64(a.n)
		f.ExpectedCost += a.cost / float64(a.n)
		if techDRG(r.DRG) {
			f.TechCases++
			f.CostTech += float64(r.Cost) / 100
			f.ExpectedCostTech += a.cost / float64(a.n)
		} else {
			f.LOSRoutine += float64(r.LOS)
			f.ExpectedLOSRoutine += a.los / float64(a.n)
			f.CostRoutine += float64(r.Cost) / 100
			f.ExpectedCostRoutine += a.cost / float64(a.n)
		}
		if w, ok := weights.For(r.DRG, r.ADRG); ok {
			f.SumRW += w.RW.Float()
			f.Weighted++
		}
		if lowRisk[r.DRG] {
			f.LowRiskCases++
			if r.Disposition == "5" {
				f.LowRiskDeaths++
			}
		}
		x := excess[k][r.DRG]
		if x == nil {
			x = &drgCost{DRG: r.DRG}
			excess[k][r.DRG] = x
		}
		x.Cases++
		x.Actual += float64(r.Cost) / 100
		x.Excess += float64(r.Cost)/100 - a.cost/float64(a.n)
	}
	prevCost := map[string][2]float64{}
	for _, r := range prev {
		regionPrev += float64(r.Cost) / 100
		nPrev++
		if hospital != "" && r.Hospital != hospital {
			continue
		}
		k := keyOf(&r)
		v := prevCost[k]
		prevCost[k] = [2]float64{v[0] + float64(r.Cost)/100, v[1] + 1}
	}
	growth := 0.0
	if nPrev > 0 && regionPrev > 0 {
		growth = (regionNow/float64(nNow))/(regionPrev/float64(nPrev)) - 1
	}
	counts, err := st.FindingsByUnit(ctx, pr.from, pr.to, unit, hospital)
	if err != nil {
		return nil, extra, err
	}
	cats, err := st.FindingCategories(ctx, pr.from, pr.to)
	if err != nil {
		return nil, extra, err
	}
	out := make([]evaluate.Facts, 0, len(by))
	for h, f := range by {
		f.DRGs = len(drgs[h])
		if f.Cases > 0 {
			f.CostPerCase = f.Cost / float64(f.Cases)
		}
		if pc := prevCost[h]; pc[1] > 0 {
			f.PrevCostPerCase = pc[0] / pc[1]
		} else {
			f.PrevCostPerCase = f.CostPerCase
		}
		f.RegionGrowth = growth
		c := counts[h]
		f.Findings, f.FindingsFen, f.Upcoding, f.Split = c.Findings, c.AmountFen, c.Upcoding, c.Split
		out = append(out, *f)
		var xs []drgCost
		for _, x := range excess[h] {
			xs = append(xs, *x)
		}
		sort.Slice(xs, func(i, j int) bool { return xs[i].Excess > xs[j].Excess })
		if len(xs) > 5 {
			xs = xs[:5]
		}
		extra.drgExcess[h] = xs
		for cat, n := range cats[h] {
			extra.topRules[h] = append(extra.topRules[h], ruleCount{cat, n})
		}
		sort.Slice(extra.topRules[h], func(i, j int) bool { return extra.topRules[h][i].Count > extra.topRules[h][j].Count })
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Hospital < out[j].Hospital })
	return out, extra, nil
}

func meanSD(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	v := 0.0
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return m, math.Sqrt(v / float64(len(xs)))
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
