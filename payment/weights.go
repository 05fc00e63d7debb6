package payment

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/grouper"
)

// WeightCase is a grouped case of the reference period.
type WeightCase struct {
	DRG, ADRG string
	Cost      yibao.Fen
	LOS       int
}

// Weight is the relative weight of one DRG and where it came from.
type Weight struct {
	DRG         string    `json:"drg"`
	RW          Ratio     `json:"rw"`
	Cases       int       `json:"cases"`
	Source      string    `json:"source"` // local, adrg, fallback, official
	TrimmedMean yibao.Fen `json:"trimmed_mean_fen"`
	MeanLOS     float64   `json:"mean_los"` // for per-diem rules and LOS indices
}

// Weights is a versioned weight table.
type Weights struct {
	Format        string            `json:"format"` // "drg-weights"
	Version       string            `json:"version"`
	Scheme        string            `json:"scheme"`
	SchemeVersion string            `json:"scheme_version"`
	Period        string            `json:"period"`
	Cases         int               `json:"cases"`
	OverallMean   yibao.Fen         `json:"overall_trimmed_mean_fen"`
	MinCases      int               `json:"min_cases"`
	Trimming      string            `json:"trimming"`
	DRGs          []Weight          `json:"drgs"`
	ADRGs         []Weight          `json:"adrgs"`              // pooled weights, lent to DRGs absent from the reference
	Borrowed      map[string]string `json:"borrowed,omitempty"` // DRG → how its weight was obtained
	index         map[string]*Weight
	adrgIndex     map[string]*Weight
}

// ComputeWeights derives RW(g) = trimmed mean cost of g / trimmed mean cost of all cases,
// rounded to four decimals, with grouper.TrimmedMean's rule. A DRG with fewer than
// minCases cases borrows the weight of its ADRG (all its DRGs pooled) when the ADRG has
// enough cases, else a configured fallback; otherwise it has no weight and is listed.
func ComputeWeights(cases []WeightCase, minCases int, fallback map[string]Ratio) (*Weights, error) {
	if minCases < 1 {
		return nil, fmt.Errorf("parameter weights.min_cases: must be at least 1")
	}
	byDRG := map[string][]yibao.Fen{}
	byADRG := map[string][]yibao.Fen{}
	los := map[string][2]int{}
	adrgOf := map[string]string{}
	var all []yibao.Fen
	for _, c := range cases {
		byDRG[c.DRG] = append(byDRG[c.DRG], c.Cost)
		byADRG[c.ADRG] = append(byADRG[c.ADRG], c.Cost)
		adrgOf[c.DRG] = c.ADRG
		l := los[c.DRG]
		los[c.DRG] = [2]int{l[0] + c.LOS, l[1] + 1}
		all = append(all, c.Cost)
	}
	overall, _ := grouper.TrimmedMean(all)
	if overall <= 0 {
		return nil, fmt.Errorf("no costed cases to derive weights from")
	}
	w := &Weights{Format: "drg-weights", Cases: len(all), OverallMean: overall, MinCases: minCases,
		Trimming: "grouper.TrimmedMean: ≥40 cases → 2.5th–97.5th percentiles, fewer → 1/3–3× the median", Borrowed: map[string]string{}}
	drgs := make([]string, 0, len(byDRG))
	for d := range byDRG {
		drgs = append(drgs, d)
	}
	for d := range fallback {
		if _, ok := byDRG[d]; !ok {
			drgs = append(drgs, d)
		}
	}
	sort.Strings(drgs)
	adrgs := make([]string, 0, len(byADRG))
	for a := range byADRG {
		adrgs = append(adrgs, a)
	}
	sort.Strings(adrgs)
	for _, a := range adrgs {
		if costs := byADRG[a]; len(costs) >= minCases {
			mean, _ := grouper.TrimmedMean(costs)
			w.ADRGs = append(w.ADRGs, Weight{DRG: a, Cases: len(costs), Source: "adrg", TrimmedMean: mean,
				RW: Ratio(mulDiv(int64(mean), int64(RatioOne), int64(overall)))})
		}
	}
	for _, d := range drgs {
		costs := byDRG[d]
		x := Weight{DRG: d, Cases: len(costs), Source: "local"}
		if l := los[d]; l[1] > 0 {
			x.MeanLOS = float64(l[0]) / float64(l[1])
		}
		switch {
		case len(costs) >= minCases:
			x.TrimmedMean, _ = grouper.TrimmedMean(costs)
		case len(byADRG[adrgOf[d]]) >= minCases:
			x.TrimmedMean, _ = grouper.TrimmedMean(byADRG[adrgOf[d]])
			x.Source = "adrg"
			w.Borrowed[d] = fmt.Sprintf("%d cases < %d: weight of ADRG %s (%d cases)", len(costs), minCases, adrgOf[d], len(byADRG[adrgOf[d]]))
		case fallback[d] > 0:
			x.RW, x.Source = fallback[d], "fallback"
			w.Borrowed[d] = fmt.Sprintf("%d cases < %d: configured weight %s", len(costs), minCases, fallback[d])
		default:
			w.Borrowed[d] = fmt.Sprintf("%d cases < %d and no ADRG or configured weight: no weight", len(costs), minCases)
			continue
		}
		if x.Source != "fallback" {
			x.RW = Ratio(mulDiv(int64(x.TrimmedMean), int64(RatioOne), int64(overall)))
		}
		w.DRGs = append(w.DRGs, x)
	}
	w.buildIndex()
	return w, nil
}

func (w *Weights) buildIndex() {
	w.index = make(map[string]*Weight, len(w.DRGs))
	for i := range w.DRGs {
		w.index[w.DRGs[i].DRG] = &w.DRGs[i]
	}
	w.adrgIndex = make(map[string]*Weight, len(w.ADRGs))
	for i := range w.ADRGs {
		w.adrgIndex[w.ADRGs[i].DRG] = &w.ADRGs[i]
	}
}

// Of returns the weight of a DRG.
func (w *Weights) Of(drg string) (*Weight, bool) {
	x, ok := w.index[drg]
	return x, ok
}

// For returns the DRG's weight, else (for a DRG the reference period never saw) the pooled
// weight of its ADRG.
func (w *Weights) For(drg, adrg string) (*Weight, bool) {
	if x, ok := w.index[drg]; ok {
		return x, true
	}
	x, ok := w.adrgIndex[adrg]
	return x, ok
}

// Override replaces weights (a bureau's official table, or a scenario).
func (w *Weights) Override(rw map[string]Ratio, source string) {
	for drg, r := range rw {
		if x, ok := w.index[drg]; ok {
			x.RW, x.Source = r, source
			continue
		}
		w.DRGs = append(w.DRGs, Weight{DRG: drg, RW: r, Source: source})
		w.buildIndex()
	}
}

// Clone copies the table.
func (w *Weights) Clone() *Weights {
	c := *w
	c.DRGs = append([]Weight(nil), w.DRGs...)
	c.ADRGs = append([]Weight(nil), w.ADRGs...)
	c.buildIndex()
	return &c
}

// LoadWeights reads a weight table (ours, or an official one in the same format).
func LoadWeights(path string) (*Weights, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("weights %s: %w", path, err)
	}
	var w Weights
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("weights %s: %w", path, err)
	}
	if w.Format != "drg-weights" || w.Version == "" {
		return nil, fmt.Errorf("weights %s: format must be \"drg-weights\" with a version", path)
	}
	for _, x := range w.DRGs {
		if x.RW <= 0 {
			return nil, fmt.Errorf("weights %s: DRG %s has weight %s; weights must be positive", path, x.DRG, x.RW)
		}
	}
	w.buildIndex()
	return &w, nil
}

// CMISlice is the case-mix index of one slice.
type CMISlice struct {
	Key   string  `json:"key"`
	Cases int     `json:"cases"`
	CMI   float64 `json:"cmi"`
}

// CMI is Σ RW / number of grouped cases with a weight, per slice key (hospital,
// department, doctor, month: whatever key returns).
func CMI(priced []Priced, key func(*Priced) string) []CMISlice {
	sum := map[string]int64{}
	n := map[string]int{}
	for i := range priced {
		p := &priced[i]
		if p.RW <= 0 {
			continue
		}
		k := key(p)
		sum[k] += int64(p.RW)
		n[k]++
	}
	out := make([]CMISlice, 0, len(n))
	for _, k := range sortedKeys(n) {
		out = append(out, CMISlice{Key: k, Cases: n[k], CMI: float64(mulDiv(sum[k], 1, int64(n[k]))) / float64(RatioOne)})
	}
	return out
}
