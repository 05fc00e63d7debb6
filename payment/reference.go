package payment

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"strings"

	"github.com/yibao-dev/yibao"
)

// RefCase is a case of the reference period (基准年度).
type RefCase struct {
	ID        string
	DRG, ADRG string
	Status    string // grouped | ungroupable | failed; only grouped cases enter the reference
	Cost      yibao.Fen
	LOS       int
	Year      int // calendar year, used with reference.year_weights; 0 when one year
}

// Case statuses of the calculation contract.
const (
	StatusGrouped     = "grouped"
	StatusUngroupable = "ungroupable"
	StatusFailed      = "failed"
)

// Group sources in the reference table.
const (
	SourceOwn      = "own"        // the group's own retained cases
	SourceMulti    = "multi_year" // own cases of several years (too few in the latest alone)
	SourceBorrowed = "borrowed"   // too few cases: the ADRG's pooled mean
	SourceOfficial = "official"   // loaded from an official table
	monotoneSuffix = "+monotone"  // pooled with a neighbour to keep severity monotone
)

// Weight is one DRG of the reference table.
type Weight struct {
	DRG      string    `json:"drg"`
	ADRG     string    `json:"adrg"`
	Cases    int       `json:"cases"`         // retained (cleaned) reference cases of the group
	MeanCost yibao.Fen `json:"mean_cost_fen"` // Ā_g, their (year-weighted) mean, to the fen
	MeanLOS  Ratio     `json:"mean_los"`      // L̄_g in days, four decimals
	RW       Ratio     `json:"rw"`            // RW_g = Ā_g / Ā (after the small-group rule)
	Source   string    `json:"source"`
	Note     string    `json:"note,omitempty"`
}

// BasePoints is BP_g = 100 × RW_g.
func (w *Weight) BasePoints() Points { return Points(int64(w.RW) * 100) }

// Weights is the reference table: relative weights over one cleaned case set.
type Weights struct {
	Format        string `json:"format"` // "drg-weights"
	Version       string `json:"version"`
	Policy        string `json:"policy"`
	Scheme        string `json:"scheme,omitempty"`
	SchemeVersion string `json:"scheme_version,omitempty"`
	Period        string `json:"period,omitempty"`
	// Reference set: Cases retained of Read grouped cases (Excluded not grouped).
	Read, Excluded, Trimmed, Cases int
	// Ā = SumCost / SumWeight exactly (fen; year-weighted when year weights apply).
	SumCost, SumWeight int64
	OverallMean        yibao.Fen `json:"overall_mean_fen"` // Ā rounded to the fen, for display
	// CMI of the reference set with every group on its own data, and with the table.
	CMIOwn, CMI Ratio
	// Severity inversions within ADRGs on own data, and left in the table (official rows).
	ViolationsOwn, Violations int
	DRGs                      []Weight `json:"drgs"`
	index                     map[string]*Weight
}

// BuildReference computes the reference table from reference cases under the policy's
// reference rule, then lays the official weights (DRG → RW) over it.
//
//	Ā_g = mean cost of the retained cases of g,  Ā = mean cost of ALL retained cases,
//	RW_g = Ā_g / Ā (4 decimals),  BP_g = 100 × RW_g.
//
// Retained: each DRG's cases after the cleaning rule. With year weights, a case of year
// y counts with the weight of its year (latest year = the last weight), in Ā_g and Ā
// alike, so that the (weighted) CMI of the reference set stays 1. Small groups follow
// borrowSmall (docs/payment.md, Small groups).
func BuildReference(cases []RefCase, pol *Policy, official map[string]Ratio) (*Weights, error) {
	rule := &pol.Reference
	w := &Weights{Format: "drg-weights", Policy: pol.Version}
	latest := 0
	for _, c := range cases {
		if c.Status == StatusGrouped && c.Year > latest {
			latest = c.Year
		}
	}
	yearWeight := func(y int) (int64, error) {
		yw := rule.YearWeights
		if len(yw) == 0 {
			return 1, nil
		}
		i := len(yw) - 1 - (latest - y)
		if y == 0 || i < 0 {
			return 0, fmt.Errorf("year %d is outside the %d reference years ending %d (reference.year_weights)", y, len(yw), latest)
		}
		return yw[i], nil
	}
	type grp struct {
		drg, adrg string
		costs     []yibao.Fen
		los       []int
		wts       []int64
		latest    []bool
	}
	byDRG := map[string]*grp{}
	for _, c := range cases {
		if c.Status != StatusGrouped {
			w.Excluded++
			continue
		}
		if c.DRG == "" || c.Cost < 0 {
			return nil, fmt.Errorf("reference case %s: a grouped case needs a DRG and a cost that is not negative", c.ID)
		}
		if c.Cost == 0 {
			w.Excluded++ // no cost recorded: nothing to learn a mean from
			continue
		}
		yw, err := yearWeight(c.Year)
		if err != nil {
			return nil, fmt.Errorf("reference case %s: %w", c.ID, err)
		}
		g := byDRG[c.DRG]
		if g == nil {
			g = &grp{drg: c.DRG, adrg: c.ADRG}
			byDRG[c.DRG] = g
		} else if g.adrg != c.ADRG {
			return nil, fmt.Errorf("reference case %s: DRG %s is in ADRG %s here and %s before", c.ID, c.DRG, c.ADRG, g.adrg)
		}
		w.Read++
		if yw == 0 {
			continue
		}
		g.costs = append(g.costs, c.Cost)
		g.los = append(g.los, c.LOS)
		g.wts = append(g.wts, yw)
		g.latest = append(g.latest, c.Year == latest)
	}
	type kept struct {
		n, latestN     int
		sum, wsum, los int64
	}
	keptOf := map[string]*kept{}
	adrgKept := map[string]*kept{}
	for _, d := range sortedKeys(byDRG) {
		g := byDRG[d]
		lo, hi := cleaningBounds(g.costs, rule)
		k := &kept{}
		for i, c := range g.costs {
			if c < lo || c > hi {
				w.Trimmed++
				continue
			}
			k.n++
			k.sum += int64(c) * g.wts[i]
			k.wsum += g.wts[i]
			k.los += int64(g.los[i]) * g.wts[i]
			if g.latest[i] {
				k.latestN++
			}
		}
		if k.n == 0 {
			continue
		}
		keptOf[d] = k
		a := adrgKept[g.adrg]
		if a == nil {
			a = &kept{}
			adrgKept[g.adrg] = a
		}
		a.n += k.n
		a.sum += k.sum
		a.wsum += k.wsum
		w.Cases += k.n
		w.SumCost += k.sum
		w.SumWeight += k.wsum
	}
	if w.SumWeight == 0 || w.SumCost <= 0 {
		return nil, fmt.Errorf("no retained grouped case with a cost: the reference table needs cases")
	}
	w.OverallMean = yibao.Fen(mulDiv(w.SumCost, 1, w.SumWeight))
	// v_g: the group's mean (own, or its ADRG's pooled mean when small), as an exact
	// fraction; then severity pooling, weighting each group by its (year-weighted) cases.
	value := map[string]*big.Rat{}
	weightOf := map[string]int64{}
	for d, k := range keptOf {
		g := byDRG[d]
		x := Weight{DRG: d, ADRG: g.adrg, Cases: k.n, MeanCost: yibao.Fen(mulDiv(k.sum, 1, k.wsum)),
			MeanLOS: Ratio(mulDiv(k.los, int64(RatioOne), k.wsum)), Source: SourceOwn}
		value[d] = big.NewRat(k.sum, k.wsum)
		weightOf[d] = k.wsum
		switch {
		case k.n < rule.MinCases && g.adrg == "":
			x.Note = fmt.Sprintf("%d retained cases < %d and no ADRG to borrow from: own mean kept", k.n, rule.MinCases)
		case k.n < rule.MinCases:
			a := adrgKept[g.adrg]
			value[d] = big.NewRat(a.sum, a.wsum)
			x.Source = SourceBorrowed
			x.Note = fmt.Sprintf("%d retained cases < %d: ADRG %s pooled mean of %d cases", k.n, rule.MinCases, g.adrg, a.n)
		case len(rule.YearWeights) > 1 && k.latestN < rule.MinCases:
			x.Source = SourceMulti
			x.Note = fmt.Sprintf("%d retained cases in the latest year < %d: %d over %d years", k.latestN, rule.MinCases, k.n, len(rule.YearWeights))
		}
		w.DRGs = append(w.DRGs, x)
	}
	sort.Slice(w.DRGs, func(i, j int) bool { return w.DRGs[i].DRG < w.DRGs[j].DRG })
	w.buildIndex()
	overall := big.NewRat(w.SumCost, w.SumWeight)
	rwOf := func(v *big.Rat) Ratio {
		q := new(big.Rat).Quo(v, overall)
		q.Mul(q, big.NewRat(int64(RatioOne), 1))
		return Ratio(roundRat(q))
	}
	own := map[string]Ratio{}
	for d, k := range keptOf {
		own[d] = rwOf(big.NewRat(k.sum, k.wsum))
	}
	w.CMIOwn = cmiWith(own, weightOf)
	w.ViolationsOwn = len(w.inversions(own, rule.Severity))
	// Pool adjacent violators within each ADRG ladder (most severe first, means must not
	// increase): a violating pair is replaced by its case-weighted mean, which keeps the
	// ADRG's Σ cases × mean and so the CMI.
	type block struct {
		mean    *big.Rat
		n       int64
		members []string
	}
	for _, ladder := range w.ladders(rule.Severity) {
		var blocks []block
		for _, d := range ladder {
			blocks = append(blocks, block{value[d], weightOf[d], []string{d}})
			for len(blocks) > 1 {
				p, q := blocks[len(blocks)-2], blocks[len(blocks)-1]
				if p.mean.Cmp(q.mean) >= 0 {
					break
				}
				tot := new(big.Rat).Add(new(big.Rat).Mul(p.mean, big.NewRat(p.n, 1)), new(big.Rat).Mul(q.mean, big.NewRat(q.n, 1)))
				tot.Quo(tot, big.NewRat(p.n+q.n, 1))
				blocks = append(blocks[:len(blocks)-2], block{tot, p.n + q.n, append(append([]string{}, p.members...), q.members...)})
			}
		}
		for _, b := range blocks {
			if len(b.members) < 2 {
				continue
			}
			for _, d := range b.members {
				value[d] = b.mean
				x := w.index[d]
				x.Source += monotoneSuffix
				note := "pooled with " + strings.Join(b.members, "+") + " to keep severity monotone"
				if x.Note != "" {
					note = x.Note + "; " + note
				}
				x.Note = note
			}
		}
	}
	final := map[string]Ratio{}
	for i := range w.DRGs {
		x := &w.DRGs[i]
		x.RW = max(rwOf(value[x.DRG]), 1) // a positive weight even for a group of tiny cost
		final[x.DRG] = x.RW
	}
	for _, d := range sortedKeys(official) {
		r := official[d]
		if r <= 0 {
			return nil, fmt.Errorf("official weight of %s: must be positive, got %s", d, r)
		}
		if x, ok := w.index[d]; ok {
			x.RW, x.Source, x.Note = r, SourceOfficial, "official table"
		} else {
			w.DRGs = append(w.DRGs, Weight{DRG: d, RW: r, Source: SourceOfficial, Note: "official table; no reference cases"})
		}
		final[d] = r
	}
	sort.Slice(w.DRGs, func(i, j int) bool { return w.DRGs[i].DRG < w.DRGs[j].DRG })
	w.buildIndex()
	w.CMI = cmiWith(final, weightOf)
	w.Violations = len(w.inversions(final, rule.Severity))
	return w, nil
}

// roundRat rounds a non-negative rational half away from zero to an integer.
func roundRat(q *big.Rat) int64 {
	num, den := q.Num(), q.Denom()
	i, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Lsh(r.Abs(r), 1).Cmp(den) >= 0 {
		if num.Sign() < 0 {
			i.Sub(i, big.NewInt(1))
		} else {
			i.Add(i, big.NewInt(1))
		}
	}
	return i.Int64()
}

// cleaningBounds returns the retained cost interval of one group.
func cleaningBounds(costs []yibao.Fen, r *ReferenceRule) (yibao.Fen, yibao.Fen) {
	c := slices.Clone(costs)
	slices.Sort(c)
	if len(c) >= r.Cleaning.PercentileMinCases {
		return Percentile(c, r.Cleaning.LowerPercentile), Percentile(c, r.Cleaning.UpperPercentile)
	}
	med := Percentile(c, 0.5)
	f := r.Cleaning.MedianFactor
	return yibao.Fen(float64(med) / f), yibao.Fen(float64(med) * f)
}

// Percentile is the p-quantile (0–1) of ascending costs by linear interpolation between
// closest ranks, rounded half away from zero to the fen: the cleaning rule of the DRG
// reference table and of the DIP catalogue (docs/payment.md, docs/dip.md).
func Percentile(sorted []yibao.Fen, p float64) yibao.Fen {
	if len(sorted) == 1 {
		return sorted[0]
	}
	pos := p * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(i)
	return sorted[i] + yibao.Fen(math.Round(frac*float64(sorted[i+1]-sorted[i])))
}

// ladders returns, per ADRG, its DRGs on the severity ladder, most severe first.
func (w *Weights) ladders(severity []string) [][]string {
	rank := map[string]int{}
	for i, s := range severity {
		rank[s] = i
	}
	by := map[string][]string{}
	for _, x := range w.DRGs {
		if x.ADRG == "" || len(x.DRG) != len(x.ADRG)+1 || !strings.HasPrefix(x.DRG, x.ADRG) {
			continue
		}
		if _, ok := rank[x.DRG[len(x.ADRG):]]; ok {
			by[x.ADRG] = append(by[x.ADRG], x.DRG)
		}
	}
	var out [][]string
	for _, a := range sortedKeys(by) {
		l := by[a]
		sort.Slice(l, func(i, j int) bool {
			return rank[l[i][len(a):]] < rank[l[j][len(a):]]
		})
		if len(l) > 1 {
			out = append(out, l)
		}
	}
	return out
}

// Inversion is a pair of DRGs of one ADRG whose weights contradict severity.
type Inversion struct{ Severe, Milder string }

// inversions lists adjacent ladder pairs with RW(more severe) < RW(milder).
func (w *Weights) inversions(rw map[string]Ratio, severity []string) []Inversion {
	var out []Inversion
	for _, l := range w.ladders(severity) {
		for i := 0; i+1 < len(l); i++ {
			for j := i + 1; j < len(l); j++ {
				a, okA := rw[l[i]]
				b, okB := rw[l[j]]
				if okA && okB && a < b {
					out = append(out, Inversion{l[i], l[j]})
				}
			}
		}
	}
	return out
}

// Inversions lists the severity inversions left in the table.
func (w *Weights) Inversions(severity []string) []Inversion {
	rw := map[string]Ratio{}
	for _, x := range w.DRGs {
		rw[x.DRG] = x.RW
	}
	return w.inversions(rw, severity)
}

// cmiWith is the case-weighted mean RW: Σ n_g RW_g / Σ n_g.
func cmiWith(rw map[string]Ratio, n map[string]int64) Ratio {
	var num, den int64
	for d, c := range n {
		num += int64(rw[d]) * c
		den += c
	}
	if den == 0 {
		return 0
	}
	return Ratio(mulDiv(num, 1, den))
}

func (w *Weights) buildIndex() {
	w.index = make(map[string]*Weight, len(w.DRGs))
	for i := range w.DRGs {
		w.index[w.DRGs[i].DRG] = &w.DRGs[i]
	}
}

// Of returns the weight of a DRG.
func (w *Weights) Of(drg string) (*Weight, bool) {
	if w.index == nil {
		w.buildIndex()
	}
	x, ok := w.index[drg]
	return x, ok
}

// For returns the weight of a DRG (the ADRG is not consulted: a DRG without a weight is
// a special-review case, not priced on its ADRG). Kept with this signature for callers
// that pass both.
func (w *Weights) For(drg, _ string) (*Weight, bool) { return w.Of(drg) }

// MeanCost is Ā = Σ cases × mean_cost / Σ cases as an exact fraction (fen).
func (w *Weights) Mean() (sum, count int64) { return w.SumCost, w.SumWeight }

// NewWeights builds a table from rows read back (weights.csv or an official table):
// Ā = Σ cases × mean_cost / Σ cases over the rows with cases.
func NewWeights(version string, rows []Weight) (*Weights, error) {
	w := &Weights{Format: "drg-weights", Version: version, DRGs: append([]Weight(nil), rows...)}
	seen := map[string]bool{}
	for _, x := range w.DRGs {
		if x.DRG == "" || seen[x.DRG] {
			return nil, fmt.Errorf("weights: DRG %q is empty or listed twice", x.DRG)
		}
		seen[x.DRG] = true
		if x.RW <= 0 {
			return nil, fmt.Errorf("weights: DRG %s has weight %s; weights must be positive", x.DRG, x.RW)
		}
		if x.Cases < 0 || x.MeanCost < 0 {
			return nil, fmt.Errorf("weights: DRG %s: cases and mean_cost must not be negative", x.DRG)
		}
		w.Cases += x.Cases
		w.SumCost += int64(x.Cases) * int64(x.MeanCost)
		w.SumWeight += int64(x.Cases)
	}
	if w.SumWeight > 0 {
		w.OverallMean = yibao.Fen(mulDiv(w.SumCost, 1, w.SumWeight))
	}
	w.buildIndex()
	return w, nil
}

// CMISlice is the case-mix index of one slice.
type CMISlice struct {
	Key   string  `json:"key"`
	Cases int     `json:"cases"`
	CMI   float64 `json:"cmi"`
}

// CMI is Σ RW / number of cases with a weight, per slice key.
func CMI[T any](items []T, rw func(*T) Ratio, key func(*T) string) []CMISlice {
	sum := map[string]int64{}
	n := map[string]int{}
	for i := range items {
		r := rw(&items[i])
		if r <= 0 {
			continue
		}
		k := key(&items[i])
		sum[k] += int64(r)
		n[k]++
	}
	out := make([]CMISlice, 0, len(n))
	for _, k := range sortedKeys(n) {
		out = append(out, CMISlice{Key: k, Cases: n[k], CMI: float64(mulDiv(sum[k], 1, int64(n[k]))) / float64(RatioOne)})
	}
	return out
}
