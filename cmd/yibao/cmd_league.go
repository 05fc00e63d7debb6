package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/payment"
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
	facts, _, err := gatherFacts(ctx, st, *scheme, pr, payment.DefaultParams(), *by, *hospital)
	if err != nil {
		return err
	}
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

// runCredit rates hospitals from their latest grades and doctors from points deducted for
// confirmed findings (信用评价).
func runCredit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "evaluate credit", "evaluate credit --db DIR --period YYYY [--json]")
	db := fs.String("db", "", "data directory")
	per := fs.String("period", "", "year")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pr, err := parsePeriodFlag(*per)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	grades, run, err := st.LatestGrades(ctx, pr.label)
	if err != nil {
		return err
	}
	df, err := st.DoctorFindings(ctx, pr.from, pr.to)
	if err != nil {
		return err
	}
	doctors := evaluate.DefaultCredit().Credit(df)
	hospitals := map[string]string{}
	for h, g := range grades {
		hospitals[h] = evaluate.HospitalCredit(g)
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"evaluation_run": run, "hospitals": hospitals, "doctors": doctors})
	}
	byRating := map[string]int{}
	for _, r := range hospitals {
		byRating[r]++
	}
	fmt.Fprintf(e.stdout, "hospital credit ratings from evaluation run %d: %v\n", run, byRating)
	status := map[string]int{}
	for _, d := range doctors {
		status[evaluate.StatusZh[d.Status]]++
	}
	fmt.Fprintf(e.stdout, "doctors with confirmed findings: %d %v\n", len(doctors), status)
	sort.SliceStable(doctors, func(i, j int) bool { return doctors[i].Deducted > doctors[j].Deducted })
	for i, d := range doctors {
		if i == 10 {
			break
		}
		fmt.Fprintf(e.stdout, "  %-22s deducted %2d (definite %d, suspicious %d)  %s\n", d.Doctor, d.Deducted, d.Definite, d.Suspicious, evaluate.StatusZh[d.Status])
	}
	return nil
}
