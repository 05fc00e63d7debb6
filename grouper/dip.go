package grouper

import (
	"math"
	"slices"

	"github.com/yibao-dev/yibao"
)

// What remains here of the first DIP engine (now package dip, docs/dip.md): the trimmed mean
// that the DRG weights use, and the chapter-based treatment class that the evaluation's
// surgical flag uses. DIP itself classes procedures with dip.ClassTable.

// Treatment classes of comprehensive groups.
const (
	TreatConservative = "conservative" // 保守治疗: no procedure
	TreatDiagnostic   = "diagnostic"   // 诊断性操作
	TreatTherapeutic  = "therapeutic"  // 治疗性操作
	TreatSurgical     = "surgical"     // 手术
)

// TreatmentClass classifies a procedure set by ICD-9-CM-3 chapter: 00–86 operations
// (surgical), 87–91 diagnostic imaging and tests (diagnostic), 92–99 other non-operative
// procedures (therapeutic). The highest class present wins.
func TreatmentClass(procs []string) string {
	class := TreatConservative
	rank := map[string]int{TreatConservative: 0, TreatDiagnostic: 1, TreatTherapeutic: 2, TreatSurgical: 3}
	for _, p := range procs {
		if len(p) < 2 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' {
			continue
		}
		ch := int(p[0]-'0')*10 + int(p[1]-'0')
		c := TreatTherapeutic
		switch {
		case ch <= 86:
			c = TreatSurgical
		case ch <= 91:
			c = TreatDiagnostic
		}
		if rank[c] > rank[class] {
			class = c
		}
	}
	return class
}

// TrimmedMean is the documented outlier rule of DIP scores (and of relative weights):
// with 40 or more costs, the mean of those between the 2.5th and 97.5th percentiles; with
// fewer, the mean of those between a third and three times the median. It returns the mean
// in fen (rounded half away from zero) and how many costs it kept.
func TrimmedMean(costs []yibao.Fen) (yibao.Fen, int) {
	if len(costs) == 0 {
		return 0, 0
	}
	c := slices.Clone(costs)
	slices.Sort(c)
	var lo, hi yibao.Fen
	if len(c) >= 40 {
		lo, hi = percentile(c, 0.025), percentile(c, 0.975)
	} else {
		med := percentile(c, 0.5)
		lo, hi = med/3, med*3
	}
	var sum int64
	n := 0
	for _, x := range c {
		if x >= lo && x <= hi {
			sum += int64(x)
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return yibao.Fen(divRound(sum, int64(n))), n
}

// percentile by linear interpolation between closest ranks (sorted input), rounded to the fen.
func percentile(sorted []yibao.Fen, p float64) yibao.Fen {
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

// divRound divides rounding half away from zero.
func divRound(a, b int64) int64 {
	q, r := a/b, a%b
	if 2*abs64(r) >= abs64(b) {
		if (a < 0) != (b < 0) {
			q--
		} else {
			q++
		}
	}
	return q
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
