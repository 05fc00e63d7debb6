// Package payment turns grouped cases into money by the published point method: the
// reference table (基准点数), case points by category (高倍率, 低倍率, incomplete stays, 床日,
// 特例单议), the floating point value PV = (B + P) / T with exact hospital amounts,
// deductions, prepayment and year-end clearing, the rate method, DIP point values, and
// what-if simulation. A Policy (policy data, docs/payment.md) holds every rule. The
// package takes and returns values; reading the store and files is the caller's job.
package payment

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"

	"github.com/yibao-dev/yibao"
)

// Ratio is a dimensionless factor in ten-thousandths (1.0 = 10000): relative weights,
// hospital coefficients, shares. Products with money are computed exactly and rounded once.
type Ratio int64

// RatioOne is 1.0.
const RatioOne Ratio = 10000

// RatioOf rounds f to four decimals (half away from zero).
func RatioOf(f float64) Ratio { return Ratio(math.Round(f * 10000)) }

func (r Ratio) Float() float64 { return float64(r) / 10000 }

func (r Ratio) String() string { return strconv.FormatFloat(r.Float(), 'f', 4, 64) }

// MarshalJSON writes the ratio as a decimal number.
func (r Ratio) MarshalJSON() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalJSON reads a decimal number, rounded to four decimals.
func (r *Ratio) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("not a number: %s", b)
	}
	*r = RatioOf(f)
	return nil
}

// Yuan is an amount given in yuan in parameter files, kept exactly in fen.
type Yuan yibao.Fen

func (y *Yuan) UnmarshalJSON(b []byte) error {
	f, err := yibao.ParseYuan(string(b))
	if err != nil {
		return fmt.Errorf("amount %s: %w", b, err)
	}
	*y = Yuan(f)
	return nil
}

func (y Yuan) MarshalJSON() ([]byte, error) { return []byte(yibao.Fen(y).String()), nil }

// Params are the parameters DIP settlement and the evaluation's CMI still read
// (docs/payment.md). DRG payment is governed by a Policy (policy.go) instead.
type Params struct {
	Version string `json:"version"`
	Weights struct {
		MinCases int              `json:"min_cases"` // cases a DRG needs for a weight of its own
		Fallback map[string]Ratio `json:"fallback"`  // configured weights for thin DRGs
	} `json:"weights"`
	Coefficients map[string]Ratio `json:"coefficients"` // hospital code → coefficient, default 1
	Benefits     []Benefit        `json:"benefits"`
	DIP          struct {
		Budget       Yuan  `json:"budget"`
		PrepayShare  Ratio `json:"prepay_share"`
		MonthsInYear int   `json:"months"`
	} `json:"dip"`
}

// Benefit is one row of the benefit table: what the fund pays of a stay's cost for an
// insurance scheme at a hospital level.
type Benefit struct {
	InsuType   string `json:"insutype"` // 310 employee, 390 resident
	Level      int    `json:"level"`    // 1, 2, 3
	Deductible Yuan   `json:"deductible"`
	Ratio      Ratio  `json:"ratio"`
	Ceiling    Yuan   `json:"ceiling"` // annual fund ceiling per person; 0 = none
}

// DefaultParams are the parameters the demo runs with.
func DefaultParams() *Params {
	p := &Params{Version: "demo-2025.1"}
	p.Weights.MinCases = 5
	p.Benefits = []Benefit{
		{"310", 1, 30000, 9000, 40000000}, {"310", 2, 60000, 8500, 40000000}, {"310", 3, 90000, 8000, 40000000},
		{"390", 1, 30000, 8000, 20000000}, {"390", 2, 60000, 7000, 20000000}, {"390", 3, 90000, 6000, 20000000},
	}
	p.DIP.PrepayShare, p.DIP.MonthsInYear = 9000, 12
	return p
}

// LoadParams reads a parameter file over the defaults and validates it.
func LoadParams(path string) (*Params, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("payment parameters %s: %w", path, err)
	}
	p := DefaultParams()
	p.Benefits = nil
	if err := json.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("payment parameters %s: %w", path, err)
	}
	if len(p.Benefits) == 0 {
		p.Benefits = DefaultParams().Benefits
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("payment parameters %s: %w", path, err)
	}
	return p, nil
}

// Validate refuses parameters that cannot be meant, naming the parameter.
func (p *Params) Validate() error {
	bad := func(name, why string, args ...any) error {
		return fmt.Errorf("parameter %s: %s", name, fmt.Sprintf(why, args...))
	}
	if p.Version == "" {
		return bad("version", "is required: every result records the parameter version")
	}
	if p.Weights.MinCases < 1 {
		return bad("weights.min_cases", "must be at least 1, got %d", p.Weights.MinCases)
	}
	for drg, w := range p.Weights.Fallback {
		if w <= 0 {
			return bad("weights.fallback."+drg, "must be positive, got %s", w)
		}
	}
	for h, c := range p.Coefficients {
		if c <= 0 {
			return bad("coefficients."+h, "must be positive, got %s", c)
		}
	}
	for i, b := range p.Benefits {
		name := fmt.Sprintf("benefits[%d]", i)
		if b.Ratio < 0 || b.Ratio > RatioOne {
			return bad(name+".ratio", "must be in [0, 1], got %s", b.Ratio)
		}
		if b.Deductible < 0 || b.Ceiling < 0 {
			return bad(name, "deductible and ceiling must not be negative")
		}
		if b.Level < 1 || b.Level > 3 {
			return bad(name+".level", "must be 1, 2 or 3, got %d", b.Level)
		}
	}
	if v := p.DIP.PrepayShare; v < 0 || v > RatioOne {
		return bad("dip.prepay_share", "must be in [0, 1], got %s", v)
	}
	if p.DIP.Budget < 0 {
		return bad("dip.budget", "must not be negative")
	}
	return nil
}

// Coefficient of a hospital (default 1).
func (p *Params) Coefficient(hospital string) Ratio {
	if c, ok := p.Coefficients[hospital]; ok {
		return c
	}
	return RatioOne
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// WeightCase is a grouped case of a reference period (for callers that only need RWs).
type WeightCase struct {
	DRG, ADRG string
	Cost      yibao.Fen
	LOS       int
}

// ComputeWeights builds a reference table from grouped cases with the default policy's
// rules and minCases as the small-group threshold; fallback weights are laid over it as
// an official table for DRGs the cases do not cover.
func ComputeWeights(cases []WeightCase, minCases int, fallback map[string]Ratio) (*Weights, error) {
	pol := *DefaultPolicy()
	if minCases >= 1 {
		pol.Reference.MinCases = minCases
	}
	rc := make([]RefCase, len(cases))
	seen := map[string]bool{}
	for i, c := range cases {
		rc[i] = RefCase{ID: fmt.Sprint(i), DRG: c.DRG, ADRG: c.ADRG, Status: StatusGrouped, Cost: c.Cost, LOS: c.LOS}
		seen[c.DRG] = true
	}
	official := map[string]Ratio{}
	for d, r := range fallback {
		if !seen[d] {
			official[d] = r
		}
	}
	return BuildReference(rc, &pol, official)
}
