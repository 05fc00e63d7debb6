package forecast

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// ETSSpec is an exponential smoothing model in Hyndman et al.'s taxonomy: error A or M, trend
// N, A or Ad (damped), season N, A or M.
type ETSSpec struct {
	Error, Trend, Season string
	Period               int
}

func (s ETSSpec) String() string {
	return fmt.Sprintf("ETS(%s,%s,%s)", s.Error, s.Trend, s.Season)
}

// ETSFit is a fitted exponential smoothing model.
type ETSFit struct {
	Spec                    ETSSpec
	Alpha, Beta, Gamma, Phi float64
	Level0, Slope0          float64
	Season0                 []float64 // s_{1−m} … s_0
	Sigma2                  float64   // residual variance (relative errors for M error)
	LogLik, AIC, AICc, BIC  float64
	NParams                 int
	y                       []float64
	level, slope            float64   // final states
	season                  []float64 // final seasonal states, oldest first
}

// ETSModels lists the models the automatic selection considers: forecast::ets's default set
// (restrict = TRUE drops additive errors with multiplicative seasonality), multiplicative ones
// only for positive data.
func ETSModels(period int, positive bool) []ETSSpec {
	var out []ETSSpec
	seasons := []string{"N"}
	if period > 1 && period <= 24 {
		seasons = append(seasons, "A", "M")
	}
	for _, e := range []string{"A", "M"} {
		if e == "M" && !positive {
			continue
		}
		for _, t := range []string{"N", "A", "Ad"} {
			for _, s := range seasons {
				if s == "M" && (e == "A" || !positive) {
					continue
				}
				out = append(out, ETSSpec{e, t, s, period})
			}
		}
	}
	return out
}

type etsParams struct {
	alpha, beta, gamma, phi, l0, b0 float64
}

// etsRun filters y through the model; it returns the one-step errors (additive form), the
// one-step means and the final states. The recursions are the error-correction forms of
// Hyndman, Koehler, Ord & Snyder (2008), Table 2.3: the additive- and multiplicative-error
// models share them and differ only in the likelihood.
func etsRun(spec ETSSpec, p etsParams, s0 []float64, y []float64, e, mu []float64) (l, b float64, s []float64, ok bool) {
	m := len(s0)
	s = append([]float64(nil), s0...)
	l, b = p.l0, p.b0
	phi := 1.0
	if spec.Trend == "Ad" {
		phi = p.phi
	}
	for t, yt := range y {
		var lb float64 // level plus damped slope
		switch spec.Trend {
		case "N":
			lb = l
		default:
			lb = l + phi*b
		}
		var st float64
		if m > 0 {
			st = s[t%m]
		}
		var f float64
		switch spec.Season {
		case "A":
			f = lb + st
		case "M":
			f = lb * st
		default:
			f = lb
		}
		if math.IsNaN(f) || math.IsInf(f, 0) || (spec.Error == "M" && f <= 0) {
			return 0, 0, nil, false
		}
		err := yt - f
		e[t], mu[t] = err, f
		lPrev := lb
		switch spec.Season {
		case "M":
			if st == 0 {
				return 0, 0, nil, false
			}
			l = lb + p.alpha*err/st
			if spec.Trend != "N" {
				b = phi*b + p.beta*err/st
			}
			s[t%m] = st + p.gamma*err/lPrev
		case "A":
			l = lb + p.alpha*err
			if spec.Trend != "N" {
				b = phi*b + p.beta*err
			}
			s[t%m] = st + p.gamma*err
		default:
			l = lb + p.alpha*err
			if spec.Trend != "N" {
				b = phi*b + p.beta*err
			}
		}
	}
	// Rotate so that the seasonal states are in time order, oldest first.
	if m > 0 {
		k := len(y) % m
		s = append(s[k:], s[:k]...)
	}
	return l, b, s, true
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
func logit(p float64) float64    { return math.Log(p / (1 - p)) }

// FitETS estimates the smoothing parameters and the initial level and slope by maximum
// likelihood; the initial seasonal states come from a classical decomposition of the first
// years (Hyndman et al. 2008, §2.6.1) and are counted as parameters.
func FitETS(y []float64, spec ETSSpec) (*ETSFit, error) { return fitETS(y, spec, false) }

// fitETS with quick set uses the search settings of minimiseOpt (for model selection and
// backtests); the reported fit is not quick.
func fitETS(y []float64, spec ETSSpec, quick bool) (*ETSFit, error) {
	n := len(y)
	m := 0
	if spec.Season != "N" {
		m = spec.Period
		if m < 2 || n < 2*m {
			return nil, errShort
		}
	}
	if spec.Error == "M" || spec.Season == "M" {
		for _, v := range y {
			if v <= 0 {
				return nil, errors.New("multiplicative ETS needs positive data")
			}
		}
	}
	s0, l0, b0 := etsInit(y, spec, m)
	// Parameters on an unconstrained scale: α = logistic, β = α·logistic, γ = (1−α)·logistic,
	// φ = 0.8 + 0.18·logistic (forecast::ets's usual region), l0 and b0 scaled by the data.
	scale := math.Max(math.Abs(l0), 1e-3)
	nSmooth := 1
	if spec.Trend != "N" {
		nSmooth++
	}
	if spec.Season != "N" {
		nSmooth++
	}
	if spec.Trend == "Ad" {
		nSmooth++
	}
	k := nSmooth + 1 // + l0
	if spec.Trend != "N" {
		k++
	}
	if m > 0 {
		k += m - 1
	}
	np := k + 1 // + σ²
	if n <= np+4 {
		return nil, errShort
	}
	decode := func(x []float64) etsParams {
		p := etsParams{phi: 1}
		i := 0
		p.alpha = logistic(x[i])
		i++
		if spec.Trend != "N" {
			p.beta = p.alpha * logistic(x[i])
			i++
		}
		if spec.Season != "N" {
			p.gamma = (1 - p.alpha) * logistic(x[i])
			i++
		}
		if spec.Trend == "Ad" {
			p.phi = 0.8 + 0.18*logistic(x[i])
			i++
		}
		p.l0 = x[i] * scale
		i++
		if spec.Trend != "N" {
			p.b0 = x[i] * scale
		}
		return p
	}
	x0 := []float64{logit(0.2)}
	if spec.Trend != "N" {
		x0 = append(x0, logit(0.1/0.2*0.5+0.25))
	}
	if spec.Season != "N" {
		x0 = append(x0, logit(0.05/0.8))
	}
	if spec.Trend == "Ad" {
		x0 = append(x0, 0)
	}
	x0 = append(x0, l0/scale)
	if spec.Trend != "N" {
		x0 = append(x0, b0/scale)
	}
	e, mu := make([]float64, n), make([]float64, n)
	lik := func(x []float64) float64 {
		p := decode(x)
		if _, _, _, ok := etsRun(spec, p, s0, y, e, mu); !ok {
			return 1e10
		}
		return etsLik(spec, e, mu)
	}
	best, err := minimiseOpt(lik, x0, quick)
	if err != nil {
		return nil, err
	}
	p := decode(best)
	l, b, s, ok := etsRun(spec, p, s0, y, e, mu)
	if !ok {
		return nil, errors.New("ETS filter failed at the estimate")
	}
	L := etsLik(spec, e, mu)
	fit := &ETSFit{Spec: spec, Alpha: p.alpha, Beta: p.beta, Gamma: p.gamma, Phi: p.phi, Level0: p.l0, Slope0: p.b0,
		Season0: s0, y: append([]float64(nil), y...), level: l, slope: b, season: s, NParams: np}
	if spec.Trend != "Ad" {
		fit.Phi = 1
	}
	var ss float64
	for t := range e {
		r := e[t]
		if spec.Error == "M" {
			r /= mu[t]
		}
		ss += r * r
	}
	fit.Sigma2 = ss / float64(n-np)
	fit.LogLik = -0.5 * (L + float64(n)*(math.Log(2*math.Pi/float64(n))+1))
	fit.AIC = L + 2*float64(np)
	fit.AICc = fit.AIC + 2*float64(np*(np+1))/float64(n-np-1)
	fit.BIC = fit.AIC + (math.Log(float64(n))-2)*float64(np)
	return fit, nil
}

// etsLik is forecast::ets's −2·log-likelihood up to a constant: n·log Σe² for additive errors,
// n·log Σ(e/μ)² + 2·Σ log|μ| for multiplicative ones.
func etsLik(spec ETSSpec, e, mu []float64) float64 {
	var ss, lg float64
	if spec.Error == "M" {
		// Σ log|μ| as the log of products of eight, which is exact enough and takes an
		// eighth of the logarithms (|μ| ≤ 1e30 in any plausible series keeps a product finite).
		prod := 1.0
		for t := range e {
			r := e[t] / mu[t]
			ss += r * r
			prod *= math.Abs(mu[t])
			if t%8 == 7 {
				lg += math.Log(prod)
				prod = 1
			}
		}
		lg += math.Log(prod)
	} else {
		for t := range e {
			ss += e[t] * e[t]
		}
	}
	if ss <= 0 {
		return -1e10
	}
	v := float64(len(e)) * math.Log(ss)
	if spec.Error == "M" {
		v += 2 * lg
	}
	return v
}

// etsInit gives the initial seasonal states from a classical decomposition of the first
// (up to) three years, and the level and slope from a regression on the first ten seasonally
// adjusted values (Hyndman et al. 2008, §2.6.1).
func etsInit(y []float64, spec ETSSpec, m int) (s0 []float64, l0, b0 float64) {
	adj := append([]float64(nil), y...)
	if m > 0 {
		k := min(len(y), 3*m)
		first := y[:k]
		trend := centredMA(first, m)
		sum := make([]float64, m)
		cnt := make([]float64, m)
		for t, tr := range trend {
			if math.IsNaN(tr) {
				continue
			}
			if spec.Season == "M" {
				sum[t%m] += first[t] / tr
			} else {
				sum[t%m] += first[t] - tr
			}
			cnt[t%m]++
		}
		s0 = make([]float64, m)
		var avg float64
		for i := range s0 {
			if cnt[i] > 0 {
				s0[i] = sum[i] / cnt[i]
			} else if spec.Season == "M" {
				s0[i] = 1
			}
			avg += s0[i] / float64(m)
		}
		for i := range s0 {
			if spec.Season == "M" {
				s0[i] /= avg
			} else {
				s0[i] -= avg
			}
		}
		for t := range adj {
			if spec.Season == "M" {
				adj[t] = y[t] / s0[t%m]
			} else {
				adj[t] = y[t] - s0[t%m]
			}
		}
	}
	k := min(len(adj), 10)
	if spec.Trend == "N" {
		l0, _ = meanSD(adj[:k])
		return s0, l0, 0
	}
	// Least squares line through the first k adjusted values (time 1..k); l0 is its value at 0.
	var st, sy, stt, sty float64
	for i := 0; i < k; i++ {
		t := float64(i + 1)
		st += t
		sy += adj[i]
		stt += t * t
		sty += t * adj[i]
	}
	fk := float64(k)
	den := fk*stt - st*st
	if den != 0 {
		b0 = (fk*sty - st*sy) / den
	}
	l0 = (sy - b0*st) / fk
	return s0, l0, b0
}

// Forecast predicts h steps with 80% and 95% intervals: analytic variances for the
// all-additive models (Hyndman et al. 2008, Table 6.1, class 1), simulated sample paths
// (fixed seed, 2,000 paths) for the others.
func (f *ETSFit) Forecast(h int) (Forecast, error) {
	if h < 1 {
		return Forecast{}, errors.New("horizon must be at least 1")
	}
	spec := f.Spec
	m := len(f.season)
	mean := f.pointForecast(h)
	if spec.Error == "A" && spec.Season != "M" {
		se := make([]float64, h)
		acc := 1.0
		for k := 1; k <= h; k++ {
			se[k-1] = math.Sqrt(f.Sigma2 * acc)
			// c_k for the next step's variance
			c := f.Alpha
			switch spec.Trend {
			case "A":
				c += f.Beta * float64(k)
			case "Ad":
				ps := 0.0
				for j := 1; j <= k; j++ {
					ps += math.Pow(f.Phi, float64(j))
				}
				c += f.Beta * ps
			}
			if spec.Season == "A" && k%m == 0 {
				c += f.Gamma
			}
			acc += c * c
		}
		return normalIntervals(mean, se), nil
	}
	return f.simulate(mean, h, 2000), nil
}

func (f *ETSFit) simulate(mean []float64, h, paths int) Forecast {
	rng := rand.New(rand.NewPCG(20261126, 18))
	spec := f.Spec
	m := len(f.season)
	sd := math.Sqrt(f.Sigma2)
	draws := make([][]float64, h)
	for i := range draws {
		draws[i] = make([]float64, paths)
	}
	s := make([]float64, m)
	for p := 0; p < paths; p++ {
		l, b := f.level, f.slope
		copy(s, f.season)
		for k := 0; k < h; k++ {
			lb := l
			if spec.Trend != "N" {
				lb = l + f.Phi*b
			}
			var st float64
			if m > 0 {
				st = s[k%m]
			}
			mu := lb
			switch spec.Season {
			case "A":
				mu = lb + st
			case "M":
				mu = lb * st
			}
			eps := rng.NormFloat64() * sd
			err := eps
			if spec.Error == "M" {
				err = mu * eps
			}
			yv := mu + err
			draws[k][p] = yv
			switch spec.Season {
			case "M":
				l = lb + f.Alpha*err/st
				if spec.Trend != "N" {
					b = f.Phi*b + f.Beta*err/st
				}
				s[k%m] = st + f.Gamma*err/lb
			case "A":
				l = lb + f.Alpha*err
				if spec.Trend != "N" {
					b = f.Phi*b + f.Beta*err
				}
				s[k%m] = st + f.Gamma*err
			default:
				l = lb + f.Alpha*err
				if spec.Trend != "N" {
					b = f.Phi*b + f.Beta*err
				}
			}
		}
	}
	out := Forecast{Mean: mean, SE: make([]float64, h)}
	for k := 0; k < h; k++ {
		d := draws[k]
		sort.Float64s(d)
		out.Lo80 = append(out.Lo80, quantile(d, 0.10))
		out.Hi80 = append(out.Hi80, quantile(d, 0.90))
		out.Lo95 = append(out.Lo95, quantile(d, 0.025))
		out.Hi95 = append(out.Hi95, quantile(d, 0.975))
		out.SE[k] = (out.Hi95[k] - out.Lo95[k]) / (2 * z95)
	}
	return out
}

// pointForecast is the mean forecast h steps ahead from the final states.
func (f *ETSFit) pointForecast(h int) []float64 {
	spec := f.Spec
	m := len(f.season)
	mean := make([]float64, h)
	phiSum := 0.0
	for k := 1; k <= h; k++ {
		phiSum += math.Pow(f.Phi, float64(k))
		lb := f.level
		if spec.Trend == "A" {
			lb = f.level + float64(k)*f.slope
		} else if spec.Trend == "Ad" {
			lb = f.level + phiSum*f.slope
		}
		switch spec.Season {
		case "A":
			mean[k-1] = lb + f.season[(k-1)%m]
		case "M":
			mean[k-1] = lb * f.season[(k-1)%m]
		default:
			mean[k-1] = lb
		}
	}
	return mean
}

// quantile of sorted data, R's type 7.
func quantile(sorted []float64, p float64) float64 {
	h := (float64(len(sorted)) - 1) * p
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-lo)*(sorted[i+1]-sorted[i])
}

// AutoETS fits every model of ETSModels and keeps the one with the smallest AICc.
func AutoETS(y []float64, period int) (*ETSFit, error) {
	positive := true
	for _, v := range y {
		if v <= 0 {
			positive = false
			break
		}
	}
	var best *ETSFit
	for _, spec := range ETSModels(period, positive) {
		fit, err := fitETS(y, spec, true)
		if err != nil {
			continue
		}
		if best == nil || fit.AICc < best.AICc {
			best = fit
		}
	}
	if best == nil {
		return nil, errShort
	}
	if fit, err := fitETS(y, best.Spec, false); err == nil {
		return fit, nil
	}
	return best, nil
}
