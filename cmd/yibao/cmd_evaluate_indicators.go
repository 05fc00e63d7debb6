package main

import (
	"encoding/json"
	"fmt"

	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/indicators"
)

// runIndicatorDefinitions prints every indicator's definition, numerator, denominator,
// exclusions and source, with its weight and direction in the indicator system.
func runIndicatorDefinitions(e *env, args []string) error {
	fs := newFlags(e, "evaluate indicators", "evaluate indicators [--system FILE] [--json]")
	sysPath := fs.String("system", "", "indicator system (default: the built-in one)")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	sys, err := evaluate.DefaultSystem()
	if *sysPath != "" {
		sys, err = evaluate.LoadSystem(*sysPath)
	}
	if err != nil {
		return err
	}
	type row struct {
		evaluate.Indicator
		Definition indicators.Definition `json:"definition"`
		MinCases   int                   `json:"min_cases"`
	}
	var rows []row
	for _, ind := range sys.Indicators {
		d, _ := indicators.Lookup(ind.Compute)
		r := row{Indicator: ind, Definition: d, MinCases: d.MinCases}
		if ind.MinCases != nil {
			r.MinCases = *ind.MinCases
		}
		rows = append(rows, r)
	}
	pol := sys.Policy
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"system": sys.Version, "policy": pol, "min_peer_size": sys.MinPeerSize,
			"tolerance": sys.Tolerance, "scoring": sys.Scoring, "indicators": rows})
	}
	fmt.Fprintf(e.stdout, "indicator system %s: %d indicators; peer groups of at least %d (smaller ones merged); tolerance %.1f points\n",
		sys.Version, len(rows), sys.MinPeerSize, sys.Tolerance)
	fmt.Fprintf(e.stdout, "policy: readmission window %d days, transfer %d h, unreviewed-finding weight %.2f, low-risk z < %.1f\n\n",
		pol.ReadmitDays, pol.TransferHours, pol.OpenFindingWeight, pol.RiskZ)
	for _, r := range rows {
		d := r.Definition
		fmt.Fprintf(e.stdout, "%s  %s（%s）  weight %.3f, %s is better, at least %d cases\n", r.ID, r.NameZh, r.NameEn, r.Weight, r.Direction, r.MinCases)
		fmt.Fprintf(e.stdout, "  定义 definition:   %s\n  分子 numerator:    %s\n  分母 denominator:  %s\n  排除 exclusions:   %s\n  来源 source:       %s\n\n",
			d.Definition, d.Numerator, d.Denominator, d.Exclusions, d.Source)
	}
	return nil
}
