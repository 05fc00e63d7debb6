package evaluate

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
)

//go:embed indicators.json
var defaultSystem []byte

// Indicator is one entry of the indicator library (data, not code: `compute` names one of
// the computations of Compute).
type Indicator struct {
	ID        string     `json:"id"`
	NameZh    string     `json:"name_zh"`
	NameEn    string     `json:"name_en"`
	Dimension string     `json:"dimension"` // quality, efficiency, economy, compliance, technology, experience
	SPO       string     `json:"spo"`       // structure, process, outcome
	Direction Direction  `json:"direction"`
	Target    [2]float64 `json:"target"` // for band indicators
	Compute   string     `json:"compute"`
	Weight    float64    `json:"weight"` // expert weight
	Unit      string     `json:"unit"`
	// Lights: absolute bands (value of the badness: the value itself for min indicators,
	// its absolute value for growth) — green up to Green, yellow up to Yellow, else red.
	// Without them, lights compare with the peer median.
	Green  *float64 `json:"green,omitempty"`
	Yellow *float64 `json:"yellow,omitempty"`
	Abs    bool     `json:"abs,omitempty"` // compare |value| with the bands
}

// System is a versioned indicator system with its grading and linkage rules.
type System struct {
	Version    string      `json:"version"`
	Indicators []Indicator `json:"indicators"`
	BlendAlpha float64     `json:"blend_alpha"` // weight of the expert weights against entropy weights
	ScoreFloor float64     `json:"score_floor"` // score of the peer group's worst value
	Grades     struct {
		Excellent float64 `json:"excellent"`
		Good      float64 `json:"good"`
		Average   float64 `json:"average"`
	} `json:"grades"`
	Linkage LinkageRules `json:"linkage"`
}

// LinkageRules turn results into next period's coefficients and budgets.
type LinkageRules struct {
	TopShare      float64            `json:"top_share"`    // share of a peer group rewarded
	TopMax        float64            `json:"top_max"`      // largest coefficient rise
	BottomShare   float64            `json:"bottom_share"` // share of a peer group penalised
	BottomMax     float64            `json:"bottom_max"`   // largest coefficient cut
	CoefMin       float64            `json:"coef_min"`     // caps on the resulting coefficient
	CoefMax       float64            `json:"coef_max"`
	BudgetByGrade map[string]float64 `json:"budget_by_grade"` // grade → budget change
	BudgetNeutral bool               `json:"budget_neutral"`  // rescale so the fund's total is unchanged
}

// DefaultSystem is the shipped indicator system (evaluate/indicators.json).
func DefaultSystem() (*System, error) { return ParseSystem(defaultSystem) }

// LoadSystem reads a bureau's indicator system.
func LoadSystem(path string) (*System, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("indicator system %s: %w", path, err)
	}
	s, err := ParseSystem(b)
	if err != nil {
		return nil, fmt.Errorf("indicator system %s: %w", path, err)
	}
	return s, nil
}

// ParseSystem parses and checks an indicator system.
func ParseSystem(b []byte) (*System, error) {
	var s System
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	if s.Version == "" || len(s.Indicators) == 0 {
		return nil, fmt.Errorf("version and indicators are required")
	}
	ids := map[string]bool{}
	for _, ind := range s.Indicators {
		if ind.ID == "" || ids[ind.ID] {
			return nil, fmt.Errorf("indicator id %q missing or repeated", ind.ID)
		}
		ids[ind.ID] = true
		if _, ok := computations[ind.Compute]; !ok {
			return nil, fmt.Errorf("indicator %s: unknown computation %q", ind.ID, ind.Compute)
		}
		if ind.Direction != Max && ind.Direction != Min && ind.Direction != Band {
			return nil, fmt.Errorf("indicator %s: direction must be max, min or band", ind.ID)
		}
		if ind.Weight < 0 {
			return nil, fmt.Errorf("indicator %s: negative weight", ind.ID)
		}
	}
	if s.BlendAlpha < 0 || s.BlendAlpha > 1 {
		return nil, fmt.Errorf("blend_alpha must be in [0, 1]")
	}
	l := s.Linkage
	if l.TopShare < 0 || l.TopShare > 1 || l.BottomShare < 0 || l.BottomShare > 1 || l.TopShare+l.BottomShare > 1 {
		return nil, fmt.Errorf("linkage: top_share and bottom_share must be in [0, 1] and not overlap")
	}
	if l.TopMax < 0 || l.BottomMax < 0 || l.CoefMin <= 0 || l.CoefMax < l.CoefMin {
		return nil, fmt.Errorf("linkage: top_max and bottom_max must not be negative, 0 < coef_min ≤ coef_max")
	}
	return &s, nil
}

// Facts are the per-hospital quantities the indicators are computed from, gathered from
// the store by the caller for one period.
type Facts struct {
	Hospital, PeerGroup string
	Cases               int     // inpatient settlements
	Grouped             int     // with a DRG
	ValidationFailed    int     // rejected by the grouper's validation
	SumRW               float64 // over grouped cases with a weight
	Weighted            int
	DRGs                int
	LOS, ExpectedLOS    float64 // Σ stay, Σ region mean stay of each case's DRG
	Cost, ExpectedCost  float64 // yuan; the same for cost
	// The same split by DRG class: technology-dependent DRGs (mostly surgical across the
	// region) and routine ones are scored on different indicators.
	TechCases                        int
	CostTech, ExpectedCostTech       float64
	LOSRoutine, ExpectedLOSRoutine   float64
	CostRoutine, ExpectedCostRoutine float64
	LowRiskCases                     int
	LowRiskDeaths                    int
	Discharges                       int
	Readmissions31                   int
	DrugFen, ConsFen                 int64
	FeeFen                           int64
	CostPerCase                      float64
	PrevCostPerCase                  float64
	RegionGrowth                     float64 // region's per-case cost growth
	Surgical                         int
	Findings                         int
	FindingsFen                      int64
	Upcoding, Split                  int
	Satisfaction                     float64
	HasSatisfaction                  bool
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// computations are the closed vocabulary of indicator computations.
var computations = map[string]func(f *Facts) float64{
	"cmi":                  func(f *Facts) float64 { return ratio(f.SumRW, float64(f.Weighted)) },
	"drg_count":            func(f *Facts) float64 { return float64(f.DRGs) },
	"time_index":           func(f *Facts) float64 { return ratio(f.LOS, f.ExpectedLOS) },
	"cost_index":           func(f *Facts) float64 { return ratio(f.Cost, f.ExpectedCost) },
	"tech_share":           func(f *Facts) float64 { return 100 * ratio(float64(f.TechCases), float64(f.Grouped)) },
	"cost_index_tech":      func(f *Facts) float64 { return ratio(f.CostTech, f.ExpectedCostTech) },
	"time_index_routine":   func(f *Facts) float64 { return ratio(f.LOSRoutine, f.ExpectedLOSRoutine) },
	"cost_index_routine":   func(f *Facts) float64 { return ratio(f.CostRoutine, f.ExpectedCostRoutine) },
	"low_risk_mortality":   func(f *Facts) float64 { return 100 * ratio(float64(f.LowRiskDeaths), float64(f.LowRiskCases)) },
	"readmission_31":       func(f *Facts) float64 { return 100 * ratio(float64(f.Readmissions31), float64(f.Discharges)) },
	"alos":                 func(f *Facts) float64 { return ratio(f.LOS, float64(f.Cases)) },
	"drug_share":           func(f *Facts) float64 { return 100 * ratio(float64(f.DrugFen), float64(f.FeeFen)) },
	"consumable_share":     func(f *Facts) float64 { return 100 * ratio(float64(f.ConsFen), float64(f.FeeFen)) },
	"cost_growth":          func(f *Facts) float64 { return 100 * (ratio(f.CostPerCase, f.PrevCostPerCase) - 1 - f.RegionGrowth) },
	"surgical_share":       func(f *Facts) float64 { return 100 * ratio(float64(f.Surgical), float64(f.Cases)) },
	"findings_per_100":     func(f *Facts) float64 { return 100 * ratio(float64(f.Findings), float64(f.Cases)) },
	"findings_amount":      func(f *Facts) float64 { return float64(f.FindingsFen) / 100 },
	"upcoding_rate":        func(f *Facts) float64 { return 100 * ratio(float64(f.Upcoding), float64(f.Cases)) },
	"split_rate":           func(f *Facts) float64 { return 100 * ratio(float64(f.Split), float64(f.Cases)) },
	"list_pass_rate":       func(f *Facts) float64 { return 100 * ratio(float64(f.Cases-f.ValidationFailed), float64(f.Cases)) },
	"patient_satisfaction": func(f *Facts) float64 { return f.Satisfaction },
}

// IndicatorValue is one indicator of one hospital.
type IndicatorValue struct {
	ID         string  `json:"id"`
	Value      float64 `json:"value"`
	Score      float64 `json:"score"` // 0–100 within the peer group
	PeerMedian float64 `json:"peer_median"`
	Light      string  `json:"light"` // green, yellow, red
	Weight     float64 `json:"weight"`
}

// Result is one hospital's evaluation.
type Result struct {
	Hospital   string           `json:"hospital"`
	PeerGroup  string           `json:"peer_group"`
	PeerSize   int              `json:"peer_size"`
	Indicators []IndicatorValue `json:"indicators"`
	Score      float64          `json:"score"` // weighted 0–100
	Grade      string           `json:"grade"` // excellent, good, average, poor
	Closeness  float64          `json:"closeness"`
	Rank       int              `json:"rank"` // TOPSIS rank within the peer group
}

// GradeZh names grades in Chinese.
var GradeZh = map[string]string{"excellent": "优秀", "good": "良好", "average": "一般", "poor": "较差"}

// Evaluate scores every hospital against its peer group: indicator values, entropy weights
// within the group blended with the expert weights, a 0–100 score (each indicator scaled so
// the group's worst value scores ScoreFloor and its best 100), a grade, traffic lights, and
// weighted TOPSIS closeness and rank.
func (s *System) Evaluate(facts []Facts) ([]Result, error) {
	groups := map[string][]int{}
	for i, f := range facts {
		groups[f.PeerGroup] = append(groups[f.PeerGroup], i)
	}
	out := make([]Result, len(facts))
	n := len(s.Indicators)
	expert := make([]float64, n)
	dirs := make([]Direction, n)
	for j, ind := range s.Indicators {
		expert[j] = ind.Weight
		dirs[j] = ind.Direction
		if dirs[j] == Band {
			dirs[j] = Min // badness: distance outside the band
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, g := range keys {
		idx := groups[g]
		names := make([]string, len(idx))
		raw := make([][]float64, len(idx))  // indicator values as reported
		good := make([][]float64, len(idx)) // values TOPSIS and scores compare (band → distance)
		for a, i := range idx {
			f := &facts[i]
			names[a] = f.Hospital
			raw[a] = make([]float64, n)
			good[a] = make([]float64, n)
			for j, ind := range s.Indicators {
				v := computations[ind.Compute](f)
				raw[a][j] = v
				if ind.Direction == Band {
					v = math.Max(0, math.Max(ind.Target[0]-v, v-ind.Target[1]))
				}
				good[a][j] = v
			}
		}
		w := expert
		if len(idx) >= 2 {
			ew, err := EntropyWeights(good, dirs)
			if err != nil {
				return nil, err
			}
			if w, err = Blend(expert, ew, s.BlendAlpha); err != nil {
				return nil, err
			}
		} else {
			w, _ = Blend(expert, expert, 1)
		}
		tr, err := TOPSIS(names, good, w, dirs)
		if err != nil {
			return nil, err
		}
		for a, i := range idx {
			r := Result{Hospital: names[a], PeerGroup: g, PeerSize: len(idx), Closeness: tr[a].Closeness, Rank: tr[a].Rank}
			for j, ind := range s.Indicators {
				col := make([]float64, len(idx))
				for b := range idx {
					col[b] = good[b][j]
				}
				iv := IndicatorValue{ID: ind.ID, Value: raw[a][j], Weight: w[j], PeerMedian: medianOf(rawColumn(raw, j))}
				iv.Score = s.scale(good[a][j], col, dirs[j])
				iv.Light = light(ind, raw[a][j], iv.PeerMedian)
				r.Indicators = append(r.Indicators, iv)
				r.Score += w[j] * iv.Score
			}
			r.Score = math.Round(r.Score*100) / 100
			r.Grade = s.grade(r.Score)
			out[i] = r
		}
	}
	return out, nil
}

func rawColumn(raw [][]float64, j int) []float64 {
	c := make([]float64, len(raw))
	for i := range raw {
		c[i] = raw[i][j]
	}
	return c
}

func medianOf(xs []float64) float64 {
	c := append([]float64(nil), xs...)
	sort.Float64s(c)
	if len(c) == 0 {
		return 0
	}
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

// scale maps a value to [floor, 100] within its peer column (all equal → 100).
func (s *System) scale(v float64, col []float64, d Direction) float64 {
	lo, hi := col[0], col[0]
	for _, x := range col {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if hi == lo {
		return 100
	}
	t := (v - lo) / (hi - lo)
	if d == Min {
		t = 1 - t
	}
	return s.ScoreFloor + (100-s.ScoreFloor)*t
}

func (s *System) grade(score float64) string {
	switch {
	case score >= s.Grades.Excellent:
		return "excellent"
	case score >= s.Grades.Good:
		return "good"
	case score >= s.Grades.Average:
		return "average"
	}
	return "poor"
}

// light: absolute bands when configured, else against the peer median (better or equal:
// green; up to 10% worse: yellow; worse: red).
func light(ind Indicator, v, median float64) string {
	if ind.Green != nil && ind.Yellow != nil {
		x := v
		if ind.Abs {
			x = math.Abs(v)
		}
		switch {
		case x <= *ind.Green:
			return "green"
		case x <= *ind.Yellow:
			return "yellow"
		}
		return "red"
	}
	worse := v - median // positive = worse for a min indicator
	if ind.Direction == Max {
		worse = median - v
	}
	if ind.Direction == Band {
		if v >= ind.Target[0] && v <= ind.Target[1] {
			return "green"
		}
		return "yellow"
	}
	switch {
	case worse <= 0:
		return "green"
	case worse <= 0.1*math.Abs(median):
		return "yellow"
	}
	return "red"
}
