// Package dip implements payment by disease-intervention packet (DIP, 按病种分值付费): the
// catalogue (目录库) of core and comprehensive groups built from a reference case set, the
// auxiliary catalogue (辅助目录) of severity, death and age tiers, the points of a case with
// the deviation-case rules (偏差病例), and the hospital settlement on the pooled-fund basis
// through payment.SettlePoints. Every rule and default comes from a versioned policy file
// (docs/dip.md). The package takes and returns values; reading files is the caller's job.
package dip

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/yibao-dev/yibao/payment"
)

//go:embed default-policy.json
var defaultPolicy []byte

// Rule is one policy value with the document it comes from.
type Rule[T any] struct {
	Value  T      `json:"value"`
	Source string `json:"source"`
}

// Cleaning is the outlier rule applied within each group before means are taken.
type Cleaning struct {
	PercentileMinCases int     `json:"percentile_min_cases"`
	LowPercentile      float64 `json:"low_percentile"`
	HighPercentile     float64 `json:"high_percentile"`
	MedianDivisor      int64   `json:"median_divisor"` // keep costs ≥ median / divisor …
	MedianFactor       int64   `json:"median_factor"`  // … and ≤ median × factor
}

// Tiers switches the auxiliary-catalogue tiers and sets their bounds.
type Tiers struct {
	Severity       bool `json:"severity"`
	Death          bool `json:"death"`
	Age            bool `json:"age"`
	EarlyDeathDays int  `json:"early_death_days"`
	NeonateDays    int  `json:"neonate_days"`
	ElderlyAge     int  `json:"elderly_age"`
}

// Policy is a versioned set of DIP rules.
type Policy struct {
	Format        string `json:"format"`
	FormatVersion string `json:"format_version"`
	Version       string `json:"version"`
	NameZh        string `json:"name_zh"`
	NameEn        string `json:"name_en"`
	Example       bool   `json:"example"`
	Rules         struct {
		PrincipalKey         Rule[string]                   `json:"principal_key"`
		ProcedureClasses     Rule[string]                   `json:"procedure_classes"`
		SeverityScheme       Rule[string]                   `json:"severity_scheme"`
		CoreMinCases         Rule[int]                      `json:"core_min_cases"`
		YearWeights          Rule[map[string]int]           `json:"year_weights"`
		Cleaning             Rule[Cleaning]                 `json:"cleaning"`
		LevelMinCases        Rule[int]                      `json:"level_min_cases"`
		TierMinCases         Rule[int]                      `json:"tier_min_cases"`
		Tiers                Rule[Tiers]                    `json:"tiers"`
		LowRatio             Rule[payment.Ratio]            `json:"low_ratio"`
		HighRatio            Rule[payment.Ratio]            `json:"high_ratio"`
		SpecialRatio         Rule[payment.Ratio]            `json:"special_ratio"`
		SpecialLOS           Rule[int]                      `json:"special_los"`
		ApprovedPoints       Rule[string]                   `json:"approved_points"`
		HospitalCoefficients Rule[map[string]payment.Ratio] `json:"hospital_coefficients"`
		LevelCoefficients    Rule[map[string]payment.Ratio] `json:"level_coefficients"`
		PrepayShare          Rule[payment.Ratio]            `json:"prepay_share"`
		DepositShare         Rule[payment.Ratio]            `json:"deposit_share"`
		GradeReturn          Rule[map[string]payment.Ratio] `json:"grade_return"`
		DefaultGrade         Rule[string]                   `json:"default_grade"`
	} `json:"rules"`
}

// DefaultPolicy is the built-in policy (dip/default-policy.json).
func DefaultPolicy() *Policy {
	p, err := ParsePolicy(defaultPolicy)
	if err != nil {
		panic("dip: built-in policy: " + err.Error()) // a build defect, caught by the tests
	}
	return p
}

// DefaultPolicyJSON is the text of the built-in policy.
func DefaultPolicyJSON() []byte { return append([]byte(nil), defaultPolicy...) }

// ParsePolicy reads a policy file. Rules the file leaves out keep the built-in default, so
// that a city's file names only what it changes; every rule it gives must name a source.
func ParsePolicy(b []byte) (*Policy, error) {
	var p Policy
	if len(defaultPolicy) > 0 && !isDefault(b) {
		d := DefaultPolicy()
		p = *d
	}
	// Every rule the file gives must name its source: a value without one would silently
	// keep the default's source.
	var raw struct {
		Rules map[string]json.RawMessage `json:"rules"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("DIP policy: %w", err)
	}
	for name, r := range raw.Rules {
		var src struct {
			Source *string `json:"source"`
		}
		if err := json.Unmarshal(r, &src); err != nil || src.Source == nil || strings.TrimSpace(*src.Source) == "" {
			return nil, fmt.Errorf("DIP policy: rule %s: give {\"value\": …, \"source\": \"document or local choice\"}", name)
		}
	}
	// A map-valued rule the file gives replaces the default's map rather than adding to it.
	for name, m := range map[string]any{"year_weights": &p.Rules.YearWeights.Value, "hospital_coefficients": &p.Rules.HospitalCoefficients.Value,
		"level_coefficients": &p.Rules.LevelCoefficients.Value, "grade_return": &p.Rules.GradeReturn.Value} {
		if _, given := raw.Rules[name]; given {
			switch v := m.(type) {
			case *map[string]int:
				*v = nil
			case *map[string]payment.Ratio:
				*v = nil
			}
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("DIP policy: %w", err)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("DIP policy %s: %w", p.Version, err)
	}
	return &p, nil
}

func isDefault(b []byte) bool { return string(b) == string(defaultPolicy) }

func (p *Policy) validate() error {
	if p.Format != "yibao-dip-policy" {
		return fmt.Errorf("format must be \"yibao-dip-policy\", got %q", p.Format)
	}
	if p.Version == "" {
		return fmt.Errorf("version is required")
	}
	r := &p.Rules
	sources := map[string]string{
		"principal_key": r.PrincipalKey.Source, "procedure_classes": r.ProcedureClasses.Source,
		"severity_scheme": r.SeverityScheme.Source, "core_min_cases": r.CoreMinCases.Source,
		"year_weights": r.YearWeights.Source, "cleaning": r.Cleaning.Source, "level_min_cases": r.LevelMinCases.Source,
		"tier_min_cases": r.TierMinCases.Source, "tiers": r.Tiers.Source, "low_ratio": r.LowRatio.Source,
		"high_ratio": r.HighRatio.Source, "special_ratio": r.SpecialRatio.Source, "special_los": r.SpecialLOS.Source,
		"approved_points": r.ApprovedPoints.Source, "hospital_coefficients": r.HospitalCoefficients.Source,
		"level_coefficients": r.LevelCoefficients.Source, "prepay_share": r.PrepayShare.Source,
		"deposit_share": r.DepositShare.Source, "grade_return": r.GradeReturn.Source, "default_grade": r.DefaultGrade.Source,
	}
	for name, src := range sources {
		if strings.TrimSpace(src) == "" {
			return fmt.Errorf("rule %s: a source (document number or \"local choice\") is required", name)
		}
	}
	switch r.PrincipalKey.Value {
	case "subcategory", "category", "code":
	default:
		return fmt.Errorf("rule principal_key: %q is not subcategory, category or code", r.PrincipalKey.Value)
	}
	if r.CoreMinCases.Value < 1 {
		return fmt.Errorf("rule core_min_cases: must be at least 1")
	}
	if r.LevelMinCases.Value < 1 || r.TierMinCases.Value < 1 {
		return fmt.Errorf("rules level_min_cases and tier_min_cases must be at least 1")
	}
	for y, w := range r.YearWeights.Value {
		if w < 0 {
			return fmt.Errorf("rule year_weights: year %s has a negative weight", y)
		}
	}
	c := r.Cleaning.Value
	if c.LowPercentile < 0 || c.HighPercentile > 100 || c.LowPercentile >= c.HighPercentile || c.MedianDivisor < 1 || c.MedianFactor < 1 || c.PercentileMinCases < 0 {
		return fmt.Errorf("rule cleaning: bounds out of order")
	}
	if !(0 <= r.LowRatio.Value && r.LowRatio.Value <= payment.RatioOne && r.LowRatio.Value < r.HighRatio.Value && r.HighRatio.Value < r.SpecialRatio.Value) {
		return fmt.Errorf("rules low_ratio < high_ratio < special_ratio must hold with low_ratio ≤ 1")
	}
	if r.HighRatio.Value < payment.RatioOne {
		return fmt.Errorf("rule high_ratio: must be at least 1")
	}
	if r.SpecialLOS.Value < 0 {
		return fmt.Errorf("rule special_los: must not be negative")
	}
	if r.ApprovedPoints.Value != "cost_ratio" {
		return fmt.Errorf("rule approved_points: only \"cost_ratio\" is implemented, got %q", r.ApprovedPoints.Value)
	}
	for name, m := range map[string]map[string]payment.Ratio{"hospital_coefficients": r.HospitalCoefficients.Value, "level_coefficients": r.LevelCoefficients.Value} {
		for k, v := range m {
			if v <= 0 || v > 100*payment.RatioOne {
				return fmt.Errorf("rule %s: %s has a coefficient %s outside (0, 100]", name, k, v)
			}
		}
	}
	for name, v := range map[string]payment.Ratio{"prepay_share": r.PrepayShare.Value, "deposit_share": r.DepositShare.Value} {
		if v < 0 || v > payment.RatioOne {
			return fmt.Errorf("rule %s: must be within 0–1", name)
		}
	}
	if r.PrepayShare.Value+r.DepositShare.Value > payment.RatioOne {
		return fmt.Errorf("rules prepay_share + deposit_share must not exceed 1")
	}
	for g, v := range r.GradeReturn.Value {
		if v < 0 || v > payment.RatioOne {
			return fmt.Errorf("rule grade_return: %s must be within 0–1", g)
		}
	}
	if _, ok := r.GradeReturn.Value[r.DefaultGrade.Value]; !ok {
		return fmt.Errorf("rule default_grade: %q is not in grade_return", r.DefaultGrade.Value)
	}
	t := r.Tiers.Value
	if t.EarlyDeathDays < 0 || t.NeonateDays < 0 || t.ElderlyAge < 0 {
		return fmt.Errorf("rule tiers: bounds must not be negative")
	}
	return nil
}

// Coefficient is K_h: the hospital's coefficient, else its level's, else 1.
func (p *Policy) Coefficient(hospital, level string) payment.Ratio {
	if k, ok := p.Rules.HospitalCoefficients.Value[hospital]; ok {
		return k
	}
	if k, ok := p.Rules.LevelCoefficients.Value[level]; ok {
		return k
	}
	return payment.RatioOne
}

// ReturnShare is the share of the quality deposit returned for an evaluation grade (the
// default grade when the grade is empty or unknown).
func (p *Policy) ReturnShare(grade string) payment.Ratio {
	if s, ok := p.Rules.GradeReturn.Value[grade]; ok {
		return s
	}
	return p.Rules.GradeReturn.Value[p.Rules.DefaultGrade.Value]
}
