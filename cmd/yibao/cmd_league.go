package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/indicators"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// runLeague ranks the departments or doctors of one hospital for a period (a month for the
// performance office's monthly table): top 10% rewarded, bottom 10% warned.
func runLeague(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "evaluate league", "evaluate league --db DIR --hospital H --period YYYY-MM[:YYYY-MM] [--by department|doctor] [--json]")
	db := fs.String("db", "", "data directory")
	hospital := fs.String("hospital", "", "hospital code")
	per := fs.String("period", "", "month (YYYY-MM) or span")
	by := fs.String("by", "department", "department or doctor")
	scheme := fs.String("scheme", demoSchemeID, "scheme whose groupings are used: a scheme file, \"demo\", or a stored scheme id")
	minCases := fs.Int("min-cases", 5, "units with fewer cases are left out of the table")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if id, err := schemeIDOf(e, *scheme); err != nil {
		return err
	} else {
		*scheme = id
	}
	if *hospital == "" || (*by != "department" && *by != "doctor") {
		return usageError{msg: "--hospital is required and --by is department or doctor"}
	}
	pr, err := parsePeriodFlag(*per)
	if err != nil {
		return err
	}
	sys, err := evaluate.UnitSystem()
	if err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	q, err := indicatorQuery(ctx, st, *scheme, pr, nil, *by, *hospital)
	if err != nil {
		return err
	}
	q.Policy = sys.Policy
	out, err := indicators.Compute(ctx, st.IndicatorSource(), q)
	if err != nil {
		return fmt.Errorf("%s league of %s, %s: %w", *by, *hospital, pr.label, err)
	}
	facts := out.Facts
	kept := facts[:0]
	for _, f := range facts {
		if f.Cases >= *minCases {
			kept = append(kept, f)
		}
	}
	facts = kept
	if len(facts) == 0 {
		return fmt.Errorf("hospital %s has no %s with %d or more inpatient settlements discharged in %s", *hospital, *by, *minCases, pr.label)
	}
	results, err := sys.Evaluate(facts)
	if err != nil {
		return err
	}
	cases := map[string]int{}
	for _, f := range facts {
		cases[f.Hospital] = f.Cases
	}
	league := evaluate.League(results, cases, sys.Linkage.TopShare, sys.Linkage.BottomShare)
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(league)
	}
	fmt.Fprintf(e.stdout, "%s league of %s, %s (%d units)\n", *by, *hospital, pr.label, len(league))
	for i, l := range league {
		flag := map[string]string{"reward": "奖励", "warning": "预警"}[l.Flag]
		fmt.Fprintf(e.stdout, "  %3d %-22s %5d cases  score %6.2f  closeness %.4f  %s\n", i+1, l.Unit, l.Cases, l.Score, l.Closeness, flag)
	}
	return nil
}

// runCredit scores staff by the points system of 医保发〔2024〕23号 from confirmed findings
// and rates hospitals on the credit item table (信用评价), which is not the performance grade.
func runCredit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "evaluate credit", "evaluate credit --db DIR --period YYYY [--policy FILE] [--json]")
	db := fs.String("db", "", "data directory")
	per := fs.String("period", "", "year")
	policyPath := fs.String("policy", "", "credit policy (default: evaluate/credit.json)")
	scheme := fs.String("scheme", demoSchemeID, "scheme whose groupings the facts use")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pr, err := parsePeriodFlag(*per)
	if err != nil {
		return err
	}
	pol, err := evaluate.DefaultCreditPolicy()
	if *policyPath != "" {
		pol, err = evaluate.LoadCreditPolicy(*policyPath)
	}
	if err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	cf, err := st.ConfirmedFindings(ctx, pr.from, pr.to)
	if err != nil {
		return err
	}
	vs := make([]evaluate.Violation, len(cf))
	hospitalOf := map[string]string{}
	for i, c := range cf {
		vs[i] = evaluate.Violation{Person: c.Doctor, Hospital: c.Hospital, SetlID: c.SetlID, Category: c.Category, At: c.Discharge}
		hospitalOf[c.Doctor] = c.Hospital
	}
	people, err := pol.PersonPoints(vs)
	if err != nil {
		return err
	}
	sanctioned := map[string]int{}
	for _, p := range people {
		if p.Status != "normal" {
			sanctioned[hospitalOf[p.Person]]++
		}
	}
	out, err := indicators.Compute(ctx, st.IndicatorSource(), indicators.Query{Scheme: *scheme, From: pr.from, To: pr.to, Unit: "hospital", Policy: indicators.DefaultPolicy()})
	if err != nil {
		return fmt.Errorf("credit %s: %w", pr.label, err)
	}
	hospitals := pol.HospitalCredit(out.Facts, sanctioned)
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"policy": pol.Version, "hospitals": hospitals, "staff": people})
	}
	byRating := map[string]int{}
	for _, h := range hospitals {
		byRating[h.Rating]++
	}
	fmt.Fprintf(e.stdout, "hospital credit ratings (信用评价, policy %s): %s\n", pol.Version, countsLine(byRating, nil))
	status := map[string]int{}
	for _, p := range people {
		status[evaluate.StatusZh[p.Status]]++
	}
	fmt.Fprintf(e.stdout, "staff with confirmed violations: %d (%s)\n", len(people), countsLine(status, nil))
	for i, p := range people {
		if i == 10 {
			break
		}
		fmt.Fprintf(e.stdout, "  %-22s %d  %2d points (%d violations)  %s\n", p.Person, p.Year, p.Points, p.Violations, evaluate.StatusZh[p.Status])
	}
	return nil
}
