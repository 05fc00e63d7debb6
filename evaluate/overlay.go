package evaluate

import (
	"fmt"
	"sort"
)

// CoefficientOverlay is the payment-policy overlay through which evaluation reaches
// pricing (技术绩效联动): the DRG payment engine reads it with `--coefficients FILE` and a
// case's K is the product of its hospital's, its DRG's and its technologies' coefficients,
// capped to [Min, Max]. The shape is shared with package payment; see docs/evaluation.md.
type CoefficientOverlay struct {
	Version      string              `json:"version"`
	Source       string              `json:"source"`
	Coefficients OverlayCoefficients `json:"coefficients"`
}

// OverlayCoefficients are the coefficients; what is not produced is omitted.
type OverlayCoefficients struct {
	Hospitals    map[string]float64  `json:"hospitals,omitempty"`
	DRGs         map[string]float64  `json:"drgs,omitempty"`
	Technologies []OverlayTechnology `json:"technologies,omitempty"`
	Min          float64             `json:"min"`
	Max          float64             `json:"max"`
}

// OverlayTechnology is one technology's coefficient, applied to cases of the listed DRGs
// with one of the listed procedures.
type OverlayTechnology struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Procedures  []string `json:"procedures"`
	DRGs        []string `json:"drgs"`
	Coefficient float64  `json:"coefficient"`
}

// TechnologyOverlay turns the region-level technology results into overlay entries. A
// technology judged on too few cases (病例不足) is left out, as is one defined only by
// consumables (the payment engine matches procedures); skipped says which and why.
func (cat *TechCatalogue) TechnologyOverlay(results []TechResult) (techs []OverlayTechnology, skipped []string) {
	byID := map[string]Technology{}
	for _, t := range cat.Technologies {
		byID[t.ID] = t
	}
	for _, r := range results {
		if r.Hospital != "" {
			continue
		}
		t := byID[r.Technology]
		switch {
		case r.Alternatives.Cases == 0:
			skipped = append(skipped, fmt.Sprintf("%s：同病组内无对照病例（%d 例均使用该技术）", r.Technology, r.Tech.Cases))
		case len(r.Flags) > 0 && r.Flags[0] == "病例不足":
			skipped = append(skipped, fmt.Sprintf("%s：病例不足（%d 例，少于 %d 例）", r.Technology, r.Tech.Cases, cat.Rules.MinCases))
		case len(t.Procedures) == 0:
			skipped = append(skipped, fmt.Sprintf("%s：仅由耗材定义，付费引擎按手术操作匹配", r.Technology))
		default:
			techs = append(techs, OverlayTechnology{ID: t.ID, Name: t.NameZh, Procedures: append([]string(nil), t.Procedures...),
				DRGs: append([]string(nil), r.DRGs...), Coefficient: r.Coefficient})
		}
	}
	sort.Slice(techs, func(i, j int) bool { return techs[i].ID < techs[j].ID })
	return techs, skipped
}
