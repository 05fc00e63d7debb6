package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/dip"
	"github.com/yibao-dev/yibao/dip/dipfile"
	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/payment"
	"github.com/yibao-dev/yibao/store/sqlite"
)

func runDIP(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "build":
			return runDIPBuild(ctx, e, args[1:])
		case "pay":
			return runDIPPay(ctx, e, args[1:])
		case "assign":
			return runDIPAssign(ctx, e, args[1:])
		case "settle":
			return runDIPSettle(ctx, e, args[1:])
		}
	}
	fmt.Fprintln(e.stderr, "Usage: yibao dip build --in reference.csv --out catalogue.csv [--policy FILE]\n"+
		"       yibao dip pay --catalogue catalogue.csv --in cases.csv --budget YUAN --out payments.csv [--hospitals hospitals.csv] [--policy FILE]\n"+
		"       yibao dip build --db DIR [--from YYYY-MM --to YYYY-MM] --out catalogue.csv [--policy FILE]\n"+
		"       yibao dip assign --db DIR --catalogue catalogue.csv [--json]\n"+
		"       yibao dip settle --db DIR --catalogue catalogue.csv --period YYYY --budget YUAN [--policy FILE] [--reviews FILE] [--out payments.csv] [--json]")
	return usageError{}
}

// parsePeriod turns YYYY-MM bounds into [from, to) with to the first day after the month.
func parsePeriod(from, to string) (time.Time, time.Time, error) {
	var f, t time.Time
	var err error
	if from != "" {
		if f, err = time.Parse("2006-01", from); err != nil {
			return f, t, usageError{msg: fmt.Sprintf("--from %q is not YYYY-MM", from)}
		}
	}
	if to != "" {
		if t, err = time.Parse("2006-01", to); err != nil {
			return f, t, usageError{msg: fmt.Sprintf("--to %q is not YYYY-MM", to)}
		}
		t = t.AddDate(0, 1, 0)
	}
	if !f.IsZero() && !t.IsZero() && !f.Before(t) {
		return f, t, usageError{msg: "--from must not be after --to"}
	}
	return f, t, nil
}

// dipPolicyFile is where dip build keeps the policy it used, beside the catalogue, so that
// dip pay applies the same rules without being told.
func dipPolicyFile(catalogue string) string {
	return strings.TrimSuffix(catalogue, filepath.Ext(catalogue)) + ".policy.json"
}

// loadDIPEngine reads a policy file (built-in default when path is empty) and the files it
// names, relative to the policy file's directory. It returns the policy as written beside a
// catalogue, with those paths made absolute so that the copy works from anywhere.
func loadDIPEngine(path string) (*dip.Engine, []byte, error) {
	p := dip.DefaultPolicy()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("DIP policy: %w", err)
		}
		if p, err = dip.ParsePolicy(b); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, v := range []*string{&p.Rules.ProcedureClasses.Value, &p.Rules.SeverityScheme.Value} {
			if *v != "" && !strings.HasPrefix(*v, "builtin") && !filepath.IsAbs(*v) {
				abs, err := filepath.Abs(filepath.Join(filepath.Dir(path), *v))
				if err != nil {
					return nil, nil, err
				}
				*v = abs
			}
		}
	}
	eng, err := dip.NewEngine(p, os.ReadFile)
	if err != nil {
		return nil, nil, err
	}
	b, err := json.MarshalIndent(p, "", " ")
	if err != nil {
		return nil, nil, err
	}
	return eng, append(b, '\n'), nil
}

// writeAtomic writes a file through a temporary file and a rename, so that a failure leaves
// no half-written output.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func readDIPCases(path string, payment bool) ([]dip.Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return dipfile.ReadCases(f, path, payment)
}

func readDIPCatalogue(path string) (*dip.Catalogue, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("DIP catalogue: %w", err)
	}
	defer f.Close()
	return dipfile.ReadCatalogue(f, path)
}

// engineForCatalogue picks the policy to apply a catalogue with: --policy, else the policy
// saved beside the catalogue by dip build, else the built-in default; its version must be
// the catalogue's.
func engineForCatalogue(policyFlag, catalogue string, cat *dip.Catalogue) (*dip.Engine, error) {
	path := policyFlag
	if path == "" {
		if _, err := os.Stat(dipPolicyFile(catalogue)); err == nil {
			path = dipPolicyFile(catalogue)
		}
	}
	eng, _, err := loadDIPEngine(path)
	if err != nil {
		return nil, err
	}
	if cat.Policy != "" && eng.Policy.Version != cat.Policy {
		return nil, fmt.Errorf("catalogue %s was built with DIP policy %s but the policy in use is %s: pass that policy with --policy", catalogue, cat.Policy, eng.Policy.Version)
	}
	return eng, nil
}

func writeDIPCatalogue(e *env, eng *dip.Engine, policyJSON []byte, cat *dip.Catalogue, out string, asJSON bool) error {
	if err := writeAtomic(out, func(w io.Writer) error { return dipfile.WriteCatalogue(w, cat) }); err != nil {
		return err
	}
	if err := writeAtomic(dipPolicyFile(out), func(w io.Writer) error { _, err := w.Write(policyJSON); return err }); err != nil {
		return err
	}
	core, comp := cat.Counts()
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"policy": eng.Policy.Version, "core": core, "comprehensive": comp,
			"region_wide": len(dip.Classes), "overall_mean_fen": cat.OverallMean, "catalogue": out, "policy_copy": dipPolicyFile(out)})
	}
	fmt.Fprintf(e.stdout, "DIP 目录库 catalogue (policy %s): %d core groups (核心病种), %d comprehensive groups (综合病种, incl. %d region-wide), overall mean %s yuan → %s (policy copy %s)\n",
		eng.Policy.Version, core, comp, len(dip.Classes), cat.OverallMean, out, dipPolicyFile(out))
	return nil
}

func runDIPBuild(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "dip build", "dip build (--in reference.csv | --db DIR [--from YYYY-MM --to YYYY-MM]) --out catalogue.csv [--policy FILE] [--json]")
	in := fs.String("in", "", "reference case file (CSV)")
	db := fs.String("db", "", "data directory (build from stored settlements instead of --in)")
	from := fs.String("from", "", "with --db: first month of the reference period (YYYY-MM)")
	to := fs.String("to", "", "with --db: last month of the reference period (YYYY-MM)")
	policy := fs.String("policy", "", "DIP policy file (default: the built-in policy, docs/dip.md)")
	out := fs.String("out", "", "catalogue file to write (CSV)")
	asJSON := fs.Bool("json", false, "JSON summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{msg: "--out is required"}
	}
	eng, policyJSON, err := loadDIPEngine(*policy)
	if err != nil {
		return err
	}
	var cases []dip.Case
	if *in != "" {
		if cases, err = readDIPCases(*in, false); err != nil {
			return err
		}
	} else {
		f, t, err := parsePeriod(*from, *to)
		if err != nil {
			return err
		}
		st, err := sqlite.Open(dataDir(e, *db))
		if err != nil {
			return err
		}
		defer st.Close()
		sc, err := storedDIPCases(ctx, st, sqlite.Filter{InpatientOnly: true, From: f, To: t})
		if err != nil {
			return err
		}
		for _, c := range sc {
			if len(c.Diagnoses) == 0 || c.Diagnoses[0] == "" || c.Cost <= 0 {
				continue // a reference set needs a principal diagnosis and a cost; counted below
			}
			cases = append(cases, c.Case)
		}
		if skipped := len(sc) - len(cases); skipped > 0 {
			fmt.Fprintf(e.stdout, "%d stored stays without a principal diagnosis or cost left out of the reference set\n", skipped)
		}
	}
	cat, err := eng.Build(cases)
	if err != nil {
		return err
	}
	return writeDIPCatalogue(e, eng, policyJSON, cat, *out, *asJSON)
}

func runDIPPay(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "dip pay", "dip pay --catalogue catalogue.csv --in cases.csv --budget YUAN --out payments.csv [--hospitals hospitals.csv] [--policy FILE] [--json]")
	catPath := fs.String("catalogue", "", "DIP catalogue (CSV from dip build)")
	in := fs.String("in", "", "cases to pay (CSV)")
	budgetS := fs.String("budget", "", "the pooled fund's DIP budget B in yuan")
	out := fs.String("out", "", "payments file to write (CSV)")
	hospitals := fs.String("hospitals", "", "hospital totals file to write (CSV)")
	policy := fs.String("policy", "", "DIP policy (default: the one saved beside the catalogue, else the built-in)")
	asJSON := fs.Bool("json", false, "JSON summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *catPath == "" || *in == "" || *budgetS == "" || *out == "" {
		return usageError{msg: "--catalogue, --in, --budget and --out are required"}
	}
	budget, err := yibao.ParseYuan(*budgetS)
	if err != nil || budget < 0 {
		return usageError{msg: fmt.Sprintf("--budget %q is not a non-negative amount in yuan", *budgetS)}
	}
	cat, err := readDIPCatalogue(*catPath)
	if err != nil {
		return err
	}
	eng, err := engineForCatalogue(*policy, *catPath, cat)
	if err != nil {
		return err
	}
	cases, err := readDIPCases(*in, true)
	if err != nil {
		return err
	}
	s, err := priceAndSettle(ctx, eng, cat, cases, budget)
	if err != nil {
		return err
	}
	if err := writeAtomic(*out, func(w io.Writer) error { return dipfile.WritePayments(w, s) }); err != nil {
		return err
	}
	if *hospitals != "" {
		if err := writeAtomic(*hospitals, func(w io.Writer) error { return dipfile.WriteHospitals(w, s) }); err != nil {
			return err
		}
	}
	return reportDIP(e, eng.Policy.Version, s, *asJSON, nil)
}

func priceAndSettle(ctx context.Context, eng *dip.Engine, cat *dip.Catalogue, cases []dip.Case, budget yibao.Fen) (*dip.Settlement, error) {
	priced := make([]dip.Priced, len(cases))
	for i := range cases {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		p, err := eng.Price(cat, &cases[i])
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", cases[i].ID, err)
		}
		priced[i] = p
	}
	return dip.Settle(priced, budget)
}

type dipSummary struct {
	Policy      string                   `json:"policy"`
	Cases       int                      `json:"cases"`
	Kinds       map[string]int           `json:"kinds"`
	Routes      map[string]int           `json:"routes"`
	Budget      yibao.Fen                `json:"budget_fen"`
	PatientPaid yibao.Fen                `json:"patient_paid_fen"`
	Total       yibao.Fen                `json:"total_fen"`
	AmountSum   yibao.Fen                `json:"amount_sum_fen"`
	PointValue  string                   `json:"point_value"`
	Points      payment.Points           `json:"points"`
	Hospitals   []payment.HospitalPoints `json:"hospitals"`
	Clearing    []dip.HospitalClearing   `json:"clearing,omitempty"`
}

func reportDIP(e *env, policy string, s *dip.Settlement, asJSON bool, clearing []dip.HospitalClearing) error {
	var sum yibao.Fen
	for _, c := range s.Cases {
		sum += c.Amount
	}
	sm := dipSummary{Policy: policy, Cases: len(s.Cases), Kinds: s.Kinds, Routes: s.Routes, Budget: s.Points.Budget, PatientPaid: s.Points.PatientPaid,
		Total: s.Points.Total(), AmountSum: sum, PointValue: s.Points.PointValueString(6), Points: s.Points.TotalPoints,
		Hospitals: s.Points.Hospitals, Clearing: clearing}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(sm)
	}
	fmt.Fprintf(e.stdout, "DIP 按病种分值付费: %d cases — 正常 normal %d, 费用超低 low %d, 费用超高 high %d, 特例单议 special review %d; groups: core %d, comprehensive %d, region-wide comprehensive %d\n",
		len(s.Cases), s.Kinds[dip.KindNormal], s.Kinds[dip.KindLow], s.Kinds[dip.KindHigh], s.Kinds[dip.KindSpecialReview],
		s.Routes["core"], s.Routes["comprehensive"], s.Routes["catch-all"])
	eq := "="
	if sum != s.Points.Total() {
		eq = "≠"
	}
	fmt.Fprintf(e.stdout, "点值 point value PV = (B + P) / T = (%s + %s) / %s = %s yuan per point; Σ amounts %s %s B + P %s\n",
		s.Points.Budget, s.Points.PatientPaid, s.Points.TotalPoints, s.Points.PointValueString(6), sum, eq, s.Points.Total())
	if len(clearing) > 0 {
		var adv, held, ret, due, fund yibao.Fen
		for _, c := range clearing {
			adv += c.Clearing.Prepaid
			held += c.Clearing.Withheld
			ret += c.Clearing.Returned
			due += c.Clearing.Due
			fund += c.Clearing.FundPaid
		}
		fmt.Fprintf(e.stdout, "基金支付 fund payment %s; 月度预付 prepaid %s, 质量保证金 withheld %s, returned %s; 年终清算 due %s (all hospitals)\n", fund, adv, held, ret, due)
	}
	fmt.Fprintf(e.stdout, "  %-14s %6s %14s %14s %14s %12s %14s\n", "hospital", "cases", "points", "amount", "patient_paid", "deduction", "fund_paid")
	for _, h := range s.Points.Hospitals {
		fmt.Fprintf(e.stdout, "  %-14s %6d %14s %14s %14s %12s %14s\n", h.Hospital, h.Cases, h.Points, h.Amount, h.PatientPaid, h.Deduction, h.FundPaid)
	}
	if len(clearing) > 0 {
		fmt.Fprintf(e.stdout, "  %-14s %6s %14s %14s %14s %14s\n", "年终清算", "grade", "prepaid", "withheld", "returned", "due")
		for _, c := range clearing {
			fmt.Fprintf(e.stdout, "  %-14s %6s %14s %14s %14s %14s\n", c.Hospital, c.Grade, c.Clearing.Prepaid, c.Clearing.Withheld, c.Clearing.Returned, c.Clearing.Due)
		}
	}
	return nil
}

// storedCase is a stored settlement as a DIP case, with where it came from.
type storedCase struct {
	dip.Case
	Row   int64
	Month int
}

// storedDIPCases reads current settlements as DIP cases: level from the registry (else the
// settlement's), the patient's payment = medfee_sumamt − pooled fund (hifp_payamt) − other
// funds (大病保险, 医疗救助 …), as the settlement document states it and as DRG payment takes it.
func storedDIPCases(ctx context.Context, st *sqlite.Store, f sqlite.Filter) ([]storedCase, error) {
	hs, err := st.Hospitals(ctx)
	if err != nil {
		return nil, err
	}
	level := map[string]int{}
	for _, h := range hs {
		level[h.Code] = h.Level
	}
	var out []storedCase
	err = st.EachCurrent(ctx, f, func(s sqlite.StoredSettlement) error {
		c := dip.Case{ID: s.ID, Age: s.Patient.Age, AgeDays: s.Patient.AgeDays, LOS: s.LOS, Discharge: s.Disposition,
			Hospital: s.Hospital, Cost: s.Pay.Total, Paid: s.Pay.Total - s.Pay.Fund - s.Pay.Other, Year: strconv.Itoa(s.Discharge.Year())}
		l := level[s.Hospital]
		if l == 0 {
			l = s.SettlementLevel
		}
		if l > 0 {
			c.Level = strconv.Itoa(l)
		}
		if pdx := s.PrincipalDiagnosis(); pdx != "" {
			c.Diagnoses = append(c.Diagnoses, pdx)
		} else {
			c.Diagnoses = append(c.Diagnoses, "")
		}
		for _, d := range s.Diagnoses {
			if !d.Principal {
				c.Diagnoses = append(c.Diagnoses, d.Code)
			}
		}
		for _, p := range s.Procedures {
			c.Procedures = append(c.Procedures, p.Code)
		}
		out = append(out, storedCase{Case: c, Row: s.Row, Month: int(s.Discharge.Month())})
		return nil
	})
	return out, err
}

func runDIPAssign(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "dip assign", "dip assign --db DIR --catalogue catalogue.csv [--policy FILE] [--json]")
	db := fs.String("db", "", "data directory")
	path := fs.String("catalogue", "", "DIP catalogue (CSV from dip build)")
	policy := fs.String("policy", "", "DIP policy (default: the one saved beside the catalogue)")
	asJSON := fs.Bool("json", false, "JSON summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *path == "" {
		return usageError{msg: "--catalogue is required"}
	}
	cat, err := readDIPCatalogue(*path)
	if err != nil {
		return err
	}
	eng, err := engineForCatalogue(*policy, *path, cat)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	cases, err := storedDIPCases(ctx, st, sqlite.Filter{InpatientOnly: true})
	if err != nil {
		return err
	}
	version := cat.Policy + "/" + filepath.Base(*path)
	summary := struct {
		Catalogue string         `json:"catalogue"`
		Cases     int            `json:"cases"`
		Routes    map[string]int `json:"routes"`
	}{Catalogue: version, Cases: len(cases), Routes: map[string]int{}}
	rows := make([]sqlite.DIPRow, len(cases))
	for i := range cases {
		a, err := eng.Assign(cat, &cases[i].Case)
		if err != nil {
			return fmt.Errorf("case %s: %w", cases[i].ID, err)
		}
		rows[i] = sqlite.DIPRow{Row: cases[i].Row, SetlID: cases[i].ID, Catalogue: version, Group: a.Group.Code,
			Score: a.Group.Score.Float(), Reason: a.Route}
		summary.Routes[a.Route]++
	}
	if err := st.PutDIP(ctx, rows); err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(summary)
	}
	fmt.Fprintf(e.stdout, "DIP %s: %d cases — %d in core groups, %d in comprehensive groups, %d in region-wide comprehensive groups (none left out)\n",
		version, summary.Cases, summary.Routes["core"], summary.Routes["comprehensive"], summary.Routes["catch-all"])
	return nil
}

func runDIPSettle(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "dip settle", "dip settle --db DIR --catalogue FILE --period YYYY --budget YUAN [--policy FILE] [--reviews FILE] [--out payments.csv] [--json]")
	db := fs.String("db", "", "data directory")
	path := fs.String("catalogue", "", "DIP catalogue (CSV from dip build)")
	per := fs.String("period", "", "year settled: YYYY")
	budgetS := fs.String("budget", "", "the pooled fund's DIP budget B in yuan")
	policy := fs.String("policy", "", "DIP policy (default: the one saved beside the catalogue)")
	out := fs.String("out", "", "also write the case payments (CSV)")
	reviews := fs.String("reviews", "", "special-review decisions and deductions: CSV id,review[,deduction]")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *path == "" || *budgetS == "" {
		return usageError{msg: "--catalogue and --budget are required"}
	}
	budget, err := yibao.ParseYuan(*budgetS)
	if err != nil || budget < 0 {
		return usageError{msg: fmt.Sprintf("--budget %q is not a non-negative amount in yuan", *budgetS)}
	}
	pr, err := parsePeriodFlag(*per)
	if err != nil {
		return err
	}
	cat, err := readDIPCatalogue(*path)
	if err != nil {
		return err
	}
	eng, err := engineForCatalogue(*policy, *path, cat)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	sc, err := storedDIPCases(ctx, st, sqlite.Filter{InpatientOnly: true, From: pr.from, To: pr.to})
	if err != nil {
		return err
	}
	var decisions map[string]dipfile.Decision
	if *reviews != "" {
		f, err := os.Open(*reviews)
		if err != nil {
			return err
		}
		decisions, err = dipfile.ReadDecisions(f, *reviews)
		f.Close()
		if err != nil {
			return err
		}
	}
	cases := make([]dip.Case, len(sc))
	for i := range sc {
		cases[i] = sc[i].Case
		if d, ok := decisions[cases[i].ID]; ok {
			cases[i].Review, cases[i].Deduction = d.Review, d.Deduction
			delete(decisions, cases[i].ID)
		}
	}
	if len(decisions) > 0 {
		return fmt.Errorf("%s: %d decision(s) for cases not settled in %s", *reviews, len(decisions), pr.label)
	}
	s, err := priceAndSettle(ctx, eng, cat, cases, budget)
	if err != nil {
		return err
	}
	var monthly []dip.MonthPoints
	for i, c := range s.Cases {
		if c.Earning {
			monthly = append(monthly, dip.MonthPoints{Hospital: c.Case.Hospital, Month: sc[i].Month, Points: c.Points})
		}
	}
	// The deposit of a year is returned by that year's evaluation grade, as in the DRG clearing
	// (yibao settle): a region paying some hospitals by DRG and others by DIP returns both by
	// the same assessment. Without an evaluation of the year the policy's default grade applies.
	grades := map[string]string{}
	gradeYear := strconv.Itoa(pr.from.Year())
	g, _, gerr := st.LatestGrades(ctx, gradeYear)
	if gerr == nil {
		for h, grade := range g {
			if zh, ok := evaluate.GradeZh[grade]; ok {
				grade = zh
			}
			grades[h] = grade
		}
	}
	clearing, err := eng.Policy.Clear(s, 12, monthly, grades)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := writeAtomic(*out, func(w io.Writer) error { return dipfile.WritePayments(w, s) }); err != nil {
			return err
		}
	}
	id, err := st.PutDIPRun(ctx, dipRun(pr.label, filepath.Base(*path), eng.Policy.Version, s, clearing))
	if err != nil {
		return err
	}
	if !*asJSON {
		fmt.Fprintf(e.stdout, "DIP run %d, %s with catalogue %s (policy %s)\n", id, pr.label, filepath.Base(*path), eng.Policy.Version)
		if gerr != nil || len(g) == 0 {
			fmt.Fprintf(e.stdout, "  no evaluation grades for %s: deposits return at the default grade %s\n", gradeYear, eng.Policy.Rules.DefaultGrade.Value)
		}
	}
	return reportDIP(e, eng.Policy.Version, s, *asJSON, clearing)
}

// dipRun is the stored form of a settlement, for the cockpit.
func dipRun(period, catalogue, policy string, s *dip.Settlement, clearing []dip.HospitalClearing) sqlite.DIPRun {
	r := sqlite.DIPRun{Period: period, Catalogue: catalogue, Policy: policy, Budget: int64(s.Points.Budget),
		PatientPaid: int64(s.Points.PatientPaid), TotalPoints: int64(s.Points.TotalPoints), PointValue: s.Points.PointValueString(6)}
	idx := map[string]int{}
	for i, h := range s.Points.Hospitals {
		idx[h.Hospital] = i
		r.Hospitals = append(r.Hospitals, sqlite.DIPHospitalRun{Hospital: h.Hospital, Cases: h.Cases, Kinds: map[string]int{}, Routes: map[string]int{},
			Points: h.Points.String(), Amount: int64(h.Amount), PatientPaid: int64(h.PatientPaid), Deduction: int64(h.Deduction), FundPaid: int64(h.FundPaid)})
	}
	for _, c := range s.Cases {
		h := &r.Hospitals[idx[c.Case.Hospital]]
		h.Kinds[c.Kind]++
		h.Routes[c.Route]++
	}
	for _, c := range clearing {
		h := &r.Hospitals[idx[c.Hospital]]
		h.Prepaid, h.Withheld, h.Returned, h.Due, h.Grade = int64(c.Clearing.Prepaid), int64(c.Clearing.Withheld), int64(c.Clearing.Returned), int64(c.Clearing.Due), c.Grade
	}
	return r
}
