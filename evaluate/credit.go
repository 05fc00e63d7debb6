package evaluate

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"time"
)

//go:embed credit.json
var defaultCredit []byte

// CreditPolicy is the points system for the staff of designated institutions (医保支付资格
// 记分, 医保发〔2024〕23 号) and the item table of an institution's credit rating (信用评价).
// Both are policy data (evaluate/credit.json); the default's choices are documented in
// docs/evaluation.md.
type CreditPolicy struct {
	Version string `json:"version"`
	Source  string `json:"source"`
	// Bands are the point bands of the document: band → [low, high].
	Bands map[string][2]int `json:"bands"`
	// CategoryBand puts each violation category (the audit finding category) in a band.
	CategoryBand map[string]int `json:"category_band"`
	DefaultBand  int            `json:"default_band"`
	// Responsibility picks the points within the band: 主要 (main) the high end, 重要
	// (important) the middle, 一般 (general) the low end.
	Responsibility        map[string]string `json:"responsibility"`
	DefaultResponsibility string            `json:"default_responsibility"`
	// A person whose points in a natural year exceed SuspendAbove is suspended; at
	// TerminateAt or more, terminated.
	SuspendAbove  int          `json:"suspend_above"`
	TerminateAt   int          `json:"terminate_at"`
	HospitalItems []CreditItem `json:"hospital_items"`
	Ratings       struct {
		A float64 `json:"A"`
		B float64 `json:"B"`
		C float64 `json:"C"`
	} `json:"ratings"`
}

// CreditItem is one row of the institution credit table: PerUnit points deducted per unit
// of the item's value, at most Max.
type CreditItem struct {
	ID      string  `json:"id"`
	NameZh  string  `json:"name_zh"`
	PerUnit float64 `json:"per_unit"`
	Max     float64 `json:"max"`
}

// DefaultCreditPolicy is evaluate/credit.json.
func DefaultCreditPolicy() (*CreditPolicy, error) { return parseCredit(defaultCredit) }

// LoadCreditPolicy reads a bureau's credit policy.
func LoadCreditPolicy(path string) (*CreditPolicy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := parseCredit(b)
	if err != nil {
		return nil, fmt.Errorf("credit policy %s: %w", path, err)
	}
	return p, nil
}

func parseCredit(b []byte) (*CreditPolicy, error) {
	var p CreditPolicy
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	if p.Version == "" || len(p.Bands) == 0 || p.TerminateAt <= p.SuspendAbove || p.SuspendAbove <= 0 {
		return nil, fmt.Errorf("version, bands and 0 < suspend_above < terminate_at are required")
	}
	for k, b := range p.Bands {
		if b[0] <= 0 || b[1] < b[0] {
			return nil, fmt.Errorf("band %s: need 0 < low ≤ high", k)
		}
	}
	for c, b := range p.CategoryBand {
		if _, ok := p.Bands[fmt.Sprint(b)]; !ok {
			return nil, fmt.Errorf("category %s: band %d is not defined", c, b)
		}
	}
	if _, ok := p.Bands[fmt.Sprint(p.DefaultBand)]; !ok {
		return nil, fmt.Errorf("default_band %d is not defined", p.DefaultBand)
	}
	if _, ok := p.Responsibility[p.DefaultResponsibility]; !ok {
		return nil, fmt.Errorf("default_responsibility %q is not defined", p.DefaultResponsibility)
	}
	for _, it := range p.HospitalItems {
		switch it.ID {
		case "violation_stays", "violation_amount", "list_failures", "sanctioned_staff":
		default:
			return nil, fmt.Errorf("hospital item %q is not violation_stays, violation_amount, list_failures or sanctioned_staff", it.ID)
		}
	}
	for r, at := range p.Responsibility {
		if at != "low" && at != "mid" && at != "high" {
			return nil, fmt.Errorf("responsibility %s: %q is not low, mid or high", r, at)
		}
	}
	return &p, nil
}

// Violation is a confirmed sanction against a person: only confirmed findings become
// violations (a finding still open or dismissed scores nothing).
type Violation struct {
	Person         string    `json:"person"` // the responsible doctor (pseudonymous code)
	Hospital       string    `json:"hospital"`
	SetlID         string    `json:"setl_id"`
	Category       string    `json:"category"`
	Responsibility string    `json:"responsibility"` // 主要, 重要, 一般; "" for the policy default
	At             time.Time `json:"at"`             // when the sanction was confirmed (or the stay discharged)
}

// Points returns the points of one violation.
func (p *CreditPolicy) Points(v Violation) (int, error) {
	band, ok := p.CategoryBand[v.Category]
	if !ok {
		band = p.DefaultBand
	}
	r := v.Responsibility
	if r == "" {
		r = p.DefaultResponsibility
	}
	at, ok := p.Responsibility[r]
	if !ok {
		return 0, fmt.Errorf("violation %s %s: unknown responsibility %q", v.SetlID, v.Category, r)
	}
	b := p.Bands[fmt.Sprint(band)]
	switch at {
	case "high":
		return b[1], nil
	case "mid":
		return (b[0] + b[1] + 1) / 2, nil
	}
	return b[0], nil
}

// PersonCredit is one person's points in a natural year.
type PersonCredit struct {
	Person     string         `json:"person"`
	Year       int            `json:"year"`
	Violations int            `json:"violations"`
	Points     int            `json:"points"`
	ByCategory map[string]int `json:"points_by_category"`
	Status     string         `json:"status"` // normal, suspended, terminated
}

// StatusZh names credit statuses in Chinese.
var StatusZh = map[string]string{"normal": "正常", "suspended": "暂停医保支付资格", "terminated": "终止医保支付资格"}

// PersonPoints adds up each person's points per natural year of the violations; one
// settlement's findings of one category are one violation.
func (p *CreditPolicy) PersonPoints(vs []Violation) ([]PersonCredit, error) {
	type key struct {
		person string
		year   int
	}
	seen := map[[3]string]bool{}
	by := map[key]*PersonCredit{}
	for _, v := range vs {
		if v.Person == "" {
			continue
		}
		k3 := [3]string{v.Person, v.SetlID, v.Category}
		if seen[k3] {
			continue
		}
		seen[k3] = true
		pts, err := p.Points(v)
		if err != nil {
			return nil, err
		}
		k := key{v.Person, v.At.Year()}
		c := by[k]
		if c == nil {
			c = &PersonCredit{Person: v.Person, Year: k.year, ByCategory: map[string]int{}}
			by[k] = c
		}
		c.Violations++
		c.Points += pts
		c.ByCategory[v.Category] += pts
	}
	out := make([]PersonCredit, 0, len(by))
	for _, c := range by {
		switch {
		case c.Points >= p.TerminateAt:
			c.Status = "terminated"
		case c.Points > p.SuspendAbove:
			c.Status = "suspended"
		default:
			c.Status = "normal"
		}
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Points != out[j].Points {
			return out[i].Points > out[j].Points
		}
		if out[i].Person != out[j].Person {
			return out[i].Person < out[j].Person
		}
		return out[i].Year < out[j].Year
	})
	return out, nil
}

// HospitalCreditRow is one institution's credit table: its own items, not its
// performance grade.
type HospitalCreditRow struct {
	Hospital string            `json:"hospital"`
	Items    []CreditItemValue `json:"items"`
	Score    float64           `json:"score"`  // 100 − Σ deductions
	Rating   string            `json:"rating"` // A, B, C, D
}

// CreditItemValue is one item's value and deduction.
type CreditItemValue struct {
	ID       string   `json:"id"`
	NameZh   string   `json:"name_zh"`
	Value    *float64 `json:"value"` // null: no data, nothing deducted
	Deducted float64  `json:"deducted"`
}

// HospitalCredit rates each hospital on the policy's items from its facts and the number
// of its staff suspended or terminated (sanctioned: hospital → count).
func (p *CreditPolicy) HospitalCredit(facts []Facts, sanctioned map[string]int) []HospitalCreditRow {
	var out []HospitalCreditRow
	for i := range facts {
		f := &facts[i]
		row := HospitalCreditRow{Hospital: f.Hospital, Score: 100}
		for _, it := range p.HospitalItems {
			var v *float64
			set := func(x float64) { v = &x }
			switch it.ID {
			case "violation_stays":
				if f.Cases > 0 {
					set(100 * f.FindingStays / float64(f.Cases))
				}
			case "violation_amount":
				if f.FundFen > 0 {
					set(100 * f.FindingsFen / float64(f.FundFen))
				}
			case "list_failures":
				if f.HasList && f.ListRead > 0 {
					set(100 * float64(f.ListRejected+f.ValidationFailed) / float64(f.ListRead))
				}
			case "sanctioned_staff":
				set(float64(sanctioned[f.Hospital]))
			}
			iv := CreditItemValue{ID: it.ID, NameZh: it.NameZh, Value: v}
			if v != nil {
				iv.Deducted = math.Round(math.Min(it.Max, it.PerUnit**v)*100) / 100
			}
			row.Score -= iv.Deducted
			row.Items = append(row.Items, iv)
		}
		row.Score = math.Round(row.Score*100) / 100
		switch {
		case row.Score >= p.Ratings.A:
			row.Rating = "A"
		case row.Score >= p.Ratings.B:
			row.Rating = "B"
		case row.Score >= p.Ratings.C:
			row.Rating = "C"
		default:
			row.Rating = "D"
		}
		out = append(out, row)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Hospital < out[j].Hospital })
	return out
}
