// Package payment turns grouped cases into money: relative weights and CMI, base rates
// (explicit or budget-neutral), case payment with outliers and special rules, the split
// between fund and patient, hospital settlement with surplus retention and overspend
// sharing, DIP point values, and what-if simulation. It takes and returns values; reading
// the store and files is the caller's job.
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

// Params is a versioned set of payment rules (docs/payment.md).
type Params struct {
	Version string `json:"version"`
	Weights struct {
		MinCases int              `json:"min_cases"` // cases a DRG needs for a weight of its own
		Fallback map[string]Ratio `json:"fallback"`  // configured weights for thin DRGs
	} `json:"weights"`
	BaseRate struct {
		Mode    string          `json:"mode"`   // "budget" or "by_level"
		Budget  Yuan            `json:"budget"` // mode budget: the period's DRG budget
		ByLevel map[string]Yuan `json:"by_level"`
	} `json:"base_rate"`
	Coefficients map[string]Ratio `json:"coefficients"` // hospital code → coefficient, default 1
	Outliers     struct {
		HighFactor Ratio `json:"high_factor"` // cost above HighFactor × standard is a high-cost case
		HighRatio  Ratio `json:"high_ratio"`  // share of the cost above the threshold that is paid
		LowFactor  Ratio `json:"low_factor"`  // cost below LowFactor × standard is paid as fee-for-service
	} `json:"outliers"`
	Rules struct {
		Death         string `json:"death"`           // standard | ffs
		Transfer      string `json:"transfer"`        // standard | ffs | per_diem
		ShortStayDays int    `json:"short_stay_days"` // stays of at most this many days…
		ShortStay     string `json:"short_stay"`      // …are paid: standard | ffs | per_diem
		Ungroupable   string `json:"ungroupable"`     // ffs | zero
		NoWeight      string `json:"no_weight"`       // refuse (default) | ffs: a DRG no weight table covers
	} `json:"rules"`
	Benefits   []Benefit `json:"benefits"`
	Settlement struct {
		SurplusRetention   Ratio `json:"surplus_retention"`    // share of a surplus the hospital keeps
		OverspendBand      Ratio `json:"overspend_band"`       // overspend up to this share of payments is shared
		OverspendFundShare Ratio `json:"overspend_fund_share"` // the fund's share of overspend within the band
	} `json:"settlement"`
	DIP struct {
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

// DefaultParams are the rules the demo runs with.
func DefaultParams() *Params {
	p := &Params{Version: "demo-2025.1"}
	p.Weights.MinCases = 30
	p.BaseRate.Mode = "budget"
	p.Outliers.HighFactor, p.Outliers.HighRatio, p.Outliers.LowFactor = 30000, 9000, 4000
	p.Rules.Death, p.Rules.Transfer, p.Rules.ShortStayDays, p.Rules.ShortStay, p.Rules.Ungroupable = "standard", "per_diem", 1, "ffs", "ffs"
	p.Benefits = []Benefit{
		{"310", 1, 30000, 9000, 40000000}, {"310", 2, 60000, 8500, 40000000}, {"310", 3, 90000, 8000, 40000000},
		{"390", 1, 30000, 8000, 20000000}, {"390", 2, 60000, 7000, 20000000}, {"390", 3, 90000, 6000, 20000000},
	}
	p.Settlement.SurplusRetention, p.Settlement.OverspendBand, p.Settlement.OverspendFundShare = 6000, 1000, 7000
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
	switch p.BaseRate.Mode {
	case "budget":
		if p.BaseRate.Budget < 0 {
			return bad("base_rate.budget", "must not be negative")
		}
	case "by_level":
		for _, lv := range []string{"1", "2", "3"} {
			r, ok := p.BaseRate.ByLevel[lv]
			if !ok || r <= 0 {
				return bad("base_rate.by_level."+lv, "must be a positive rate for every hospital level")
			}
		}
	default:
		return bad("base_rate.mode", "must be budget or by_level, got %q", p.BaseRate.Mode)
	}
	for h, c := range p.Coefficients {
		if c <= 0 {
			return bad("coefficients."+h, "must be positive, got %s", c)
		}
	}
	o := p.Outliers
	if o.HighFactor <= RatioOne {
		return bad("outliers.high_factor", "must be above 1, got %s", o.HighFactor)
	}
	if o.LowFactor < 0 || o.LowFactor >= RatioOne {
		return bad("outliers.low_factor", "must be in [0, 1), got %s", o.LowFactor)
	}
	if o.LowFactor >= o.HighFactor {
		return bad("outliers.low_factor", "must be below outliers.high_factor")
	}
	if o.HighRatio < 0 || o.HighRatio > RatioOne {
		return bad("outliers.high_ratio", "must be in [0, 1], got %s", o.HighRatio)
	}
	for name, v := range map[string]string{"rules.death": p.Rules.Death, "rules.transfer": p.Rules.Transfer, "rules.short_stay": p.Rules.ShortStay} {
		if v != "standard" && v != "ffs" && v != "per_diem" {
			return bad(name, "must be standard, ffs or per_diem, got %q", v)
		}
	}
	if p.Rules.NoWeight != "" && p.Rules.NoWeight != "refuse" && p.Rules.NoWeight != "ffs" {
		return bad("rules.no_weight", "must be refuse or ffs, got %q", p.Rules.NoWeight)
	}
	if p.Rules.Ungroupable != "ffs" && p.Rules.Ungroupable != "zero" {
		return bad("rules.ungroupable", "must be ffs or zero, got %q", p.Rules.Ungroupable)
	}
	if p.Rules.ShortStayDays < 0 {
		return bad("rules.short_stay_days", "must not be negative")
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
	s := p.Settlement
	for name, v := range map[string]Ratio{"settlement.surplus_retention": s.SurplusRetention, "settlement.overspend_band": s.OverspendBand,
		"settlement.overspend_fund_share": s.OverspendFundShare, "dip.prepay_share": p.DIP.PrepayShare} {
		if v < 0 || v > RatioOne {
			return bad(name, "must be in [0, 1], got %s", v)
		}
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
