package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/payment"
	"github.com/yibao-dev/yibao/schemes"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// period is a span of discharge months: "2025" or "2025-01:2025-06".
type period struct {
	label    string
	from, to time.Time
}

func parsePeriodFlag(s string) (period, error) {
	if s == "" {
		return period{}, usageError{msg: "--period is required (YYYY or YYYY-MM:YYYY-MM)"}
	}
	if len(s) == 4 {
		f, err := time.Parse("2006", s)
		if err != nil {
			return period{}, usageError{msg: fmt.Sprintf("--period %q is not YYYY", s)}
		}
		return period{label: s, from: f, to: f.AddDate(1, 0, 0)}, nil
	}
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		a, b = s, s
	}
	f, t, err := parsePeriod(a, b)
	if err != nil {
		return period{}, err
	}
	return period{label: s, from: f, to: t}, nil
}

const demoSchemeID = schemes.DemoID

// paymentInputs are the flags price, settle and simulate share.
type paymentInputs struct {
	db, scheme, params, weights, reference, period *string
	asJSON                                         *bool
}

func paymentFlags(fs interface {
	String(string, string, string) *string
	Bool(string, bool, string) *bool
}) paymentInputs {
	return paymentInputs{
		db:        fs.String("db", "", "data directory"),
		scheme:    fs.String("scheme", demoSchemeID, "scheme whose stored groupings are priced: a scheme file, \"demo\", or a stored scheme id"),
		params:    fs.String("params", "", "payment parameter file (docs/payment.md); default: built-in demo parameters"),
		weights:   fs.String("weights", "", "weight table (drg-weights JSON); default: derived from --reference"),
		reference: fs.String("reference", "", "reference period for deriving weights (default: the period itself)"),
		period:    fs.String("period", "", "discharge period priced: YYYY or YYYY-MM:YYYY-MM"),
		asJSON:    fs.Bool("json", false, "JSON output"),
	}
}

type paymentContext struct {
	st      *sqlite.Store
	per     period
	params  *payment.Params
	weights *payment.Weights
	rows    []sqlite.CaseRow
	cases   []payment.Case
	scheme  string
	version string
}

func (in paymentInputs) load(ctx context.Context, e *env) (*paymentContext, error) {
	per, err := parsePeriodFlag(*in.period)
	if err != nil {
		return nil, err
	}
	p := payment.DefaultParams()
	if *in.params != "" {
		if p, err = payment.LoadParams(*in.params); err != nil {
			return nil, err
		}
	}
	if *in.scheme, err = schemeIDOf(e, *in.scheme); err != nil {
		return nil, err
	}
	st, err := sqlite.Open(dataDir(e, *in.db))
	if err != nil {
		return nil, err
	}
	pc := &paymentContext{st: st, per: per, params: p, scheme: *in.scheme}
	if pc.rows, err = st.CaseRows(ctx, *in.scheme, per.from, per.to); err != nil {
		st.Close()
		return nil, err
	}
	if len(pc.rows) == 0 {
		st.Close()
		return nil, fmt.Errorf("no inpatient settlements discharged in %s", per.label)
	}
	pc.cases = make([]payment.Case, len(pc.rows))
	for i, r := range pc.rows {
		pc.cases[i] = caseOf(r)
	}
	if *in.weights != "" {
		if pc.weights, err = payment.LoadWeights(*in.weights); err != nil {
			st.Close()
			return nil, err
		}
	} else {
		ref := per
		if *in.reference != "" {
			if ref, err = parsePeriodFlag(*in.reference); err != nil {
				st.Close()
				return nil, err
			}
		}
		if pc.weights, err = derivedWeights(ctx, st, *in.scheme, ref, p); err != nil {
			st.Close()
			return nil, err
		}
	}
	if *in.scheme == demoSchemeID {
		pc.version = demoSchemeVersion()
	}
	for _, r := range pc.rows {
		if r.Status != "" {
			pc.version = schemeVersionOf(ctx, st, r.SetlID, *in.scheme, pc.version)
			break
		}
	}
	return pc, nil
}

func demoSchemeVersion() string {
	var head struct {
		Scheme struct{ Version string } `json:"scheme"`
	}
	json.Unmarshal(schemes.DemoDRG, &head)
	return head.Scheme.Version
}

func schemeVersionOf(ctx context.Context, st *sqlite.Store, setlID, scheme, fallback string) string {
	if g, err := st.GroupingOf(ctx, setlID, scheme); err == nil {
		return g.Version
	}
	return fallback
}

func caseOf(r sqlite.CaseRow) payment.Case {
	return payment.Case{SetlID: r.SetlID, Row: r.Row, Hospital: r.Hospital, Level: r.Level, InsuType: r.InsuType, Person: r.Person,
		Discharge: r.Discharge, Grouped: r.Grouped(), DRG: r.DRG, ADRG: r.ADRG, Cost: yibao.Fen(r.Cost), LOS: r.LOS,
		Disposition: r.Disposition, Dept: r.Dept, Doctor: r.Doctor, Flagged: r.Flagged}
}

func derivedWeights(ctx context.Context, st *sqlite.Store, scheme string, ref period, p *payment.Params) (*payment.Weights, error) {
	rows, err := st.CaseRows(ctx, scheme, ref.from, ref.to)
	if err != nil {
		return nil, err
	}
	var wc []payment.WeightCase
	for _, r := range rows {
		if r.Grouped() {
			wc = append(wc, payment.WeightCase{DRG: r.DRG, ADRG: r.ADRG, Cost: yibao.Fen(r.Cost), LOS: r.LOS})
		}
	}
	if len(wc) == 0 {
		return nil, fmt.Errorf("no cases grouped with %s in the reference period %s: run yibao group --db first", scheme, ref.label)
	}
	w, err := payment.ComputeWeights(wc, p.Weights.MinCases, p.Weights.Fallback)
	if err != nil {
		return nil, err
	}
	w.Version, w.Scheme, w.Period = "local-"+ref.label, scheme, ref.label
	return w, nil
}

func runWeights(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "weights", "weights --db DIR --period YYYY [--scheme ID] [--params FILE] --out weights.json")
	db := fs.String("db", "", "data directory")
	scheme := fs.String("scheme", demoSchemeID, "scheme whose stored groupings give the weights: a scheme file, \"demo\", or a stored scheme id")
	params := fs.String("params", "", "payment parameters (weights.min_cases, weights.fallback)")
	per := fs.String("period", "", "reference period: YYYY or YYYY-MM:YYYY-MM")
	out := fs.String("out", "", "weight table to write")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if id, err := schemeIDOf(e, *scheme); err != nil {
		return err
	} else {
		*scheme = id
	}
	if *out == "" {
		return usageError{msg: "--out is required"}
	}
	ref, err := parsePeriodFlag(*per)
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
	w, err := derivedWeights(ctx, st, *scheme, ref, p)
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(w, "", " ")
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "weights %s: %d DRGs from %d cases (overall trimmed mean %s yuan); %d borrowed or missing:\n",
		w.Version, len(w.DRGs), w.Cases, w.OverallMean, len(w.Borrowed))
	for _, d := range slices.Sorted(maps.Keys(w.Borrowed)) {
		fmt.Fprintf(e.stdout, "  %s: %s\n", d, w.Borrowed[d])
	}
	return nil
}

// runSettle prices the period's cases and settles each hospital, storing the run.
func runSettle(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "settle", "settle --db DIR --period YYYY [--params FILE] [--weights FILE | --reference YYYY] [--json]")
	in := paymentFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pc, err := in.load(ctx, e)
	if err != nil {
		return err
	}
	defer pc.st.Close()
	run, id, err := settlePeriod(ctx, pc)
	if err != nil {
		return err
	}
	return reportSettlement(e, pc, run, id, *in.asJSON)
}

func settlePeriod(ctx context.Context, pc *paymentContext) (*payment.Run, int64, error) {
	run, err := payment.Evaluate(pc.cases, pc.weights, pc.params)
	if err != nil {
		return nil, 0, err
	}
	rows := make([]sqlite.CasePaymentRow, len(run.Priced))
	for i, p := range run.Priced {
		rows[i] = sqlite.CasePaymentRow{Row: p.Row, SetlID: p.SetlID, Hospital: p.Hospital, DRG: p.DRG, Kind: p.Kind,
			RW: int64(p.RW), Coefficient: int64(p.Coef), Rate: int64(p.Rate), Standard: int64(p.Standard), Payment: int64(p.Payment),
			Cost: int64(p.Cost), Patient: int64(p.PatientPay), Fund: int64(p.FundPay)}
	}
	sets := map[string]any{}
	for _, s := range run.Settlements {
		sets[s.Hospital] = s
	}
	id, err := pc.st.PutPaymentRun(ctx, sqlite.PaymentRun{Kind: "settle", Period: pc.per.label, Scheme: pc.scheme, SchemeVersion: pc.version,
		Params: pc.params.Version, WeightsVer: pc.weights.Version, BaseRate: run.Rate, ParamsJSON: pc.params, WeightsJSON: pc.weights}, rows, sets)
	return run, id, err
}

func reportSettlement(e *env, pc *paymentContext, run *payment.Run, id int64, asJSON bool) error {
	cmi := payment.CMI(run.Priced, func(p *payment.Priced) string { return p.Hospital })
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"run": id, "period": pc.per.label, "params": pc.params.Version,
			"weights": pc.weights.Version, "base_rate": run.Rate, "settlements": run.Settlements, "cmi": cmi})
	}
	var pay, cost, settled, outlay yibao.Fen
	kinds := map[string]int{}
	for _, p := range run.Priced {
		pay += p.Payment
		cost += p.Cost
		kinds[p.Kind]++
	}
	for _, s := range run.Settlements {
		settled += s.Settled
		outlay += s.FundOutlay
	}
	rate := run.Rate.Single.String()
	if run.Rate.ByLevel != nil {
		rate = fmt.Sprint(run.Rate.ByLevel)
	}
	fmt.Fprintf(e.stdout, "run %d: %d cases discharged in %s, params %s, weights %s, base rate %s yuan\n",
		id, len(run.Priced), pc.per.label, pc.params.Version, pc.weights.Version, rate)
	fmt.Fprintf(e.stdout, "  DRG payments %s yuan vs costs %s yuan; settled %s yuan, fund outlay %s yuan; by kind %v\n", pay, cost, settled, outlay, kinds)
	fmt.Fprintf(e.stdout, "  %-14s %6s %7s %14s %14s %12s %12s %14s\n", "hospital", "cases", "CMI", "payment", "cost", "retained", "fund share", "settled")
	cmiOf := map[string]float64{}
	for _, c := range cmi {
		cmiOf[c.Key] = c.CMI
	}
	for _, s := range run.Settlements {
		fmt.Fprintf(e.stdout, "  %-14s %6d %7.4f %14s %14s %12s %12s %14s\n", s.Hospital, s.Cases, cmiOf[s.Hospital], s.Payment, s.Cost, s.Retained, s.FundShare, s.Settled)
	}
	return nil
}

func runSimulate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "simulate", "simulate --db DIR --period YYYY --scenario FILE [--params FILE] [--weights FILE] [--out impact.csv] [--json]")
	in := paymentFlags(fs)
	scenarioPath := fs.String("scenario", "", "scenario file (docs/payment.md)")
	out := fs.String("out", "", "write the impact per hospital and DRG as CSV")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *scenarioPath == "" {
		return usageError{msg: "--scenario is required"}
	}
	sc, err := payment.LoadScenario(*scenarioPath)
	if err != nil {
		return err
	}
	pc, err := in.load(ctx, e)
	if err != nil {
		return err
	}
	defer pc.st.Close()
	sim, err := payment.Simulate(pc.cases, pc.weights, pc.params, sc)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := writeImpactCSV(*out, sim); err != nil {
			return err
		}
	}
	if *in.asJSON {
		return json.NewEncoder(e.stdout).Encode(sim)
	}
	t := sim.Total
	fmt.Fprintf(e.stdout, "scenario %q on %d cases of %s (stored results untouched)\n", sim.Scenario, t.Cases, pc.per.label)
	fmt.Fprintf(e.stdout, "  DRG payments: baseline %s → scenario %s yuan (%+.2f)\n", t.BaselinePayment, t.ScenarioPayment, t.PaymentDiff.Yuan())
	fmt.Fprintf(e.stdout, "  fund outlay:  baseline %s → scenario %s yuan (%+.2f)\n", t.BaselineOutlay, t.ScenarioOutlay, t.OutlayDifference.Yuan())
	fmt.Fprintf(e.stdout, "  %-14s %14s %14s %12s\n", "hospital", "baseline", "scenario", "difference")
	for _, h := range sim.ByHospital {
		fmt.Fprintf(e.stdout, "  %-14s %14s %14s %+12.2f\n", h.Key, h.BaselineOutlay, h.ScenarioOutlay, h.OutlayDifference.Yuan())
	}
	return nil
}

func writeImpactCSV(path string, sim *payment.Simulation) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"scenario", "level", "key", "cases", "baseline_payment", "scenario_payment", "payment_diff", "baseline_fund_outlay", "scenario_fund_outlay", "fund_outlay_diff"})
	for _, part := range []struct {
		level string
		rows  []payment.Impact
	}{{"total", []payment.Impact{sim.Total}}, {"hospital", sim.ByHospital}, {"drg", sim.ByDRG}} {
		for _, r := range part.rows {
			w.Write([]string{sim.Scenario, part.level, r.Key, fmt.Sprint(r.Cases), r.BaselinePayment.String(), r.ScenarioPayment.String(),
				r.PaymentDiff.String(), r.BaselineOutlay.String(), r.ScenarioOutlay.String(), r.OutlayDifference.String()})
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// loadParams reads a payment parameter file, or returns the built-in parameters for "".
func loadParams(path string) (*payment.Params, error) {
	if path == "" {
		return payment.DefaultParams(), nil
	}
	return payment.LoadParams(path)
}
