// Package evaluate scores hospitals on an indicator system and links the result to
// payment: weights (manual, AHP, entropy, blended), weighted TOPSIS and a 0–100 score
// within peer groups, grades and traffic lights, coefficient and budget adjustments,
// improvement reports, and appeals with working-day deadlines. It takes and returns
// values; the store and files are the callers' business.
package evaluate

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Direction says which way an indicator is better.
type Direction string

const (
	Max  Direction = "max"  // higher is better
	Min  Direction = "min"  // lower is better
	Band Direction = "band" // inside [lo, hi] is best; the distance outside is the badness
)

// TOPSISResult is one alternative's closeness and rank.
type TOPSISResult struct {
	Name      string
	DPlus     float64 // distance to the ideal
	DMinus    float64 // distance to the anti-ideal
	Closeness float64 // D− / (D+ + D−), in [0, 1]
	Rank      int     // 1 = best; equal closeness shares a rank (1, 1, 3)
}

// TOPSIS ranks alternatives (rows of x) on criteria (columns) with weights w and
// directions dir (Max or Min): vector normalisation r = x / ‖column‖, v = w·r, ideal and
// anti-ideal per direction, Euclidean distances, closeness D−/(D+ + D−). Weights need not
// sum to one (closeness does not change when all are scaled). When every alternative is
// identical, closeness is 0.5.
func TOPSIS(names []string, x [][]float64, w []float64, dir []Direction) ([]TOPSISResult, error) {
	m := len(x)
	if m == 0 {
		return nil, errors.New("no alternatives")
	}
	n := len(w)
	if len(dir) != n {
		return nil, fmt.Errorf("%d weights but %d directions", n, len(dir))
	}
	for i, row := range x {
		if len(row) != n {
			return nil, fmt.Errorf("alternative %s has %d values, want %d", names[i], len(row), n)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("alternative %s criterion %d is not a finite number", names[i], j+1)
			}
		}
	}
	for j, wj := range w {
		if wj < 0 || math.IsNaN(wj) {
			return nil, fmt.Errorf("weight %d is %v; weights must not be negative", j+1, wj)
		}
		if dir[j] != Max && dir[j] != Min {
			return nil, fmt.Errorf("direction %d is %q; TOPSIS takes max or min", j+1, dir[j])
		}
	}
	v := make([][]float64, m)
	for i := range v {
		v[i] = make([]float64, n)
	}
	for j := 0; j < n; j++ {
		norm := 0.0
		for i := 0; i < m; i++ {
			norm += x[i][j] * x[i][j]
		}
		norm = math.Sqrt(norm)
		for i := 0; i < m; i++ {
			if norm > 0 {
				v[i][j] = w[j] * x[i][j] / norm
			}
		}
	}
	ideal, anti := make([]float64, n), make([]float64, n)
	for j := 0; j < n; j++ {
		hi, lo := v[0][j], v[0][j]
		for i := 1; i < m; i++ {
			hi, lo = math.Max(hi, v[i][j]), math.Min(lo, v[i][j])
		}
		if dir[j] == Max {
			ideal[j], anti[j] = hi, lo
		} else {
			ideal[j], anti[j] = lo, hi
		}
	}
	out := make([]TOPSISResult, m)
	for i := 0; i < m; i++ {
		var dp, dm float64
		for j := 0; j < n; j++ {
			dp += (v[i][j] - ideal[j]) * (v[i][j] - ideal[j])
			dm += (v[i][j] - anti[j]) * (v[i][j] - anti[j])
		}
		dp, dm = math.Sqrt(dp), math.Sqrt(dm)
		c := 0.5
		if dp+dm > 0 {
			c = dm / (dp + dm)
		}
		out[i] = TOPSISResult{Name: names[i], DPlus: dp, DMinus: dm, Closeness: c}
	}
	rankBy(out, func(r TOPSISResult) float64 { return r.Closeness }, func(r *TOPSISResult, k int) { r.Rank = k })
	return out, nil
}

// rankBy assigns competition ranks: 1 + the number of strictly higher keys, so that equal
// keys share a rank and the next rank skips (1, 1, 3).
func rankBy[T any](xs []T, key func(T) float64, set func(*T, int)) {
	for i := range xs {
		r := 1
		for j := range xs {
			if key(xs[j]) > key(xs[i])+1e-12 {
				r++
			}
		}
		set(&xs[i], r)
	}
}

// randomIndex is Saaty's random consistency index by matrix order.
var randomIndex = []float64{0, 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.54, 1.56, 1.57, 1.59}

// AHPResult holds the priority vector and the consistency measures.
type AHPResult struct {
	Weights               []float64
	LambdaMax, CI, RI, CR float64
}

// ErrInconsistent is returned (wrapped, with the CR) for a matrix with CR ≥ 0.1.
var ErrInconsistent = errors.New("pairwise comparisons are inconsistent")

// AHP derives weights from a positive reciprocal pairwise-comparison matrix: the principal
// eigenvector (normalised to sum 1), λmax, CI = (λmax − n)/(n − 1), CR = CI/RI. A matrix
// with CR ≥ 0.1 is refused with its CR; orders above 15 have no tabulated RI.
func AHP(a [][]float64) (AHPResult, error) {
	n := len(a)
	if n == 0 {
		return AHPResult{}, errors.New("empty matrix")
	}
	if n >= len(randomIndex) {
		return AHPResult{}, fmt.Errorf("order %d: AHP is tabulated up to 15 criteria", n)
	}
	data := make([]float64, 0, n*n)
	for i, row := range a {
		if len(row) != n {
			return AHPResult{}, fmt.Errorf("row %d has %d entries, want %d (the matrix must be square)", i+1, len(row), n)
		}
		for j, v := range row {
			if !(v > 0) || math.IsInf(v, 0) {
				return AHPResult{}, fmt.Errorf("entry (%d,%d) = %v: comparisons must be positive", i+1, j+1, v)
			}
			if i == j && math.Abs(v-1) > 1e-9 {
				return AHPResult{}, fmt.Errorf("diagonal entry (%d,%d) = %v, must be 1", i+1, j+1, v)
			}
			if math.Abs(v*a[j][i]-1) > 1e-3 {
				return AHPResult{}, fmt.Errorf("entries (%d,%d) = %v and (%d,%d) = %v are not reciprocal", i+1, j+1, v, j+1, i+1, a[j][i])
			}
		}
		data = append(data, row...)
	}
	if n == 1 {
		return AHPResult{Weights: []float64{1}, LambdaMax: 1}, nil
	}
	var eig mat.Eigen
	if !eig.Factorize(mat.NewDense(n, n, data), mat.EigenRight) {
		return AHPResult{}, errors.New("eigen-decomposition failed")
	}
	vals := eig.Values(nil)
	best := 0
	for i, v := range vals {
		if real(v) > real(vals[best]) {
			best = i
		}
	}
	var vecs mat.CDense
	eig.VectorsTo(&vecs)
	w := make([]float64, n)
	sum := 0.0
	for i := 0; i < n; i++ {
		w[i] = math.Abs(real(vecs.At(i, best)))
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	res := AHPResult{Weights: w, LambdaMax: real(vals[best]), RI: randomIndex[n]}
	res.CI = (res.LambdaMax - float64(n)) / float64(n-1)
	if res.RI > 0 {
		res.CR = res.CI / res.RI
	}
	if res.CR >= 0.1 {
		return res, fmt.Errorf("%w: CR = %.4f ≥ 0.10 (λmax %.4f, CI %.4f); revise the comparisons", ErrInconsistent, res.CR, res.LambdaMax, res.CI)
	}
	return res, nil
}

// EntropyWeights derives weights from the data's dispersion: values are min–max
// normalised per direction (an indicator constant across alternatives gets weight 0),
// p = y / Σ y, e = −Σ p ln p / ln m (0·ln 0 = 0), d = 1 − e, w = d / Σ d. When every d is
// 0 the weights are equal.
func EntropyWeights(x [][]float64, dir []Direction) ([]float64, error) {
	m := len(x)
	if m < 2 {
		return nil, errors.New("entropy weights need at least two alternatives")
	}
	n := len(dir)
	d := make([]float64, n)
	for j := 0; j < n; j++ {
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := 0; i < m; i++ {
			if len(x[i]) != n {
				return nil, fmt.Errorf("row %d has %d values, want %d", i+1, len(x[i]), n)
			}
			lo, hi = math.Min(lo, x[i][j]), math.Max(hi, x[i][j])
		}
		if hi == lo {
			continue // no dispersion, no information
		}
		y := make([]float64, m)
		sum := 0.0
		for i := 0; i < m; i++ {
			if dir[j] == Min {
				y[i] = (hi - x[i][j]) / (hi - lo)
			} else {
				y[i] = (x[i][j] - lo) / (hi - lo)
			}
			sum += y[i]
		}
		e := 0.0
		for i := 0; i < m; i++ {
			if p := y[i] / sum; p > 0 {
				e -= p * math.Log(p)
			}
		}
		d[j] = 1 - e/math.Log(float64(m))
	}
	total := 0.0
	for _, v := range d {
		total += v
	}
	w := make([]float64, n)
	for j := range w {
		if total > 0 {
			w[j] = d[j] / total
		} else {
			w[j] = 1 / float64(n)
		}
	}
	return w, nil
}

// Blend mixes expert and data-driven weights: α·expert + (1 − α)·entropy, renormalised.
func Blend(expert, entropy []float64, alpha float64) ([]float64, error) {
	if len(expert) != len(entropy) {
		return nil, errors.New("weight vectors differ in length")
	}
	if alpha < 0 || alpha > 1 {
		return nil, fmt.Errorf("blend α = %v must be in [0, 1]", alpha)
	}
	out := make([]float64, len(expert))
	sum := 0.0
	se := 0.0
	for _, v := range expert {
		se += v
	}
	for j := range out {
		e := expert[j]
		if se > 0 {
			e /= se
		}
		out[j] = alpha*e + (1-alpha)*entropy[j]
		sum += out[j]
	}
	for j := range out {
		out[j] /= sum
	}
	return out, nil
}
