package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/evaluate"
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

// paymentInputs are the flags settle, simulate and cmi share.
type paymentInputs struct {
	db, scheme, policy, coefficients, weights, reference, period, budget *string
	asJSON                                                               *bool
}

func paymentFlags(fs interface {
	String(string, string, string) *string
	Bool(string, bool, string) *bool
}) paymentInputs {
	return paymentInputs{
		db:           fs.String("db", "", "data directory"),
		scheme:       fs.String("scheme", demoSchemeID, "scheme whose stored groupings are priced: a scheme file, \"demo\", or a stored scheme id"),
		policy:       fs.String("policy", "", "payment policy file or built-in name (docs/payment.md); default: the built-in default"),
		coefficients: fs.String("coefficients", "", "coefficient overlay (hospitals, DRGs, technologies) laid over the policy"),
		weights:      fs.String("weights", "", "reference table weights.csv (yibao weights); default: derived from --reference"),
		reference:    fs.String("reference", "", "reference period for deriving weights (default: the period itself)"),
		period:       fs.String("period", "", "discharge period priced: YYYY or YYYY-MM:YYYY-MM"),
		budget:       fs.String("budget", "", "B: the pooled fund's DRG budget of the period in yuan"),
		asJSON:       fs.Bool("json", false, "JSON output"),
	}
}

type paymentContext struct {
	st      *sqlite.Store
	per     period
	pol     *payment.Policy
	weights *payment.Weights
	rows    []sqlite.CaseRow
	cases   []payment.PayCase
	budget  yibao.Fen
	scheme  string
	version string
}

func (in paymentInputs) load(ctx context.Context, e *env, needBudget bool) (*paymentContext, error) {
	per, err := parsePeriodFlag(*in.period)
	if err != nil {
		return nil, err
	}
	var budget yibao.Fen
	if needBudget {
		if *in.budget == "" {
			return nil, usageError{msg: "--budget YUAN is required: B, the pooled fund's DRG budget of the period"}
		}
		if budget, err = yibao.ParseYuan(*in.budget); err != nil || budget < 0 {
			return nil, usageError{msg: fmt.Sprintf("--budget %q: a non-negative amount in yuan", *in.budget)}
		}
	}
	pol, err := loadPolicy(*in.policy, *in.coefficients)
	if err != nil {
		return nil, err
	}
	if *in.scheme, err = schemeIDOf(e, *in.scheme); err != nil {
		return nil, err
	}
	st, err := sqlite.Open(dataDir(e, *in.db))
	if err != nil {
		return nil, err
	}
	pc := &paymentContext{st: st, per: per, pol: pol, scheme: *in.scheme, budget: budget}
	fail := func(err error) (*paymentContext, error) {
		st.Close()
		return nil, err
	}
	if pc.rows, err = st.CaseRows(ctx, *in.scheme, per.from, per.to); err != nil {
		return fail(err)
	}
	if len(pc.rows) == 0 {
		return fail(fmt.Errorf("no inpatient settlements discharged in %s", per.label))
	}
	reviews, err := st.Reviews(ctx, "", "", "")
	if err != nil {
		return fail(err)
	}
	decided := map[string]sqlite.ReviewRow{}
	for _, r := range reviews {
		decided[r.SetlID] = r
	}
	pc.cases = make([]payment.PayCase, len(pc.rows))
	for i, r := range pc.rows {
		pc.cases[i] = caseOf(r, pol, decided[r.SetlID])
	}
	if *in.weights != "" {
		if pc.weights, err = readWeightsCSV(*in.weights); err != nil {
			return fail(err)
		}
	} else {
		ref := per
		if *in.reference != "" {
			if ref, err = parsePeriodFlag(*in.reference); err != nil {
				return fail(err)
			}
		}
		if pc.weights, err = derivedWeights(ctx, st, *in.scheme, ref, pol); err != nil {
			return fail(err)
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

// statusOf maps a stored grouping outcome to the contract's case status.
func statusOf(r *sqlite.CaseRow) string {
	switch {
	case r.Grouped():
		return payment.StatusGrouped
	case r.Outcome == "no_mdc" || r.Outcome == "qy":
		return payment.StatusUngroupable
	default: // check_failed, or never grouped under the scheme
		return payment.StatusFailed
	}
}

func caseOf(r sqlite.CaseRow, pol *payment.Policy, review sqlite.ReviewRow) payment.PayCase {
	c := payment.PayCase{ID: r.SetlID, Row: r.Row, Hospital: r.Hospital, DRG: r.DRG, ADRG: r.ADRG, Status: statusOf(&r),
		Cost: yibao.Fen(r.Cost), PatientPaid: yibao.Fen(max(0, r.PatientPaid)), Deduction: yibao.Fen(r.Deduction), LOS: r.LOS,
		DischargeWay: r.Disposition, Month: int(r.Discharge.Month()),
		Benefit: &payment.BenefitCase{ID: r.SetlID, InsuType: r.InsuType, Level: r.Level, Person: r.Person, Discharge: r.Discharge}}
	if !pol.Deductions.FindingAmounts {
		c.Deduction = 0
	}
	for _, cat := range strings.Split(r.Confirmed, ",") {
		if _, ok := pol.Deductions.Void[cat]; ok && cat != "" {
			c.Void = cat
			break
		}
	}
	if review.Status == "approved" || review.Status == "rejected" {
		c.Review = review.Status
		if review.Points != nil {
			c.DecidedPoints = payment.Points(*review.Points)
		}
	}
	return c
}

func derivedWeights(ctx context.Context, st *sqlite.Store, scheme string, ref period, pol *payment.Policy) (*payment.Weights, error) {
	rows, err := st.CaseRows(ctx, scheme, ref.from, ref.to)
	if err != nil {
		return nil, err
	}
	rc := make([]payment.RefCase, 0, len(rows))
	grouped := 0
	for i := range rows {
		r := &rows[i]
		rc = append(rc, payment.RefCase{ID: r.SetlID, DRG: r.DRG, ADRG: r.ADRG, Status: statusOf(r), Cost: yibao.Fen(r.Cost), LOS: r.LOS,
			Year: r.Discharge.Year()})
		if r.Grouped() {
			grouped++
		}
	}
	if grouped == 0 {
		return nil, fmt.Errorf("no cases grouped with %s in the reference period %s: run yibao group --db first", scheme, ref.label)
	}
	w, err := payment.BuildReference(rc, pol, nil)
	if err != nil {
		return nil, err
	}
	w.Version, w.Scheme, w.Period = "local-"+ref.label, scheme, ref.label
	return w, nil
}

func runWeights(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "weights", "weights --in reference.csv --out weights.csv [--policy FILE] [--official FILE] | weights --db DIR --period YYYY [--scheme ID] [--policy FILE] --out weights.csv")
	in := fs.String("in", "", "reference.csv (file mode): id,hospital,drg,adrg,status,cost,los,dscg_way,patient_paid[,year]")
	db := fs.String("db", "", "data directory (store mode)")
	scheme := fs.String("scheme", demoSchemeID, "scheme whose stored groupings give the weights (store mode): a scheme file, \"demo\", or a stored scheme id")
	policy := fs.String("policy", "", "payment policy file or built-in name (reference rules)")
	official := fs.String("official", "", "official table (drg,rw) laid over the computed weights")
	per := fs.String("period", "", "reference period (store mode): YYYY or YYYY-MM:YYYY-MM")
	out := fs.String("out", "", "weights.csv to write")
	asJSON := fs.Bool("json", false, "JSON summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in != "" {
		return runWeightsFile(e, *in, *out, *policy, *official, *asJSON)
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
	pol, err := loadPolicy(*policy, "")
	if err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	w, err := derivedWeights(ctx, st, *scheme, ref, pol)
	if err != nil {
		return err
	}
	if *official != "" {
		return usageError{msg: "--official applies in file mode (--in); in store mode pass the official table to settle as --weights"}
	}
	if err := writeWeightsCSV(*out, w); err != nil {
		return err
	}
	return reportWeights(e, w, pol, *asJSON)
}

// storedSettlement is what a settle run keeps per hospital: the account and its clearing.
type storedSettlement struct {
	payment.HospitalPay
	Clearing *payment.HospitalClearing `json:"clearing,omitempty"`
}

// runSettle prices the period's cases by the policy, settles the hospitals at the point
// value, queues special-review cases, computes prepayment and clearing, and stores the run.
func runSettle(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "settle", "settle --db DIR --period YYYY --budget YUAN [--policy FILE] [--coefficients FILE] [--weights FILE | --reference YYYY] [--json]")
	in := paymentFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pc, err := in.load(ctx, e, true)
	if err != nil {
		return err
	}
	defer pc.st.Close()
	res, err := payment.Pay(pc.cases, pc.weights, pc.pol, pc.budget)
	if err != nil {
		return err
	}
	var queue []sqlite.ReviewRow
	for _, c := range res.Cases {
		if c.Reason != "" {
			queue = append(queue, sqlite.ReviewRow{SetlID: c.ID, Row: c.Row, Hospital: c.Hospital, Period: pc.per.label, DRG: c.DRG,
				Reason: c.Reason, CostFen: int64(c.Cost)})
		}
	}
	queued, err := pc.st.QueueReviews(ctx, queue)
	if err != nil {
		return err
	}
	grades, _, gerr := pc.st.LatestGrades(ctx, pc.per.label)
	if gerr != nil {
		grades = nil // no evaluation yet: deposits return at the policy's ungraded share
	}
	clearings, err := payment.ClearYear(res, pc.pol, grades)
	if err != nil {
		return err
	}
	rows := make([]sqlite.CasePaymentRow, len(res.Cases))
	for i := range res.Cases {
		p := &res.Cases[i]
		rows[i] = sqlite.CasePaymentRow{Row: p.Row, SetlID: p.ID, Hospital: p.Hospital, DRG: p.DRG, Kind: p.Kind, RW: int64(p.RW),
			Coefficient: int64(p.K), Payment: int64(p.Amount), Cost: int64(p.Cost), Patient: int64(p.CountedPatientPaid()),
			Fund: int64(p.FundPaid), Points: int64(p.Points), Deduction: int64(p.Deductions())}
	}
	sets := map[string]any{}
	for i, h := range res.Hospitals {
		sets[h.Hospital] = storedSettlement{HospitalPay: h, Clearing: &clearings[i]}
	}
	id, err := pc.st.PutPaymentRun(ctx, sqlite.PaymentRun{Kind: "settle", Period: pc.per.label, Scheme: pc.scheme, SchemeVersion: pc.version,
		Params: pc.pol.Version, WeightsVer: pc.weights.Version, BaseRate: map[string]any{"point_value": res.PointValue(6), "budget_fen": res.Budget},
		ParamsJSON: pc.pol, WeightsJSON: pc.weights, PointValue: res.PointValue(6)}, rows, sets)
	if err != nil {
		return err
	}
	if *in.asJSON {
		cmi := payment.CMI(res.Cases, func(p *payment.PricedCase) payment.Ratio { return p.RW }, func(p *payment.PricedCase) string { return p.Hospital })
		return json.NewEncoder(e.stdout).Encode(map[string]any{"run": id, "period": pc.per.label, "policy": pc.pol.Version,
			"weights": pc.weights.Version, "point_value": res.PointValue(6), "result": res, "clearing": clearings,
			"special_review_queued": queued, "grades_found": gerr == nil, "cmi": cmi})
	}
	fmt.Fprintf(e.stdout, "run %d: %d cases discharged in %s, policy %s, weights %s, B = %s yuan\n",
		id, len(res.Cases), pc.per.label, pc.pol.Version, pc.weights.Version, res.Budget)
	printPayment(e.stdout, res)
	if gerr != nil {
		fmt.Fprintf(e.stdout, "  no evaluation grades for %s: deposits return at the ungraded share %s\n", pc.per.label, pc.pol.Clearing.Ungraded)
	}
	fmt.Fprintf(e.stdout, "  special-review queue: %d new, %d pending (yibao review list --period %s)\n", queued, res.Pending, pc.per.label)
	names := map[string]string{}
	if hs, err := pc.st.Hospitals(ctx); err == nil { // the registry's names; a missing registry leaves codes only
		for _, h := range hs {
			names[h.Code] = h.Name
		}
	}
	printHospitalTable(e.stdout, res, clearings, names)
	return nil
}

func printHospitalTable(w io.Writer, res *payment.Result, clearings []payment.HospitalClearing, names map[string]string) {
	fmt.Fprintf(w, "  %-10s %6s %14s %14s %12s %11s %13s %4s %12s %12s %10s %12s %s %s\n", "hospital", "cases", "points", "amount A", "patients P",
		"deduction", "fund F", "特例", "prepaid", "withheld", "returned", "clearing due", "评价等级", "名称")
	for i, h := range res.Hospitals {
		c := clearings[i]
		fmt.Fprintf(w, "  %-10s %6d %14s %14s %12s %11s %13s %4d %12s %12s %10s %12s %s %s\n", h.Hospital, h.Cases, h.Points, h.Settled, h.PatientPaid,
			h.Deduction, h.FundPaid, h.Review.Pending, c.Prepaid, c.Withheld, c.Returned, c.Due, gradeName(c.Grade), names[h.Hospital])
	}
}

func runSimulate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "simulate", "simulate --db DIR --period YYYY --budget YUAN --scenario FILE [--policy FILE] [--weights FILE] [--out impact.csv] [--json]")
	in := paymentFlags(fs)
	scenarioPath := fs.String("scenario", "", "scenario file (docs/payment.md)")
	out := fs.String("out", "", "write the impact per hospital and DRG as CSV")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *scenarioPath == "" {
		return usageError{msg: "--scenario is required"}
	}
	sc, err := loadScenario(*scenarioPath)
	if err != nil {
		return err
	}
	pc, err := in.load(ctx, e, true)
	if err != nil {
		return err
	}
	defer pc.st.Close()
	sim, err := payment.Simulate(pc.cases, pc.weights, pc.pol, pc.budget, sc)
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
	printSimulation(e.stdout, sim, pc.per.label)
	return nil
}

func loadScenario(path string) (*payment.Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	sc, err := payment.ParseScenario(b)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return sc, nil
}

func printSimulation(w io.Writer, sim *payment.Simulation, label string) {
	t := sim.Total
	fmt.Fprintf(w, "scenario %q on %d cases of %s (stored results untouched); point value %s → %s\n", sim.Scenario, t.Cases, label, sim.BaselinePV, sim.ScenarioPV)
	fmt.Fprintf(w, "  amounts:     baseline %s → scenario %s yuan (%+.2f)\n", t.BaselinePayment, t.ScenarioPayment, t.PaymentDiff.Yuan())
	fmt.Fprintf(w, "  fund outlay: baseline %s → scenario %s yuan (%+.2f)\n", t.BaselineOutlay, t.ScenarioOutlay, t.OutlayDifference.Yuan())
	for _, n := range sim.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	for _, k := range sim.Knobs {
		fmt.Fprintf(w, "  knob %-13s %d hospitals changed, %s yuan moved, total %+.2f", k.Knob, k.HospitalsChanged, k.MovedFen, k.TotalDiffFen.Yuan())
		if k.Note != "" {
			fmt.Fprintf(w, " — %s", k.Note)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  %-14s %14s %14s %12s\n", "hospital", "baseline", "scenario", "difference")
	for _, h := range sim.ByHospital {
		fmt.Fprintf(w, "  %-14s %14s %14s %+12.2f\n", h.Key, h.BaselineOutlay, h.ScenarioOutlay, h.OutlayDifference.Yuan())
	}
}

func writeImpactCSV(path string, sim *payment.Simulation) error {
	return writeAtomic(path, func(f io.Writer) error {
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
		return w.Error()
	})
}

// loadParams reads a payment parameter file (DIP and the evaluation), or returns the
// built-in parameters for "".
func loadParams(path string) (*payment.Params, error) {
	if path == "" {
		return payment.DefaultParams(), nil
	}
	return payment.LoadParams(path)
}

// gradeName is a grade's Chinese name (the stored grades are ids; policies may name them in
// Chinese already).
func gradeName(g string) string {
	if n, ok := evaluate.GradeZh[g]; ok {
		return n
	}
	return g
}
