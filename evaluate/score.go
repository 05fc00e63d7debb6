package evaluate

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/yibao-dev/yibao/indicators"
)

// Evaluate scores every unit against its peer group. Groups smaller than MinPeerSize are
// merged first (MergePeers). Within a group each indicator's value is scored against the
// peer median (Scoring); a value without data or with too few cases is null, scores null
// and leaves the composite, whose other weights are renormalised. The composite is
// Σ weight × score; hospitals whose composites are within Tolerance of a neighbour form a
// cluster whose mean composite (GradeScore) sets grade and rank, so that grade and rank
// never contradict composite order and tiny differences do not split grades.
func (s *System) Evaluate(facts []Facts) ([]Result, error) {
	groups, notes := MergePeers(facts, s.MinPeerSize)
	out := make([]Result, len(facts))
	n := len(s.Indicators)
	expert := make([]float64, n)
	sumExpert := 0.0
	defs := make([]indicators.Definition, n)
	for j, ind := range s.Indicators {
		expert[j] = ind.Weight
		sumExpert += ind.Weight
		d, ok := indicators.Lookup(ind.Compute)
		if !ok {
			return nil, fmt.Errorf("indicator %s: unknown computation %q", ind.ID, ind.Compute)
		}
		defs[j] = d
	}
	if sumExpert <= 0 {
		return nil, fmt.Errorf("indicator system %s: weights sum to zero", s.Version)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, g := range keys {
		idx := groups[g]
		m := len(idx)
		raw := make([][]*float64, m)  // values as reported
		good := make([][]*float64, m) // what is scored (band → distance outside the band)
		cases := make([][]int, m)
		why := make([][]string, m)
		for a, i := range idx {
			f := &facts[i]
			raw[a], good[a], cases[a], why[a] = make([]*float64, n), make([]*float64, n), make([]int, n), make([]string, n)
			for j, ind := range s.Indicators {
				v, c, ok := defs[j].Value(f)
				cases[a][j] = c
				min := defs[j].MinCases
				if ind.MinCases != nil {
					min = *ind.MinCases
				}
				switch {
				case !ok || math.IsNaN(v) || math.IsInf(v, 0):
					why[a][j] = "no_data"
					continue
				case c < min:
					why[a][j] = "too_few_cases"
					continue
				}
				vv := v
				raw[a][j] = &vv
				if ind.Direction == Band {
					v = math.Max(0, math.Max(ind.Target[0]-v, v-ind.Target[1]))
				}
				gv := v
				good[a][j] = &gv
			}
		}
		// Scores per indicator against the peers with data.
		scores := make([][]*float64, m)
		for a := range scores {
			scores[a] = make([]*float64, n)
		}
		medians := make([]float64, n)
		for j, ind := range s.Indicators {
			var col, rawCol []float64
			for a := range idx {
				if good[a][j] != nil {
					col = append(col, *good[a][j])
					rawCol = append(rawCol, *raw[a][j])
				}
			}
			if len(col) == 0 {
				continue
			}
			medians[j] = medianOf(rawCol)
			med, sd := medianOf(col), popSD(col)
			spread := math.Max(sd, math.Max(s.Scoring.MinSpreadRel*math.Abs(med), ind.MinSpread))
			for a := range idx {
				if good[a][j] == nil {
					continue
				}
				d := *good[a][j] - med
				if ind.Direction != Max {
					d = -d
				}
				sc := s.Scoring.Center
				if spread > 0 {
					sc += s.Scoring.PerSpread * d / spread
				}
				sc = math.Round(math.Min(100, math.Max(s.ScoreFloor, sc))*100) / 100
				scores[a][j] = &sc
			}
		}
		w := s.groupWeights(expert, scores)
		names := make([]string, m)
		for a, i := range idx {
			names[a] = facts[i].Hospital
		}
		for a, i := range idx {
			r := Result{Hospital: names[a], PeerGroup: g, PeerSize: m, PeerNote: notes[facts[i].Hospital]}
			r.PeerTooSmall = s.MinPeerSize > 0 && m < s.MinPeerSize
			wsum := 0.0
			for j := range s.Indicators {
				if scores[a][j] != nil {
					wsum += w[j]
				}
			}
			for j, ind := range s.Indicators {
				iv := IndicatorValue{ID: ind.ID, Value: raw[a][j], Score: scores[a][j], Cases: cases[a][j], NoData: why[a][j], PeerMedian: medians[j], Light: "grey"}
				if iv.Score != nil && wsum > 0 {
					iv.Weight = math.Round(w[j]/wsum*1e6) / 1e6
					iv.Contribution = math.Round(w[j]/wsum**iv.Score*1e4) / 1e4
					r.Score += w[j] / wsum * *iv.Score
					iv.Light = light(ind, *iv.Value, iv.PeerMedian)
				}
				r.Indicators = append(r.Indicators, iv)
			}
			r.Score = math.Round(r.Score*100) / 100
			r.NoData = wsum == 0
			if !r.NoData {
				r.Closeness = math.Round((r.Score-s.ScoreFloor)/(100-s.ScoreFloor)*1e6) / 1e6
			}
			out[i] = r
		}
		s.gradeGroup(out, idx)
	}
	return out, nil
}

// groupWeights blends the expert weights with entropy weights of the group's scores
// (BlendAlpha 1: expert weights only). Entropy is taken on the scores themselves, not on
// min–max-normalised values, so that an indicator on which peers differ by a hair gets
// almost no data weight (min–max normalisation would make a 1% difference as informative
// as a 50% one). Indicators without any score in the group weigh 0.
func (s *System) groupWeights(expert []float64, scores [][]*float64) []float64 {
	n := len(expert)
	se := 0.0
	for _, v := range expert {
		se += v
	}
	w := make([]float64, n)
	d := make([]float64, n)
	sumD := 0.0
	for j := 0; j < n; j++ {
		var col []float64
		for a := range scores {
			if scores[a][j] != nil {
				col = append(col, *scores[a][j])
			}
		}
		if len(col) < 2 {
			continue
		}
		sum := 0.0
		for _, x := range col {
			sum += x
		}
		e := 0.0
		for _, x := range col {
			if p := x / sum; p > 0 {
				e -= p * math.Log(p)
			}
		}
		d[j] = math.Max(0, 1-e/math.Log(float64(len(col))))
		sumD += d[j]
	}
	for j := range w {
		w[j] = s.BlendAlpha * expert[j] / se
		if sumD > 0 {
			w[j] += (1 - s.BlendAlpha) * d[j] / sumD
		} else {
			w[j] += (1 - s.BlendAlpha) * expert[j] / se
		}
	}
	return w
}

// gradeGroup forms tolerance clusters in one peer group and sets GradeScore, Grade and Rank.
func (s *System) gradeGroup(out []Result, idx []int) {
	var order []int
	for _, i := range idx {
		if out[i].NoData {
			out[i].Grade = "no_data" // not graded, not ranked, no linkage
			continue
		}
		order = append(order, i)
	}
	sort.SliceStable(order, func(a, b int) bool {
		if out[order[a]].Score != out[order[b]].Score {
			return out[order[a]].Score > out[order[b]].Score
		}
		return out[order[a]].Hospital < out[order[b]].Hospital
	})
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && out[order[end-1]].Score-out[order[end]].Score < s.Tolerance {
			end++
		}
		sum := 0.0
		for _, i := range order[start:end] {
			sum += out[i].Score
		}
		gs := math.Round(sum/float64(end-start)*100) / 100
		for _, i := range order[start:end] {
			out[i].GradeScore, out[i].Grade, out[i].Rank = gs, s.grade(gs), start+1
		}
		start = end
	}
}

func popSD(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	v := 0.0
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return math.Sqrt(v / float64(len(xs)))
}

// MergePeers forms peer groups of at least min members from the facts' peer-group labels
// ("<level>级-<type>", e.g. 3级-general). Repeatedly, the smallest group below the minimum
// (ties by label) joins: the largest other group of the same level; failing that, the
// largest group of the nearest level (the lower level on a tie). Two small groups of one
// level become "<level>级-合并"; a cross-level union is "<lo>-<hi>级-合并"; a small group
// joining a group that already has the minimum keeps that group's label. Each moved unit's
// note says where it came from. When the whole set is below the minimum it stays one group
// (the caller sees PeerTooSmall). min ≤ 1 or labels without a level: groups are as given.
func MergePeers(facts []Facts, min int) (map[string][]int, map[string]string) {
	groups := map[string][]int{}
	for i, f := range facts {
		groups[f.PeerGroup] = append(groups[f.PeerGroup], i)
	}
	notes := map[string]string{}
	if min <= 1 {
		return groups, notes
	}
	for len(groups) > 1 {
		small := ""
		for k, v := range groups {
			if len(v) < min && (small == "" || len(v) < len(groups[small]) || len(v) == len(groups[small]) && k < small) {
				small = k
			}
		}
		if small == "" {
			break
		}
		lo, hi, ok := levels(small)
		if !ok {
			break
		}
		target, dist := "", math.MaxInt
		for k, v := range groups {
			if k == small {
				continue
			}
			klo, khi, ok := levels(k)
			if !ok {
				continue
			}
			dd := 0
			switch {
			case khi < lo:
				dd = lo - khi
			case klo > hi:
				dd = klo - hi
			}
			better := dd < dist || dd == dist && (len(v) > len(groups[target]) || len(v) == len(groups[target]) && (klo < mustLo(target) || klo == mustLo(target) && k < target))
			if better {
				target, dist = k, dd
			}
		}
		if target == "" {
			break
		}
		tlo, thi, _ := levels(target)
		label := target
		if len(groups[target]) < min {
			nlo, nhi := minInt(lo, tlo), maxInt(hi, thi)
			if nlo == nhi {
				label = fmt.Sprintf("%d级-合并", nlo)
			} else {
				label = fmt.Sprintf("%d-%d级-合并", nlo, nhi)
			}
		}
		for _, i := range groups[small] {
			h := facts[i].Hospital
			if notes[h] == "" {
				notes[h] = fmt.Sprintf("原同组 %s 仅 %d 家（少于 %d 家），并入 %s", small, len(groups[small]), min, label)
			}
		}
		if label != target {
			for _, i := range groups[target] {
				h := facts[i].Hospital
				if notes[h] == "" {
					notes[h] = fmt.Sprintf("原同组 %s 仅 %d 家（少于 %d 家），并入 %s", target, len(groups[target]), min, label)
				}
			}
		}
		merged := append(append([]int(nil), groups[target]...), groups[small]...)
		delete(groups, small)
		delete(groups, target)
		groups[label] = append(groups[label], merged...)
	}
	for _, v := range groups {
		if len(v) < min {
			for _, i := range v {
				h := facts[i].Hospital
				notes[h] = strings.TrimPrefix(notes[h]+"；", "；") + fmt.Sprintf("同组仅 %d 家（少于 %d 家，已无可合并的组）：结果仅供参考，系数与预算不按等级调整", len(v), min)
			}
		}
	}
	return groups, notes
}

// levels parses "3级-…" or "2-3级-合并".
func levels(label string) (int, int, bool) {
	head, _, ok := strings.Cut(label, "级")
	if !ok {
		return 0, 0, false
	}
	a, b, two := strings.Cut(head, "-")
	lo, err := strconv.Atoi(a)
	if err != nil {
		return 0, 0, false
	}
	if !two {
		return lo, lo, true
	}
	hi, err := strconv.Atoi(b)
	if err != nil {
		return 0, 0, false
	}
	return lo, hi, true
}

func mustLo(label string) int {
	lo, _, _ := levels(label)
	return lo
}

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
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
