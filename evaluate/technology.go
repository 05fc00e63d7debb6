package evaluate

import (
	_ "embed"

	"encoding/json"
	"fmt"
	"github.com/yibao-dev/yibao/indicators"
	"math"
	"os"
	"sort"
)

//go:embed technologies.json
var defaultTechnologies []byte

// Technology is a procedure or consumable code set evaluated against the alternatives
// within the same DRGs (技术评价).
type Technology struct {
	ID          string   `json:"id"`
	NameZh      string   `json:"name_zh"`
	NameEn      string   `json:"name_en"`
	Procedures  []string `json:"procedures"`
	Consumables []string `json:"consumables"` // national list codes of consumables or service items
}

// TechRules move technology coefficients with the comparison.
type TechRules struct {
	DoubleBetterCoef float64 `json:"double_better_coef"` // faster and cheaper, outcomes not worse
	WorseOutcomeCoef float64 `json:"worse_outcome_coef"` // complications or readmissions worse
	OutcomeMarginPP  float64 `json:"outcome_margin_pp"`  // percentage points that count as worse
	// OutcomeAlpha: a worse outcome also needs the one-sided Fisher exact test to reject
	// "no worse" at this level, so that 2 complications in 14 cases do not condemn a
	// technology (0: margin only).
	OutcomeAlpha float64 `json:"outcome_alpha,omitempty"`
	MinCases     int     `json:"min_cases"` // fewer technology cases: no judgement
	CoefMin      float64 `json:"coef_min"`
	CoefMax      float64 `json:"coef_max"`
}

// TechCatalogue is a versioned list of technologies with their rules.
type TechCatalogue struct {
	Version      string       `json:"version"`
	Rules        TechRules    `json:"rules"`
	Technologies []Technology `json:"technologies"`
}

// DefaultTechnologies is evaluate/technologies.json.
func DefaultTechnologies() (*TechCatalogue, error) { return parseTech(defaultTechnologies) }

// LoadTechnologies reads a bureau's technology catalogue.
func LoadTechnologies(path string) (*TechCatalogue, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := parseTech(b)
	if err != nil {
		return nil, fmt.Errorf("technology catalogue %s: %w", path, err)
	}
	return c, nil
}

func parseTech(b []byte) (*TechCatalogue, error) {
	var c TechCatalogue
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	for _, t := range c.Technologies {
		if t.ID == "" || len(t.Procedures)+len(t.Consumables) == 0 {
			return nil, fmt.Errorf("technology %q needs an id and procedure or consumable codes", t.ID)
		}
	}
	if c.Rules.CoefMax == 0 {
		c.Rules.CoefMin, c.Rules.CoefMax = 0.9, 1.1
	}
	return &c, nil
}

// TechCase is a grouped stay with what the technology comparison needs (package indicators).
type TechCase = indicators.TechCase

// TechStats summarise a set of cases.
type TechStats struct {
	Cases        int     `json:"cases"`
	MeanLOS      float64 `json:"mean_los"`
	MeanCost     float64 `json:"mean_cost"`
	Complication float64 `json:"complication_pct"` // stays with a secondary diagnosis not present on admission
	Readmission  float64 `json:"readmission_pct"`  // 31-day unplanned readmission
	Mortality    float64 `json:"mortality_pct"`
	UnknownPOA   float64 `json:"unknown_poa_pct"` // stays with a secondary diagnosis of uncertain/unknown admission status
}

// TechResult compares a technology (in the region or one hospital) with the alternatives
// in the same DRGs across the region.
type TechResult struct {
	Technology   string    `json:"technology"`
	Name         string    `json:"name"`
	Hospital     string    `json:"hospital"` // "" for the region
	DRGs         []string  `json:"drgs"`
	Tech         TechStats `json:"tech"`
	Alternatives TechStats `json:"alternatives"`
	Flags        []string  `json:"flags"` // 效率与费用双优, 效率更优, 费用更优, 疗效较差, 病例不足, 无对照病例
	Coefficient  float64   `json:"coefficient"`
}

func (t Technology) uses(c *TechCase) bool {
	for _, p := range c.Procedures {
		for _, q := range t.Procedures {
			if p == q {
				return true
			}
		}
	}
	for _, it := range c.Items {
		for _, q := range t.Consumables {
			if it == q {
				return true
			}
		}
	}
	return false
}

func stats(cs []*TechCase) TechStats {
	s := TechStats{Cases: len(cs)}
	if len(cs) == 0 {
		return s
	}
	var comp, readm, died, unk int
	for _, c := range cs {
		if c.Died {
			died++
		}
		if c.UnknownPOA {
			unk++
		}
		s.MeanLOS += float64(c.LOS)
		s.MeanCost += c.Cost
		if c.Complication {
			comp++
		}
		if c.Readmitted {
			readm++
		}
	}
	n := float64(len(cs))
	s.MeanLOS = math.Round(s.MeanLOS/n*100) / 100
	s.MeanCost = math.Round(s.MeanCost/n*100) / 100
	s.Complication = math.Round(1000*float64(comp)/n) / 10
	s.Readmission = math.Round(1000*float64(readm)/n) / 10
	s.Mortality = math.Round(1000*float64(died)/n) / 10
	s.UnknownPOA = math.Round(1000*float64(unk)/n) / 10
	return s
}

// EvaluateTechnologies compares each technology with the alternatives in the DRGs where it
// is used: for the region, and for each hospital that uses it. A technology faster and
// cheaper than the alternatives with outcomes not worse (by more than the margin) is flagged
// 效率与费用双优 and its coefficient rises to DoubleBetterCoef; worse outcomes lower it to
// WorseOutcomeCoef; coefficients stay within the caps.
func (cat *TechCatalogue) EvaluateTechnologies(cases []TechCase) []TechResult {
	var out []TechResult
	r := cat.Rules
	for _, t := range cat.Technologies {
		drgs := map[string]bool{}
		for i := range cases {
			if t.uses(&cases[i]) {
				drgs[cases[i].DRG] = true
			}
		}
		var techAll, alt []*TechCase
		byHosp := map[string][]*TechCase{}
		for i := range cases {
			c := &cases[i]
			if !drgs[c.DRG] {
				continue
			}
			if t.uses(c) {
				techAll = append(techAll, c)
				byHosp[c.Hospital] = append(byHosp[c.Hospital], c)
			} else {
				alt = append(alt, c)
			}
		}
		var drgList []string
		for d := range drgs {
			drgList = append(drgList, d)
		}
		sort.Strings(drgList)
		as := stats(alt)
		judge := func(hosp string, cs []*TechCase) TechResult {
			ts := stats(cs)
			res := TechResult{Technology: t.ID, Name: t.NameZh, Hospital: hosp, DRGs: drgList, Tech: ts, Alternatives: as, Coefficient: 1}
			switch {
			case as.Cases == 0:
				res.Flags = []string{"无对照病例"} // every case of its DRGs uses it: nothing to compare with
				return res
			case ts.Cases < r.MinCases:
				res.Flags = []string{"病例不足"}
				return res
			}
			faster, cheaper := ts.MeanLOS < as.MeanLOS, ts.MeanCost < as.MeanCost
			worseOn := func(tech, alt float64) bool {
				if tech <= alt+r.OutcomeMarginPP {
					return false
				}
				if r.OutcomeAlpha <= 0 {
					return true
				}
				// Counts back from the rounded percentages (one decimal of a percent: exact
				// for fewer than 1,000 cases, and the test is about small groups).
				k1, k2 := int(math.Round(tech*float64(ts.Cases)/100)), int(math.Round(alt*float64(as.Cases)/100))
				return FisherGreater(k1, ts.Cases, k2, as.Cases) < r.OutcomeAlpha
			}
			worse := worseOn(ts.Complication, as.Complication) || worseOn(ts.Readmission, as.Readmission) || worseOn(ts.Mortality, as.Mortality)
			switch {
			case worse:
				res.Flags = append(res.Flags, "疗效较差")
				res.Coefficient = r.WorseOutcomeCoef
			case faster && cheaper:
				res.Flags = append(res.Flags, "效率与费用双优")
				res.Coefficient = r.DoubleBetterCoef
			case faster:
				res.Flags = append(res.Flags, "效率更优")
			case cheaper:
				res.Flags = append(res.Flags, "费用更优")
			}
			res.Coefficient = math.Min(r.CoefMax, math.Max(r.CoefMin, res.Coefficient))
			return res
		}
		out = append(out, judge("", techAll))
		hs := make([]string, 0, len(byHosp))
		for h := range byHosp {
			hs = append(hs, h)
		}
		sort.Strings(hs)
		for _, h := range hs {
			out = append(out, judge(h, byHosp[h]))
		}
	}
	return out
}

// FisherGreater is the one-sided p-value of Fisher's exact test that the event rate of the
// first group (k1 of n1) is greater than the second's (k2 of n2): the probability, with the
// margins fixed, of k1 or more events in the first group under the hypergeometric law
// (Fisher 1922; Agresti, Categorical Data Analysis, 3rd ed., §3.5).
func FisherGreater(k1, n1, k2, n2 int) float64 {
	n, k := n1+n2, k1+k2
	if n1 <= 0 || k <= 0 {
		return 1
	}
	lchoose := func(a, b int) float64 {
		x, _ := math.Lgamma(float64(a + 1))
		y, _ := math.Lgamma(float64(b + 1))
		z, _ := math.Lgamma(float64(a - b + 1))
		return x - y - z
	}
	denom := lchoose(n, n1)
	p := 0.0
	for x := k1; x <= min(k, n1); x++ {
		if k-x > n2 || k-x < 0 {
			continue
		}
		p += math.Exp(lchoose(k, x) + lchoose(n-k, n1-x) - denom)
	}
	return math.Min(1, p)
}
