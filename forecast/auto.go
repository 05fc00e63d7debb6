package forecast

import (
	"errors"
	"math"
	"sort"
)

// AutoOptions bound the automatic ARIMA search; zero values take forecast::auto.arima's defaults.
type AutoOptions struct {
	MaxP, MaxQ, MaxSP, MaxSQ, MaxOrder int
	MaxD, MaxSD                        int
	// Approximate searches with CSS and refits the winner by exact ML; the default (as
	// auto.arima) approximates when the series is longer than 150 or the period above 12.
	Approximate *bool
}

// AutoARIMA selects a seasonal ARIMA by AICc with the stepwise Hyndman–Khandakar algorithm
// (Hyndman & Khandakar 2008, J. Stat. Softw. 27(3); forecast::auto.arima 8.x): D by the
// seasonal-strength test, d by repeated KPSS tests, then a stepwise search from four starting
// models over p, q, P, Q and the constant.
func AutoARIMA(y []float64, period int, o AutoOptions) (*ARIMAFit, error) {
	if len(y) < 3 {
		return nil, errShort
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.MaxP, 5)
	def(&o.MaxQ, 5)
	def(&o.MaxSP, 2)
	def(&o.MaxSQ, 2)
	def(&o.MaxOrder, 5)
	def(&o.MaxD, 2)
	def(&o.MaxSD, 1)
	n := len(y)
	if period < 1 {
		period = 1
	}
	if constant(y) {
		return FitARIMA(y, ARIMASpec{Period: period, Mean: true}, FitOptions{Method: "ML"})
	}
	// Short series allow fewer terms (auto.arima: a third of the length).
	o.MaxP = min(o.MaxP, n/3)
	o.MaxQ = min(o.MaxQ, n/3)
	if period > 1 {
		o.MaxSP = min(o.MaxSP, n/3/period)
		o.MaxSQ = min(o.MaxSQ, n/3/period)
	} else {
		o.MaxSP, o.MaxSQ = 0, 0
	}
	D := 0
	if period > 1 && o.MaxSD > 0 && n >= 2*period+1 {
		D = nsdiffs(y, period)
	}
	x := y
	if D > 0 {
		x = lagDiff(y, period)
	}
	d := ndiffs(x, o.MaxD)
	if period == 1 {
		D = 0
	}
	approx := n > 150 || period > 12
	if o.Approximate != nil {
		approx = *o.Approximate
	}
	method := "CSS-ML"
	if approx {
		method = "CSS"
	}
	allowConst := d+D <= 1
	nstar := n - d - D*period

	type key struct {
		p, q, P, Q int
		c          bool
	}
	tried := map[key]float64{}
	fits := map[key]*ARIMAFit{}
	var best key
	bestIC := math.Inf(1)
	try := func(k key) float64 {
		if v, ok := tried[k]; ok {
			return v
		}
		ic := math.Inf(1)
		if k.p+k.q+k.P+k.Q <= o.MaxOrder && k.p <= o.MaxP && k.q <= o.MaxQ && k.P <= o.MaxSP && k.Q <= o.MaxSQ && (!k.c || allowConst) {
			spec := ARIMASpec{Order: Order{k.p, d, k.q}, Seasonal: Order{k.P, D, k.Q}, Period: period, Mean: k.c, Drift: k.c}
			if period == 1 {
				spec.Seasonal = Order{}
			}
			var fit *ARIMAFit
			var err error = errShort
			// A neighbour of the current best starts from the best's estimates (new terms at
			// zero): it is one term away, so this converges in a few iterations where CSS
			// starting values need many. Fall back to CSS-ML when that fails.
			if from := fits[best]; from != nil && !approx {
				fit, err = FitARIMA(y, spec, FitOptions{Method: "ML", Quick: true, Init: warmInit(from, spec)})
			}
			if err != nil {
				fit, err = FitARIMA(y, spec, FitOptions{Method: method, Quick: true})
			}
			if err == nil && rootsOK(fit) {
				ic = fit.AICc
				if approx {
					ic = cssIC(fit, nstar)
				}
				fits[k] = fit
			}
		}
		tried[k] = ic
		return ic
	}
	p0, q0, P0, Q0 := min(2, o.MaxP), min(2, o.MaxQ), min(1, o.MaxSP), min(1, o.MaxSQ)
	starts := []key{{p0, q0, P0, Q0, allowConst}, {0, 0, 0, 0, allowConst}, {min(1, o.MaxP), 0, min(1, o.MaxSP), 0, allowConst}, {0, min(1, o.MaxQ), 0, min(1, o.MaxSQ), allowConst}}
	if allowConst {
		starts = append(starts, key{0, 0, 0, 0, false})
	}
	best = starts[0]
	for _, k := range starts {
		if ic := try(k); ic < bestIC {
			best, bestIC = k, ic
		}
	}
	const maxModels = 94
	for improved := true; improved && len(tried) < maxModels; {
		improved = false
		b := best
		var cands []key
		for _, dP := range []int{-1, 1} {
			cands = append(cands, key{b.p, b.q, b.P + dP, b.Q, b.c})
		}
		for _, dQ := range []int{-1, 1} {
			cands = append(cands, key{b.p, b.q, b.P, b.Q + dQ, b.c})
		}
		for _, dP := range []int{-1, 1} {
			for _, dQ := range []int{-1, 1} {
				cands = append(cands, key{b.p, b.q, b.P + dP, b.Q + dQ, b.c})
			}
		}
		cands = append(cands, key{b.p - 1, b.q, b.P, b.Q, b.c}, key{b.p, b.q - 1, b.P, b.Q, b.c},
			key{b.p + 1, b.q, b.P, b.Q, b.c}, key{b.p, b.q + 1, b.P, b.Q, b.c})
		for _, dp := range []int{-1, 1} {
			for _, dq := range []int{-1, 1} {
				cands = append(cands, key{b.p + dp, b.q + dq, b.P, b.Q, b.c})
			}
		}
		if allowConst {
			cands = append(cands, key{b.p, b.q, b.P, b.Q, !b.c})
		}
		for _, k := range cands {
			if k.p < 0 || k.q < 0 || k.P < 0 || k.Q < 0 || (period == 1 && (k.P > 0 || k.Q > 0)) {
				continue
			}
			if _, seen := tried[k]; seen {
				continue
			}
			if len(tried) >= maxModels {
				break
			}
			if ic := try(k); ic < bestIC {
				best, bestIC = k, ic
				improved = true
				break // restart the neighbourhood around the new best, as auto.arima does
			}
		}
	}
	if !approx {
		// The search's quick fit is polished into the reported one.
		if f := fits[best]; f != nil {
			if ml, err := FitARIMA(y, f.Spec, FitOptions{Method: "ML", Init: f.Coef}); err == nil && rootsOK(ml) {
				return ml, nil
			}
			return f, nil
		}
		return nil, errors.New("no ARIMA model could be fitted")
	}
	// Refit the best few by exact ML, in order of their approximate criterion.
	type cand struct {
		k  key
		ic float64
	}
	var order []cand
	for k, ic := range tried {
		if !math.IsInf(ic, 1) {
			order = append(order, cand{k, ic})
		}
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].ic != order[j].ic {
			return order[i].ic < order[j].ic
		}
		return order[i].k.p+order[i].k.q+order[i].k.P+order[i].k.Q < order[j].k.p+order[j].k.q+order[j].k.P+order[j].k.Q
	})
	for _, c := range order {
		f := fits[c.k]
		spec := f.Spec
		ml, err := FitARIMA(y, spec, FitOptions{Method: "ML", Init: f.Coef})
		if err == nil && rootsOK(ml) {
			return ml, nil
		}
	}
	return nil, errors.New("no ARIMA model could be fitted")
}

// warmInit maps a fitted model's coefficients onto another specification by name (ar1, ma1,
// sar1, sma1, the constant), new coefficients at zero.
func warmInit(from *ARIMAFit, to ARIMASpec) []float64 {
	have := map[string]float64{}
	for i, n := range from.CoefNames {
		v := from.Coef[i]
		if n == "intercept" || n == "drift" {
			n = "const"
		}
		have[n] = v
	}
	var out []float64
	for _, n := range coefNames(to) {
		if n == "intercept" || n == "drift" {
			n = "const"
		}
		out = append(out, have[n])
	}
	return out
}

// cssIC is auto.arima's information criterion for CSS fits: nstar·log σ² + 2k with the AICc
// correction (the constant offset it adds does not change the ranking).
func cssIC(f *ARIMAFit, nstar int) float64 {
	k := float64(len(f.Coef) + 1)
	n := float64(nstar)
	if n-k-1 <= 0 {
		return math.Inf(1)
	}
	return n*math.Log(f.Sigma2) + 2*k + 2*k*(k+1)/(n-k-1)
}

func constant(y []float64) bool {
	for _, v := range y[1:] {
		if v != y[0] {
			return false
		}
	}
	return true
}

// rootsOK rejects fits whose AR or MA polynomial has a root within 1.01 of the unit circle, as
// auto.arima does: such models forecast badly and their likelihood is unreliable.
func rootsOK(f *ARIMAFit) bool {
	if math.IsNaN(f.AICc) || math.IsNaN(f.Sigma2) {
		return false
	}
	if r := minRoot(f.phi, -1); r < 1.01 {
		return false
	}
	if r := minRoot(f.theta, 1); r < 1.01 {
		return false
	}
	return true
}

// minRoot reports 2 when every root of 1 + sign·Σ c_i z^i lies at least 1.01 from the
// origin, and 0 otherwise (auto.arima's test: polyroot, then min |root| < 1.01). Roots outside
// radius 1.01 are roots of the rescaled polynomial with coefficients c_i·1.01^i outside the
// unit circle, which the Durbin–Levinson recursion (invPartrans) decides in O(p²) without
// computing them.
func minRoot(c []float64, sign float64) float64 {
	last := -1
	for i, v := range c {
		if math.Abs(v) > 1e-8 {
			last = i
		}
	}
	if last < 0 {
		return 2
	}
	scaled := make([]float64, last+1)
	f := 1.0
	for i := 0; i <= last; i++ {
		f *= 1.01
		// 1 + sign·Σ c_i z^i = 1 − Σ φ_i z^i with φ_i = −sign·c_i.
		scaled[i] = -sign * c[i] * f
	}
	if _, ok := invPartrans(scaled); ok {
		return 2
	}
	return 0
}

// ndiffs is the number of first differences that the KPSS test (level stationarity, 5%)
// asks for, at most maxD (forecast::ndiffs with test = "kpss").
func ndiffs(x []float64, maxD int) int {
	d := 0
	for d < maxD && len(x) > 3 && !constant(x) && kpssStat(x) > 0.463 {
		x = lagDiff(x, 1)
		d++
	}
	return d
}

// kpssStat is the KPSS level-stationarity statistic with the Bartlett long-run variance and
// lag trunc(3·√n/13) (Kwiatkowski et al. 1992; urca::ur.kpss as forecast::ndiffs calls it).
// The 5% critical value is 0.463.
func kpssStat(x []float64) float64 {
	n := len(x)
	m, _ := meanSD(x)
	e := make([]float64, n)
	var s, eta float64
	for i, v := range x {
		e[i] = v - m
		s += e[i]
		eta += s * s
	}
	l := int(3 * math.Sqrt(float64(n)) / 13)
	var s2 float64
	for _, v := range e {
		s2 += v * v
	}
	for k := 1; k <= l; k++ {
		var c float64
		for t := k; t < n; t++ {
			c += e[t] * e[t-k]
		}
		s2 += 2 * (1 - float64(k)/float64(l+1)) * c
	}
	s2 /= float64(n)
	if s2 <= 0 {
		return 0
	}
	return eta / (float64(n) * float64(n) * s2)
}

// nsdiffs decides seasonal differencing by the seasonal strength F_S = max(0, 1 − Var(R) /
// Var(S + R)) > 0.64 (Wang, Smith & Hyndman 2006; forecast::nsdiffs test = "seas"). forecast
// decomposes by STL; this uses the classical moving-average decomposition (see docs).
func nsdiffs(x []float64, m int) int {
	if seasonalStrength(x, m) > 0.64 {
		return 1
	}
	return 0
}

// seasonalStrength from a classical additive decomposition: a centred 2×m moving average for
// the trend, the mean detrended value by season for the seasonal component.
func seasonalStrength(x []float64, m int) float64 {
	n := len(x)
	if n < 2*m+1 || m < 2 {
		return 0
	}
	trend := centredMA(x, m)
	// Seasonal component: each month's detrended values smoothed along the years with
	// tricube weights over the nearest 11 (STL's seasonal loess of degree 0 with the window
	// forecast::mstl uses), so that a seasonal pattern which grows is not counted as noise.
	det := make([]float64, n)
	for t := range x {
		det[t] = x[t] - trend[t]
	}
	season := make([]float64, n)
	for i := range season {
		season[i] = math.NaN()
	}
	const span = 11
	for s := 0; s < m; s++ {
		var idx []int
		for t := s; t < n; t++ {
			if !math.IsNaN(det[t]) {
				idx = append(idx, t)
			}
			t += m - 1
		}
		for a, t := range idx {
			// distances to the span nearest neighbours within the subseries
			lo, hi := a, a
			for hi-lo+1 < span && (lo > 0 || hi < len(idx)-1) {
				if lo == 0 {
					hi++
				} else if hi == len(idx)-1 {
					lo--
				} else if a-lo+1 <= hi-a+1 {
					lo--
				} else {
					hi++
				}
			}
			maxd := float64(max(a-lo, hi-a)) + 1
			if len(idx) < span { // loess widens its bandwidth when the span exceeds the data
				maxd = float64(max(a-lo, hi-a)) + float64(span-len(idx))/2
			}
			var sw, sv float64
			for b := lo; b <= hi; b++ {
				u := math.Abs(float64(b-a)) / maxd
				w := math.Pow(1-u*u*u, 3)
				sw += w
				sv += w * det[idx[b]]
			}
			season[t] = sv / sw
		}
	}
	// Centre the seasonal component by removing its own moving average.
	seasLevel := centredMA(nanToZero(season), m)
	var rem, sr []float64
	for t := range x {
		if math.IsNaN(trend[t]) || math.IsNaN(season[t]) || math.IsNaN(seasLevel[t]) {
			continue
		}
		s := season[t] - seasLevel[t]
		r := x[t] - trend[t] - s
		rem = append(rem, r)
		sr = append(sr, s+r)
	}
	_, sdR := meanSD(rem)
	_, sdSR := meanSD(sr)
	if sdSR == 0 {
		return 0
	}
	return math.Max(0, 1-sdR*sdR/(sdSR*sdSR))
}

// centredMA is the centred moving average of order m (2×m when m is even); NaN at the ends.
func centredMA(x []float64, m int) []float64 {
	n := len(x)
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	h := m / 2
	for t := h; t+h < n; t++ {
		var s float64
		if m%2 == 0 {
			s = 0.5*x[t-h] + 0.5*x[t+h]
			for j := t - h + 1; j < t+h; j++ {
				s += x[j]
			}
		} else {
			for j := t - h; j <= t+h; j++ {
				s += x[j]
			}
		}
		out[t] = s / float64(m)
	}
	return out
}

func nanToZero(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		if !math.IsNaN(v) {
			out[i] = v
		}
	}
	return out
}
