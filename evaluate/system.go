package evaluate

import (
	_ "embed"

	"encoding/json"
	"fmt"
	"github.com/yibao-dev/yibao/indicators"
	"math"
	"os"
)

//go:embed indicators.json
var defaultSystem []byte

// Indicator is one entry of the indicator library (data, not code: `compute` names one of
// the computations of package indicators).
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
	// MinCases overrides the computation's minimum number of cases for a value.
	MinCases *int `json:"min_cases,omitempty"`
	// MinSpread is the smallest spread (in the indicator's unit) a score is measured in, so
	// that tiny differences between peers stay tiny in points (see System.Scoring).
	MinSpread float64 `json:"min_spread,omitempty"`
	// Lights: absolute bands (value of the badness: the value itself for min indicators,
	// its absolute value for growth) — green up to Green, yellow up to Yellow, else red.
	// Without them, lights compare with the peer median.
	Green  *float64 `json:"green,omitempty"`
	Yellow *float64 `json:"yellow,omitempty"`
	Abs    bool     `json:"abs,omitempty"` // compare |value| with the bands
}

// Scoring maps a value to points against its peer group: score = Center + PerSpread × d /
// spread, clamped to [ScoreFloor, 100], where d is how much better than the peer median the
// value is (in the indicator's unit) and spread = max(population SD of the peers' values,
// MinSpreadRel × |median|, the indicator's MinSpread). A value at the median scores Center;
// one spread better scores Center + PerSpread.
type Scoring struct {
	Center       float64 `json:"center"`
	PerSpread    float64 `json:"per_spread"`
	MinSpreadRel float64 `json:"min_spread_rel"`
}

// System is a versioned indicator system with its grading and linkage rules.
type System struct {
	Version    string      `json:"version"`
	Indicators []Indicator `json:"indicators"`
	BlendAlpha float64     `json:"blend_alpha"` // weight of the expert weights against entropy weights
	ScoreFloor float64     `json:"score_floor"` // lowest indicator score
	Scoring    Scoring     `json:"scoring"`
	// MinPeerSize is the smallest peer group; smaller groups are merged (MergePeers).
	// 0 leaves groups as they are (units inside one hospital).
	MinPeerSize int `json:"min_peer_size"`
	// Tolerance (composite points): hospitals whose composites differ by less than it from
	// a neighbour in the ranking share a tolerance cluster and so a grade, rank and
	// coefficient.
	Tolerance float64 `json:"tolerance"`
	Grades    struct {
		Excellent float64 `json:"excellent"`
		Good      float64 `json:"good"`
		Average   float64 `json:"average"`
	} `json:"grades"`
	Linkage LinkageRules `json:"linkage"`
	// Policy holds the definitions' city-varying choices (readmission window, transfer
	// window, weight of unreviewed findings, low-risk threshold, …); missing fields keep
	// indicators.DefaultPolicy.
	Policy indicators.Policy `json:"policy"`
}

// LinkageRules turn results into next period's coefficients and budgets.
type LinkageRules struct {
	// Coefficient: change = ±Slope × (|GradeScore − peer median| − DeadBand) outside the
	// dead band, capped at +TopMax and −BottomMax; the coefficient is then capped.
	DeadBand  float64 `json:"dead_band"`  // composite points
	Slope     float64 `json:"slope"`      // relative coefficient change per composite point
	TopMax    float64 `json:"top_max"`    // largest coefficient rise
	BottomMax float64 `json:"bottom_max"` // largest coefficient cut
	CoefMin   float64 `json:"coef_min"`   // caps on the resulting coefficient
	CoefMax   float64 `json:"coef_max"`
	// TopShare and BottomShare flag units for reward and warning in league tables.
	TopShare      float64            `json:"top_share"`
	BottomShare   float64            `json:"bottom_share"`
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
	s := System{Policy: indicators.DefaultPolicy()}
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	if p := s.Policy; p.ReadmitDays <= 0 || p.TransferHours < 0 || p.OpenFindingWeight < 0 || p.OpenFindingWeight > 1 ||
		p.TechSurgicalShare <= 0 || p.TechSurgicalShare > 1 || p.LookAheadDays < p.ReadmitDays {
		return nil, fmt.Errorf("policy: need readmit_days > 0, transfer_hours ≥ 0, open_finding_weight in [0, 1], tech_surgical_share in (0, 1], look_ahead_days ≥ readmit_days")
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
		if _, ok := indicators.Lookup(ind.Compute); !ok {
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
	if l.TopMax < 0 || l.BottomMax < 0 || l.CoefMin <= 0 || l.CoefMax < l.CoefMin || l.DeadBand < 0 || l.Slope < 0 {
		return nil, fmt.Errorf("linkage: top_max, bottom_max, dead_band and slope must not be negative, 0 < coef_min ≤ coef_max")
	}
	if s.Scoring.Center == 0 {
		s.Scoring = Scoring{Center: 80, PerSpread: 20, MinSpreadRel: 0.1}
	}
	if s.Scoring.Center <= s.ScoreFloor || s.Scoring.Center > 100 || s.Scoring.PerSpread <= 0 || s.Scoring.MinSpreadRel < 0 {
		return nil, fmt.Errorf("scoring: need score_floor < center ≤ 100, per_spread > 0, min_spread_rel ≥ 0")
	}
	if s.Tolerance < 0 || s.MinPeerSize < 0 {
		return nil, fmt.Errorf("tolerance and min_peer_size must not be negative")
	}
	return &s, nil
}

// Facts are the per-unit numerators and denominators (package indicators).
type Facts = indicators.Facts

// IndicatorValue is one indicator of one hospital. Value and Score are null when there is
// no data (no denominator, or fewer cases than the indicator's minimum): the indicator is
// then left out of the composite and the other weights are renormalised.
type IndicatorValue struct {
	ID           string   `json:"id"`
	Value        *float64 `json:"value"`
	Score        *float64 `json:"score"`             // 0–100 against the peer group
	Cases        int      `json:"n"`                 // cases behind the value
	NoData       string   `json:"no_data,omitempty"` // no_data, too_few_cases
	PeerMedian   float64  `json:"peer_median"`
	Light        string   `json:"light"`        // green, yellow, red; grey for no data
	Weight       float64  `json:"weight"`       // effective weight in this hospital's composite (0 for no data)
	Contribution float64  `json:"contribution"` // weight × score: the composite's decomposition
}

// Result is one hospital's evaluation. Score is the composite; GradeScore is the composite
// of its tolerance cluster (hospitals within Tolerance of a neighbour share it), from which
// grade, rank, coefficient and budget all follow.
type Result struct {
	Hospital     string           `json:"hospital"`
	PeerGroup    string           `json:"peer_group"`
	PeerSize     int              `json:"peer_size"`
	PeerNote     string           `json:"peer_note,omitempty"` // how the group was formed when merged
	PeerTooSmall bool             `json:"peer_too_small,omitempty"`
	Indicators   []IndicatorValue `json:"indicators"`
	Score        float64          `json:"score"` // composite, 0–100
	GradeScore   float64          `json:"grade_score"`
	Grade        string           `json:"grade"` // excellent, good, average, poor
	// Closeness is the composite on [0, 1]: (Score − ScoreFloor) / (100 − ScoreFloor). It is
	// no longer a TOPSIS closeness: TOPSIS's ideal and anti-ideal are the peers' extremes and
	// would give a second ranking that can contradict the composite.
	Closeness float64 `json:"closeness"`
	Rank      int     `json:"rank"` // by GradeScore within the peer group; 0 when not graded
	// NoData: not one indicator has data; the hospital is neither graded ("no_data") nor
	// ranked, and its coefficient and budget do not change.
	NoData bool `json:"no_data,omitempty"`
}

// GradeZh names grades in Chinese.
var GradeZh = map[string]string{"excellent": "优秀", "good": "良好", "average": "一般", "poor": "较差", "no_data": "无数据"}

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
