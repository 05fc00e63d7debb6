package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/indicators"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// runTechnology compares technologies with their alternatives in the same DRGs, for the
// region and each hospital, stores the result with technology coefficients, and can write
// them (with the hospitals' coefficients of the period's latest evaluation) as the payment
// policy's coefficient overlay.
func runTechnology(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "evaluate technology", "evaluate technology --db DIR --period YYYY [--catalogue FILE] [--coefficients-out FILE] [--json]")
	db := fs.String("db", "", "data directory")
	per := fs.String("period", "", "period: YYYY or YYYY-MM:YYYY-MM")
	catPath := fs.String("catalogue", "", "technology catalogue (default: evaluate/technologies.json)")
	scheme := fs.String("scheme", demoSchemeID, "scheme whose DRGs define the comparison: a scheme file, \"demo\", or a stored scheme id")
	coefOut := fs.String("coefficients-out", "", "write the coefficient overlay the DRG payment engine reads with --coefficients")
	kMin := fs.Float64("k-min", 0.8, "overlay: lower cap on a case's product of coefficients")
	kMax := fs.Float64("k-max", 1.2, "overlay: upper cap on a case's product of coefficients")
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
	if *kMin <= 0 || *kMax < *kMin {
		return usageError{msg: "need 0 < --k-min ≤ --k-max"}
	}
	cat, err := evaluate.DefaultTechnologies()
	if *catPath != "" {
		cat, err = evaluate.LoadTechnologies(*catPath)
	}
	if err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	cases, err := indicators.TechnologyCases(ctx, st.IndicatorSource(), indicators.Query{Scheme: *scheme, From: pr.from, To: pr.to, Policy: indicators.DefaultPolicy()})
	if err != nil {
		return fmt.Errorf("technology evaluation %s: %w", pr.label, err)
	}
	results := cat.EvaluateTechnologies(cases)
	run, err := st.PutTechnologyRun(ctx, pr.label, cat.Version, results)
	if err != nil {
		return err
	}
	var skipped []string
	if *coefOut != "" {
		hosp, evalRun, err := st.LatestCoefficients(ctx, pr.label)
		if err != nil {
			return err
		}
		techs, sk := cat.TechnologyOverlay(results)
		skipped = sk
		src := fmt.Sprintf("yibao evaluate technology --period %s (technology run %d, catalogue %s", pr.label, run, cat.Version)
		if evalRun > 0 {
			src += fmt.Sprintf("; hospital coefficients from evaluation run %d", evalRun)
		}
		ov := evaluate.CoefficientOverlay{Version: fmt.Sprintf("%s-tech-%d", pr.label, run), Source: src + ")",
			Coefficients: evaluate.OverlayCoefficients{Hospitals: hosp, Technologies: techs, Min: *kMin, Max: *kMax}}
		b, err := json.MarshalIndent(ov, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*coefOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"run": run, "results": results, "overlay_skipped": skipped})
	}
	fmt.Fprintf(e.stdout, "technology run %d, %s, catalogue %s\n", run, pr.label, cat.Version)
	for _, r := range results {
		where := "全区"
		if r.Hospital != "" {
			where = r.Hospital
		}
		if r.Hospital != "" && r.Tech.Cases < cat.Rules.MinCases {
			continue
		}
		fmt.Fprintf(e.stdout, "  %-22s %-14s %5d cases  LOS %5.2f vs %5.2f  cost %9.2f vs %9.2f  compl %4.1f%% vs %4.1f%%  readm %4.1f%% vs %4.1f%%  mort %4.1f%% vs %4.1f%%  coef %.2f %v\n",
			r.Name, where, r.Tech.Cases, r.Tech.MeanLOS, r.Alternatives.MeanLOS, r.Tech.MeanCost, r.Alternatives.MeanCost,
			r.Tech.Complication, r.Alternatives.Complication, r.Tech.Readmission, r.Alternatives.Readmission,
			r.Tech.Mortality, r.Alternatives.Mortality, r.Coefficient, r.Flags)
	}
	if *coefOut != "" {
		fmt.Fprintf(e.stdout, "coefficient overlay written to %s (for yibao pay --coefficients)\n", *coefOut)
		for _, s := range skipped {
			fmt.Fprintf(e.stdout, "  not in the overlay: %s\n", s)
		}
	}
	return nil
}
