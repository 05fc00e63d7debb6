package evaluate

import (
	"context"
	"fmt"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/indicators"
)

// Assessment is one evaluation of a period: the facts behind every number, the results
// and the linkage they lead to.
type Assessment struct {
	System      string               `json:"system"`
	Facts       []Facts              `json:"facts"`
	Results     []Result             `json:"results"`
	Adjustments []Adjustment         `json:"adjustments"`
	Risk        []indicators.DRGRisk `json:"risk"`
	Output      *indicators.Output   `json:"-"`
}

// Assess computes the facts of a period from src (indicators.Compute), lets adjust amend
// them (imported satisfaction, say; nil for none), scores them and links the results to
// coefficients and budgets. A hospital without a budget gets the fund's payments of the
// period (hifp_payamt of its stays) as the base.
// The front ends (cmd, web) store and present the assessment.
func Assess(ctx context.Context, src indicators.Source, sys *System, q indicators.Query, coef map[string]float64,
	budget map[string]yibao.Fen, adjust func([]Facts) error) (*Assessment, error) {
	out, err := indicators.Compute(ctx, src, q)
	if err != nil {
		return nil, err
	}
	if adjust != nil {
		if err := adjust(out.Facts); err != nil {
			return nil, err
		}
	}
	results, err := sys.Evaluate(out.Facts)
	if err != nil {
		return nil, err
	}
	b := map[string]yibao.Fen{}
	for _, f := range out.Facts {
		b[f.Hospital] = budget[f.Hospital]
		if b[f.Hospital] == 0 {
			b[f.Hospital] = yibao.Fen(f.FundFen) // the fund's payments, on the scale of a fund budget
		}
	}
	adj, err := Link(results, coef, b, sys.Linkage)
	if err != nil {
		return nil, fmt.Errorf("linkage: %w", err)
	}
	return &Assessment{System: sys.Version, Facts: out.Facts, Results: results, Adjustments: adj, Risk: out.Risk, Output: out}, nil
}
