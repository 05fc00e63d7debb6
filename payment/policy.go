package payment

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// A payment policy is data, like a grouping scheme: a versioned JSON document whose every
// rule names its source (a document number, or "local choice"). The engine interprets it;
// nothing city-specific lives in Go. docs/payment.md describes every field.

//go:embed policies/*.json
var policyFiles embed.FS

// PolicyFormat is the value of a policy's "format" field.
const PolicyFormat = "drg-payment-policy"

// Policy is a DRG payment policy (点数法 or 费率法).
type Policy struct {
	Format      string `json:"format"`
	Version     string `json:"version"`
	Name        string `json:"name"`
	Example     bool   `json:"example"` // an illustration with invented values, not a region's rules
	Description string `json:"description"`

	Mode          ModeRule          `json:"mode"`
	Reference     ReferenceRule     `json:"reference"`
	HighRatio     HighRatioRule     `json:"high_ratio"`
	LowRatio      LowRatioRule      `json:"low_ratio"`
	Incomplete    IncompleteRule    `json:"incomplete_stay"`
	PerDiem       PerDiemRule       `json:"per_diem"`
	SpecialReview SpecialReviewRule `json:"special_review"`
	Rounding      SourcedRule       `json:"rounding"`
	PatientPaid   SourcedRule       `json:"patient_paid"`
	Deductions    DeductionRule     `json:"deductions"`
	Prepayment    PrepaymentRule    `json:"prepayment"`
	Clearing      ClearingRule      `json:"clearing"`
	Rate          RateRule          `json:"rate"`
	Coefficients  Coefficients      `json:"coefficients"`
	CoefSource    string            `json:"coefficients_source"`
}

// SourcedRule is a rule stated in words with its source.
type SourcedRule struct {
	Rule   string `json:"rule"`
	Source string `json:"source"`
}

// ModeRule chooses the point method (点数法, floating point value) or the rate method
// (费率法, a rate fixed ex ante).
type ModeRule struct {
	Value  string `json:"value"` // points | rate
	Source string `json:"source"`
}

// ReferenceRule builds the reference table (基准点数) from one cleaned case set.
type ReferenceRule struct {
	Source string `json:"source"`
	// Cleaning per DRG: with at least PercentileMinCases cases keep costs within the
	// [LowerPercentile, UpperPercentile] percentiles; with fewer, within
	// [median / MedianFactor, median × MedianFactor].
	Cleaning struct {
		PercentileMinCases int     `json:"percentile_min_cases"`
		LowerPercentile    float64 `json:"lower_percentile"`
		UpperPercentile    float64 `json:"upper_percentile"`
		MedianFactor       float64 `json:"median_factor"`
		Source             string  `json:"source"`
	} `json:"cleaning"`
	// YearWeights weigh each case by its reference year, oldest first and ending with the
	// latest year (e.g. [1, 2, 7] for y−2, y−1, y). Empty: one year, every case weight 1.
	YearWeights       []int64 `json:"year_weights"`
	YearWeightsSource string  `json:"year_weights_source"`
	// MinCases: a group with fewer retained cases has no weight of its own (small group).
	MinCases       int    `json:"min_cases"`
	MinCasesSource string `json:"min_cases_source"`
	// Severity is the order of the last digit of a DRG within its ADRG, most severe first;
	// weights must not increase along it (RW(…1) ≥ RW(…3) ≥ RW(…5)).
	Severity       []string `json:"severity"`
	SeveritySource string   `json:"severity_source"`
	// SmallGroups is the rule for groups below MinCases: "borrow_adrg_monotone" (docs).
	SmallGroups       string `json:"small_groups"`
	SmallGroupsSource string `json:"small_groups_source"`
}

// HighRatioRule: r > t, with t by the group's RW band, earns BP×K + BP×(r − t) × Share.
type HighRatioRule struct {
	Bands  []RatioBand `json:"bands"` // ascending by MaxRW; the last band has no MaxRW
	Share  Ratio       `json:"share"` // share of BP×(r − t) added (1 in the default)
	Source string      `json:"source"`
}

// RatioBand gives the threshold t for groups with RW ≤ MaxRW (0 = no upper bound).
type RatioBand struct {
	MaxRW     Ratio `json:"max_rw"`
	Threshold Ratio `json:"t"`
}

// LowRatioRule: r < Below earns BP×K×r.
type LowRatioRule struct {
	Below  Ratio  `json:"below"`
	Source string `json:"source"`
}

// IncompleteRule: a transfer or discharge against advice, or a stay of at most MaxLOS days,
// earns min(BP×K×r, BP×K).
type IncompleteRule struct {
	DischargeWays []string `json:"dscg_ways"`
	MaxLOS        int      `json:"max_los"`
	Source        string   `json:"source"`
}

// PerDiemRule: the listed DRGs earn BP×K×LOS / L̄_g.
type PerDiemRule struct {
	DRGs   []string `json:"drgs"`
	Source string   `json:"source"`
}

// SpecialReviewRule: cases that queue for expert review (特例单议) and earn nothing until
// decided.
type SpecialReviewRule struct {
	// Ungroupable and failed-validation cases and cases whose DRG has no weight always
	// queue: no other row can price them.
	MinLOS      int    `json:"los_over"` // LOS > this queues the case; 0 = no LOS criterion
	Quota       Ratio  `json:"quota"`    // share of a hospital's DRG cases per period that may be approved
	Approved    string `json:"approved_points"`
	Rejected    string `json:"rejected"` // rules: priced by the other rows where it can be; zero: 0 points
	Source      string `json:"source"`
	QuotaSource string `json:"quota_source"`
}

// DeductionRule: confirmed findings are deducted at their amount; for the listed
// categories the case's points are voided and a multiple of BP_g deducted as well.
type DeductionRule struct {
	FindingAmounts bool             `json:"finding_amounts"`
	Void           map[string]Ratio `json:"void_multiples"` // finding category → multiple of BP_g
	Source         string           `json:"source"`
}

// PrepaymentRule: monthly advance of Share of the month's expected fund payment, with
// Deposit withheld as quality deposit (质量保证金).
type PrepaymentRule struct {
	Share   Ratio  `json:"share"`
	Deposit Ratio  `json:"deposit"`
	Source  string `json:"source"`
}

// ClearingRule: year-end clearing returns the deposit by evaluation grade.
type ClearingRule struct {
	DepositReturn map[string]Ratio  `json:"deposit_return"` // grade → share returned
	Aliases       map[string]string `json:"grade_aliases"`  // stored grade code → grade name (e.g. good → 良好)
	Ungraded      Ratio             `json:"ungraded"`       // share returned without a grade
	Source        string            `json:"source"`
}

// RateRule is the rate method (费率法): points × a rate fixed ex ante, and the region's
// overspend or surplus against the budget shared at year end.
type RateRule struct {
	Rate           Yuan            `json:"rate_per_point"` // yuan per point (100 points = RW 1)
	OverspendBands []OverspendBand `json:"overspend_bands"`
	SurplusShare   Ratio           `json:"surplus_share"` // hospitals' share of a surplus
	SurplusCap     Ratio           `json:"surplus_cap"`   // …at most this share of the budget
	Source         string          `json:"source"`
}

// OverspendBand: overspend up to UpTo × B (0 = no bound) is borne by the fund at FundShare,
// the rest of the band by the hospitals.
type OverspendBand struct {
	UpTo      Ratio `json:"up_to"`
	FundShare Ratio `json:"fund_share"`
}

// Coefficients are hospital, DRG and technology coefficients; a case's K is their product,
// clamped to [Min, Max]. The evaluation writes an overlay in exactly this shape.
type Coefficients struct {
	Hospitals    map[string]Ratio `json:"hospitals"`
	DRGs         map[string]Ratio `json:"drgs"`
	Technologies []Technology     `json:"technologies"`
	Min          Ratio            `json:"min"`
	Max          Ratio            `json:"max"`
}

// Technology is a procedure set whose cases (in the listed DRGs, or any when none is
// listed) earn a coefficient.
type Technology struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Procedures  []string `json:"procedures"`
	DRGs        []string `json:"drgs"`
	Coefficient Ratio    `json:"coefficient"`
}

// CoefficientOverlay is the file the evaluation writes: {"version","source","coefficients":{…}}.
type CoefficientOverlay struct {
	Version      string       `json:"version"`
	Source       string       `json:"source"`
	Coefficients Coefficients `json:"coefficients"`
}

// DefaultPolicy is the built-in default (policies/default.json).
func DefaultPolicy() *Policy {
	p, err := BuiltinPolicy("default")
	if err != nil {
		panic("built-in default policy: " + err.Error()) // a build defect, caught by tests
	}
	return p
}

// BuiltinPolicies lists the shipped policies by name.
func BuiltinPolicies() []string {
	ents, _ := policyFiles.ReadDir("policies")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(out)
	return out
}

// BuiltinPolicy returns a shipped policy by name ("default", "example-rate").
func BuiltinPolicy(name string) (*Policy, error) {
	b, err := policyFiles.ReadFile("policies/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("no built-in policy %q (have %s)", name, strings.Join(BuiltinPolicies(), ", "))
	}
	return ParsePolicy(b)
}

// ParsePolicy reads a policy document strictly (unknown fields are errors, so that a
// misspelt rule is not silently ignored) and validates it.
func ParsePolicy(b []byte) (*Policy, error) {
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// ParseCoefficientOverlay reads an overlay file of coefficients.
func ParseCoefficientOverlay(b []byte) (*CoefficientOverlay, error) {
	var o CoefficientOverlay
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("coefficients: %w", err)
	}
	if o.Version == "" || o.Source == "" {
		return nil, fmt.Errorf("coefficients: version and source are required")
	}
	if err := o.Coefficients.validate("coefficients"); err != nil {
		return nil, err
	}
	return &o, nil
}

// WithCoefficients returns a copy of the policy whose coefficients are the overlay's
// (hospital, DRG and technology entries replace the policy's of the same key; caps are
// the overlay's when given). The version records the overlay.
func (p *Policy) WithCoefficients(o *CoefficientOverlay) *Policy {
	q := *p
	c := Coefficients{Hospitals: map[string]Ratio{}, DRGs: map[string]Ratio{}, Min: p.Coefficients.Min, Max: p.Coefficients.Max}
	for k, v := range p.Coefficients.Hospitals {
		c.Hospitals[k] = v
	}
	for k, v := range p.Coefficients.DRGs {
		c.DRGs[k] = v
	}
	for k, v := range o.Coefficients.Hospitals {
		c.Hospitals[k] = v
	}
	for k, v := range o.Coefficients.DRGs {
		c.DRGs[k] = v
	}
	techs := map[string]Technology{}
	for _, t := range p.Coefficients.Technologies {
		techs[t.ID] = t
	}
	for _, t := range o.Coefficients.Technologies {
		techs[t.ID] = t
	}
	for _, id := range sortedKeys(techs) {
		c.Technologies = append(c.Technologies, techs[id])
	}
	if o.Coefficients.Min > 0 {
		c.Min = o.Coefficients.Min
	}
	if o.Coefficients.Max > 0 {
		c.Max = o.Coefficients.Max
	}
	q.Coefficients = c
	q.Version = p.Version + "+coefficients:" + o.Version
	q.CoefSource = o.Source
	return &q
}

// Validate refuses a policy that cannot be meant, naming the rule.
func (p *Policy) Validate() error {
	bad := func(name, why string, args ...any) error {
		return fmt.Errorf("policy %s: rule %s: %s", p.Version, name, fmt.Sprintf(why, args...))
	}
	if p.Format != PolicyFormat {
		return fmt.Errorf("policy: format must be %q, got %q", PolicyFormat, p.Format)
	}
	if p.Version == "" {
		return fmt.Errorf("policy: version is required: every result records the policy version")
	}
	sources := map[string]string{"mode": p.Mode.Source, "reference": p.Reference.Source, "reference.cleaning": p.Reference.Cleaning.Source,
		"reference.min_cases": p.Reference.MinCasesSource, "reference.severity": p.Reference.SeveritySource,
		"reference.small_groups": p.Reference.SmallGroupsSource, "high_ratio": p.HighRatio.Source, "low_ratio": p.LowRatio.Source,
		"incomplete_stay": p.Incomplete.Source, "per_diem": p.PerDiem.Source, "special_review": p.SpecialReview.Source,
		"special_review.quota": p.SpecialReview.QuotaSource, "rounding": p.Rounding.Source, "patient_paid": p.PatientPaid.Source,
		"deductions": p.Deductions.Source, "prepayment": p.Prepayment.Source, "clearing": p.Clearing.Source,
		"rate": p.Rate.Source, "coefficients": p.CoefSource}
	if len(p.Reference.YearWeights) > 0 {
		sources["reference.year_weights"] = p.Reference.YearWeightsSource
	}
	for _, k := range sortedKeys(sources) {
		if strings.TrimSpace(sources[k]) == "" {
			return bad(k, "names no source (a document number, or \"local choice\")")
		}
	}
	switch p.Mode.Value {
	case "points", "rate":
	default:
		return bad("mode.value", "must be points or rate, got %q", p.Mode.Value)
	}
	r := p.Reference
	if r.Cleaning.PercentileMinCases < 1 || r.Cleaning.LowerPercentile < 0 || r.Cleaning.UpperPercentile > 1 ||
		r.Cleaning.LowerPercentile >= r.Cleaning.UpperPercentile || r.Cleaning.MedianFactor < 1 {
		return bad("reference.cleaning", "needs percentile_min_cases ≥ 1, 0 ≤ lower < upper ≤ 1 and median_factor ≥ 1")
	}
	for i, w := range r.YearWeights {
		if w < 0 || w > 1000 {
			return bad(fmt.Sprintf("reference.year_weights[%d]", i), "must be in 0–1000, got %d", w)
		}
	}
	if len(r.YearWeights) > 0 && r.YearWeights[len(r.YearWeights)-1] == 0 {
		return bad("reference.year_weights", "the latest year must weigh more than 0")
	}
	if r.MinCases < 1 {
		return bad("reference.min_cases", "must be at least 1, got %d", r.MinCases)
	}
	if r.SmallGroups != "borrow_adrg_monotone" {
		return bad("reference.small_groups", "must be borrow_adrg_monotone, got %q", r.SmallGroups)
	}
	if len(p.HighRatio.Bands) == 0 || p.HighRatio.Bands[len(p.HighRatio.Bands)-1].MaxRW != 0 {
		return bad("high_ratio.bands", "must end with a band without max_rw")
	}
	for i, b := range p.HighRatio.Bands {
		if b.Threshold <= RatioOne {
			return bad(fmt.Sprintf("high_ratio.bands[%d].t", i), "must be above 1, got %s", b.Threshold)
		}
		if i > 0 && i < len(p.HighRatio.Bands)-1 && b.MaxRW <= p.HighRatio.Bands[i-1].MaxRW {
			return bad(fmt.Sprintf("high_ratio.bands[%d].max_rw", i), "must ascend")
		}
	}
	if p.HighRatio.Share < 0 || p.HighRatio.Share > 2*RatioOne {
		return bad("high_ratio.share", "must be in [0, 2], got %s", p.HighRatio.Share)
	}
	if p.LowRatio.Below < 0 || p.LowRatio.Below >= RatioOne {
		return bad("low_ratio.below", "must be in [0, 1), got %s", p.LowRatio.Below)
	}
	if p.Incomplete.MaxLOS < 0 {
		return bad("incomplete_stay.max_los", "must not be negative")
	}
	sr := p.SpecialReview
	if sr.MinLOS < 0 {
		return bad("special_review.los_over", "must not be negative")
	}
	if sr.Quota < 0 || sr.Quota > RatioOne {
		return bad("special_review.quota", "must be in [0, 1], got %s", sr.Quota)
	}
	if sr.Approved != "cost_over_mean" {
		return bad("special_review.approved_points", "must be cost_over_mean (C / Ā × 100 unless the decision sets points), got %q", sr.Approved)
	}
	if sr.Rejected != "rules" && sr.Rejected != "zero" {
		return bad("special_review.rejected", "must be rules or zero, got %q", sr.Rejected)
	}
	for cat, m := range p.Deductions.Void {
		if m < 0 || m > 10*RatioOne {
			return bad("deductions.void_multiples."+cat, "must be in [0, 10], got %s", m)
		}
	}
	for name, v := range map[string]Ratio{"prepayment.share": p.Prepayment.Share, "prepayment.deposit": p.Prepayment.Deposit,
		"clearing.ungraded": p.Clearing.Ungraded, "rate.surplus_share": p.Rate.SurplusShare, "rate.surplus_cap": p.Rate.SurplusCap} {
		if v < 0 || v > RatioOne {
			return bad(name, "must be in [0, 1], got %s", v)
		}
	}
	if p.Prepayment.Share+p.Prepayment.Deposit > RatioOne {
		return bad("prepayment", "share + deposit must not exceed 1")
	}
	for g, v := range p.Clearing.DepositReturn {
		if v < 0 || v > RatioOne {
			return bad("clearing.deposit_return."+g, "must be in [0, 1], got %s", v)
		}
	}
	if p.Mode.Value == "rate" && p.Rate.Rate <= 0 {
		return bad("rate.rate_per_point", "a positive rate is needed in rate mode")
	}
	for i, b := range p.Rate.OverspendBands {
		if b.FundShare < 0 || b.FundShare > RatioOne {
			return bad(fmt.Sprintf("rate.overspend_bands[%d].fund_share", i), "must be in [0, 1]")
		}
		if b.UpTo == 0 && i != len(p.Rate.OverspendBands)-1 {
			return bad(fmt.Sprintf("rate.overspend_bands[%d].up_to", i), "only the last band may be unbounded")
		}
		if i > 0 && b.UpTo != 0 && b.UpTo <= p.Rate.OverspendBands[i-1].UpTo {
			return bad(fmt.Sprintf("rate.overspend_bands[%d].up_to", i), "must ascend")
		}
	}
	return p.Coefficients.validate("coefficients")
}

func (c *Coefficients) validate(name string) error {
	bad := func(field, why string, args ...any) error {
		return fmt.Errorf("%s.%s: %s", name, field, fmt.Sprintf(why, args...))
	}
	if c.Min <= 0 || c.Max < c.Min {
		return bad("min/max", "need 0 < min ≤ max, got %s and %s", c.Min, c.Max)
	}
	for h, v := range c.Hospitals {
		if v <= 0 {
			return bad("hospitals."+h, "must be positive, got %s", v)
		}
	}
	for d, v := range c.DRGs {
		if v <= 0 {
			return bad("drgs."+d, "must be positive, got %s", v)
		}
	}
	seen := map[string]bool{}
	for i, t := range c.Technologies {
		if t.ID == "" || seen[t.ID] {
			return bad(fmt.Sprintf("technologies[%d].id", i), "must be present and unique")
		}
		seen[t.ID] = true
		if len(t.Procedures) == 0 {
			return bad("technologies."+t.ID+".procedures", "must list at least one procedure code")
		}
		if t.Coefficient <= 0 {
			return bad("technologies."+t.ID+".coefficient", "must be positive, got %s", t.Coefficient)
		}
	}
	return nil
}

// threshold returns t for a group of weight rw.
func (p *Policy) threshold(rw Ratio) Ratio {
	for _, b := range p.HighRatio.Bands {
		if b.MaxRW == 0 || rw <= b.MaxRW {
			return b.Threshold
		}
	}
	return p.HighRatio.Bands[len(p.HighRatio.Bands)-1].Threshold
}

// ReturnShare is the share of the quality deposit returned for an evaluation grade (a
// grade code is first mapped through grade_aliases); without a grade, the ungraded share.
func (p *Policy) ReturnShare(grade string) Ratio {
	if a, ok := p.Clearing.Aliases[grade]; ok {
		grade = a
	}
	if r, ok := p.Clearing.DepositReturn[grade]; ok {
		return r
	}
	return p.Clearing.Ungraded
}
