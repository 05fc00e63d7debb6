package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// runTechnology compares technologies with their alternatives in the same DRGs, for the
// region and each hospital, and stores the result with technology coefficients.
func runTechnology(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "evaluate technology", "evaluate technology --db DIR --period YYYY [--catalogue FILE] [--json]")
	db := fs.String("db", "", "data directory")
	per := fs.String("period", "", "period: YYYY or YYYY-MM:YYYY-MM")
	catPath := fs.String("catalogue", "", "technology catalogue (default: evaluate/technologies.json)")
	scheme := fs.String("scheme", demoSchemeID, "scheme whose DRGs define the comparison: a scheme file, \"demo\", or a stored scheme id")
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
	rows, err := st.CaseRows(ctx, *scheme, pr.from, pr.to.AddDate(0, 0, 31))
	if err != nil {
		return err
	}
	byID := map[string]*sqlite.CaseRow{}
	persons := map[string][]*sqlite.CaseRow{}
	for i := range rows {
		r := &rows[i]
		byID[r.SetlID] = r
		persons[r.Person] = append(persons[r.Person], r)
	}
	readmitted := map[string]bool{}
	for _, ps := range persons {
		sort.Slice(ps, func(i, j int) bool { return ps[i].Admission.Before(ps[j].Admission) })
		for i := 1; i < len(ps); i++ {
			if gap := ps[i].Admission.Sub(ps[i-1].Discharge); gap >= 0 && gap <= 31*24*time.Hour {
				readmitted[ps[i-1].SetlID] = true
			}
		}
	}
	var cases []evaluate.TechCase
	err = st.EachCurrent(ctx, sqlite.Filter{InpatientOnly: true, From: pr.from, To: pr.to}, func(s sqlite.StoredSettlement) error {
		r := byID[s.ID]
		if r == nil || !r.Grouped() {
			return nil
		}
		c := evaluate.TechCase{Hospital: s.Hospital, DRG: r.DRG, LOS: s.LOS, Cost: s.Pay.Total.Yuan(), Readmitted: readmitted[s.ID],
			Complication: strings.HasSuffix(r.DRG, "1") || strings.HasSuffix(r.DRG, "3")}
		for _, p := range s.Procedures {
			c.Procedures = append(c.Procedures, p.Code)
		}
		for _, f := range s.Fees {
			c.Items = append(c.Items, f.ListCode)
		}
		cases = append(cases, c)
		return nil
	})
	if err != nil {
		return err
	}
	results := cat.EvaluateTechnologies(cases)
	run, err := st.PutTechnologyRun(ctx, pr.label, cat.Version, results)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"run": run, "results": results})
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
		fmt.Fprintf(e.stdout, "  %-22s %-14s %5d cases  LOS %5.2f vs %5.2f  cost %9.2f vs %9.2f  compl %4.1f%% vs %4.1f%%  readm %4.1f%% vs %4.1f%%  coef %.2f %v\n",
			r.Name, where, r.Tech.Cases, r.Tech.MeanLOS, r.Alternatives.MeanLOS, r.Tech.MeanCost, r.Alternatives.MeanCost,
			r.Tech.Complication, r.Alternatives.Complication, r.Tech.Readmission, r.Alternatives.Readmission, r.Coefficient, r.Flags)
	}
	return nil
}
