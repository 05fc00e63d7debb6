// Package forecast is the statistics engine behind fund forecasting (基金预测): seasonal ARIMA
// fitted by exact Gaussian maximum likelihood, automatic order selection (Hyndman–Khandakar),
// exponential smoothing (ETS), prediction intervals and rolling-origin backtests. It takes and
// returns plain values; it knows nothing of files, SQL or HTTP. Methods and sources are in
// docs/forecasting.md.
package forecast

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/optimize"
)

// Order is a (p, d, q) or seasonal (P, D, Q) order.
type Order struct{ P, D, Q int }

// ARIMASpec names a seasonal ARIMA(p,d,q)(P,D,Q)[Period] model. Mean adds a constant and is
// honoured only when d + D = 0, as R's arima does; Drift adds a linear trend (a constant in the
// differenced series) and is honoured only when d + D = 1, as forecast::auto.arima does.
type ARIMASpec struct {
	Order    Order
	Seasonal Order
	Period   int
	Mean     bool
	Drift    bool
}

func (s ARIMASpec) String() string {
	out := fmt.Sprintf("ARIMA(%d,%d,%d)", s.Order.P, s.Order.D, s.Order.Q)
	if s.Period > 1 && (s.Seasonal != Order{}) {
		out += fmt.Sprintf("(%d,%d,%d)[%d]", s.Seasonal.P, s.Seasonal.D, s.Seasonal.Q, s.Period)
	}
	if s.hasMean() {
		out += " with non-zero mean"
	}
	if s.hasDrift() {
		out += " with drift"
	}
	return out
}

func (s ARIMASpec) nd() int { return s.Order.D + s.Seasonal.D }

func (s ARIMASpec) hasMean() bool  { return s.Mean && s.nd() == 0 }
func (s ARIMASpec) hasDrift() bool { return s.Drift && s.nd() == 1 }

// nARMA is the number of ARMA coefficients, in R's order ar, ma, sar, sma.
func (s ARIMASpec) nARMA() int { return s.Order.P + s.Order.Q + s.Seasonal.P + s.Seasonal.Q }

// ARIMAFit is a fitted model.
type ARIMAFit struct {
	Spec ARIMASpec
	// Coef holds ar1..p, ma1..q, sar1..P, sma1..Q, then the mean or drift, as R names them.
	Coef      []float64
	CoefNames []string
	Sigma2    float64
	LogLik    float64
	AIC, AICc float64
	BIC       float64
	NObs      int // observations used by the likelihood: n − d − D·s
	Method    string

	y          []float64 // the series as given
	phi, theta []float64 // expanded AR and MA polynomials
}

// FitOptions tune estimation.
type FitOptions struct {
	// Method is "ML" (exact Gaussian likelihood, the default), "CSS" (conditional sum of
	// squares) or "CSS-ML" (CSS starting values, then exact ML; forecast::auto.arima's default).
	Method string
	// Init, when given, replaces the starting values (ARMA coefficients then mean/drift).
	Init []float64
	// Quick uses forward-difference gradients and a looser tolerance: for the many fits of a
	// model search or a backtest, not for the reported fit.
	Quick bool
}

var errShort = errors.New("series too short for this model")

// FitARIMA fits spec to y (no missing values) by the method in opts.
func FitARIMA(y []float64, spec ARIMASpec, opts FitOptions) (*ARIMAFit, error) {
	if spec.Period < 1 {
		spec.Period = 1
	}
	if spec.Period == 1 {
		spec.Seasonal = Order{}
	}
	if spec.Order.P < 0 || spec.Order.D < 0 || spec.Order.Q < 0 || spec.Seasonal.P < 0 || spec.Seasonal.D < 0 || spec.Seasonal.Q < 0 {
		return nil, errors.New("negative order")
	}
	if spec.Order.D > 2 || spec.Seasonal.D > 1 {
		return nil, errors.New("d above 2 or D above 1 is not supported")
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("value %d is not a finite number", i+1)
		}
	}
	method := opts.Method
	if method == "" {
		method = "ML"
	}
	s := spec.Period
	nd := spec.Order.D + spec.Seasonal.D*s
	narma := spec.nARMA()
	ncond := nd + spec.Order.P + spec.Seasonal.P*s
	npar := narma
	if spec.hasMean() || spec.hasDrift() {
		npar++
	}
	if len(y)-nd < npar+2 || (method != "ML" && len(y)-ncond < npar+2) {
		return nil, errShort
	}
	fit := &ARIMAFit{Spec: spec, y: append([]float64(nil), y...), Method: method}
	fit.CoefNames = coefNames(spec)
	w := difference(y, spec.Order.D, spec.Seasonal.D, s)

	// The regression part: a mean (d+D=0) or drift (d+D=1), which in the differenced series is
	// a constant; its scale sets the optimiser's parameter scale, as R's parscale does.
	hasReg := spec.hasMean() || spec.hasDrift()
	regInit, regScale := 0.0, 1.0
	if hasReg {
		m, sd := meanSD(w)
		regInit = m
		regScale = 10 * sd / math.Sqrt(float64(len(w)))
		if regScale == 0 || math.IsNaN(regScale) {
			regScale = 1
		}
	}
	init := make([]float64, npar)
	if hasReg {
		init[npar-1] = regInit
	}
	if len(opts.Init) == npar {
		copy(init, opts.Init)
	}

	transform := method != "CSS"
	if method == "CSS" || method == "CSS-ML" {
		par, err := fitCSS(w, spec, init, hasReg, regScale, ncond-nd)
		if err == nil {
			init = par
		} else if method == "CSS" {
			return nil, err
		}
		if method == "CSS-ML" && !(arStationary(init[:spec.Order.P]) && arStationary(init[spec.Order.P+spec.Order.Q:spec.Order.P+spec.Order.Q+spec.Seasonal.P])) {
			// R falls back to zeros when the CSS estimate is not stationary.
			for i := 0; i < narma; i++ {
				init[i] = 0
			}
		}
	}
	if method == "CSS" {
		fit.Coef = init
		phi, theta := expand(spec, init)
		fit.phi, fit.theta = phi, theta
		ssq, nu := cssResiduals(demean(w, init, spec), phi, theta, ncond-nd, nil)
		fit.Sigma2 = ssq / float64(nu)
		fit.NObs = nu
		fit.LogLik = -0.5 * float64(nu) * (math.Log(2*math.Pi*fit.Sigma2) + 1)
		fit.infoCriteria(npar)
		return fit, nil
	}
	if !transform {
		return nil, fmt.Errorf("unknown method %q", method)
	}
	// Exact ML on the transformed scale: AR parts through the partial autocorrelations
	// (Jones 1980), MA untransformed — as R's arima(transform.pars = TRUE).
	x0 := make([]float64, npar)
	copy(x0, init)
	if !invTransform(spec, x0) {
		for i := 0; i < narma; i++ {
			x0[i] = 0
		}
	}
	if hasReg {
		x0[npar-1] /= regScale
	}
	ws := newWorkspace(spec)
	obj := func(x []float64) float64 {
		par := untransform(spec, x, regScale, hasReg)
		v := ws.mlObjective(w, spec, par, hasReg)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 1e10
		}
		return v
	}
	best, err := minimiseOpt(obj, x0, opts.Quick)
	if err != nil {
		return nil, err
	}
	par := untransform(spec, best, regScale, hasReg)
	// A first-order MA factor outside the invertible region is replaced by its inverse: the
	// exact likelihood and the autocovariances (so the forecasts) are the same, and the
	// invertible form is the one R and readers expect (θ and 1/θ are the two optima).
	if p, q := spec.Order.P, spec.Order.Q; q == 1 && math.Abs(par[p]) > 1 {
		par[p] = 1 / par[p]
	}
	if i := spec.Order.P + spec.Order.Q + spec.Seasonal.P; spec.Seasonal.Q == 1 && math.Abs(par[i]) > 1 {
		par[i] = 1 / par[i]
	}
	fit.Coef = par
	fit.phi, fit.theta = expand(spec, par)
	ssq, sumlog, nu := ws.armaLik(demean(w, par, spec), fit.phi, fit.theta)
	if nu == 0 {
		return nil, errShort
	}
	nUsed := len(w)
	fit.NObs = nUsed
	fit.Sigma2 = ssq / float64(nUsed)
	value := 0.5 * (math.Log(ssq/float64(nu)) + sumlog/float64(nu))
	fit.LogLik = -0.5 * (2*float64(nUsed)*value + float64(nUsed) + float64(nUsed)*math.Log(2*math.Pi))
	fit.infoCriteria(npar)
	return fit, nil
}

func (f *ARIMAFit) infoCriteria(npar int) {
	k := float64(npar + 1) // + sigma²
	n := float64(f.NObs)
	f.AIC = -2*f.LogLik + 2*k
	if n-k-1 > 0 {
		f.AICc = f.AIC + 2*k*(k+1)/(n-k-1)
	} else {
		f.AICc = math.Inf(1)
	}
	f.BIC = f.AIC + (math.Log(n)-2)*k
}

func coefNames(s ARIMASpec) []string {
	var out []string
	for i := 1; i <= s.Order.P; i++ {
		out = append(out, fmt.Sprintf("ar%d", i))
	}
	for i := 1; i <= s.Order.Q; i++ {
		out = append(out, fmt.Sprintf("ma%d", i))
	}
	for i := 1; i <= s.Seasonal.P; i++ {
		out = append(out, fmt.Sprintf("sar%d", i))
	}
	for i := 1; i <= s.Seasonal.Q; i++ {
		out = append(out, fmt.Sprintf("sma%d", i))
	}
	if s.hasMean() {
		out = append(out, "intercept")
	}
	if s.hasDrift() {
		out = append(out, "drift")
	}
	return out
}

// minimise runs gonum's BFGS with central-difference gradients — the same method and
// gradient R's optim(method = "BFGS") uses for arima — from x0.
func minimise(f func([]float64) float64, x0 []float64) ([]float64, error) {
	return minimiseOpt(f, x0, false)
}

func minimiseOpt(f func([]float64) float64, x0 []float64, quick bool) ([]float64, error) {
	if len(x0) == 0 {
		return x0, nil
	}
	settings := &fd.Settings{Formula: fd.Central, Step: 1e-3}
	rel := 1e-8
	// Bisection (gonum's default for BFGS) for the reported fits; the quick fits of a search
	// use an Armijo backtracking line search like R's vmmin, which needs no gradient at trial
	// steps.
	var method optimize.Method = &optimize.BFGS{}
	if quick {
		method = &optimize.BFGS{Linesearcher: &optimize.Backtracking{DecreaseFactor: 1e-4, ContractionFactor: 0.2}}
		settings = &fd.Settings{Formula: fd.Forward, Step: 1e-4}
		rel = 1e-5
	}
	p := optimize.Problem{
		Func: f,
		Grad: func(g, x []float64) { fd.Gradient(g, f, x, settings) },
	}
	res, err := optimize.Minimize(p, x0, &optimize.Settings{
		GradientThreshold: 1e-6,
		Converger:         &optimize.FunctionConverge{Relative: rel, Absolute: 1e-10, Iterations: 1},
		MajorIterations:   200,
	}, method)
	if res == nil {
		return nil, fmt.Errorf("optimiser: %w", err)
	}
	// A line search that cannot progress still leaves the best point found; keep it.
	return res.X, nil
}

// difference applies (1−B)^d (1−B^s)^D.
func difference(y []float64, d, D, s int) []float64 {
	w := append([]float64(nil), y...)
	for i := 0; i < D; i++ {
		w = lagDiff(w, s)
	}
	for i := 0; i < d; i++ {
		w = lagDiff(w, 1)
	}
	return w
}

func lagDiff(x []float64, lag int) []float64 {
	if len(x) <= lag {
		return nil
	}
	out := make([]float64, len(x)-lag)
	for i := range out {
		out[i] = x[i+lag] - x[i]
	}
	return out
}

func meanSD(x []float64) (float64, float64) {
	if len(x) == 0 {
		return 0, 0
	}
	var m float64
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	if len(x) < 2 {
		return m, 0
	}
	return m, math.Sqrt(ss / float64(len(x)-1))
}

// demean subtracts the constant (mean, or drift in the differenced series) when there is one.
func demean(w []float64, par []float64, spec ARIMASpec) []float64 {
	if !(spec.hasMean() || spec.hasDrift()) {
		return w
	}
	c := par[len(par)-1]
	out := make([]float64, len(w))
	for i, v := range w {
		out[i] = v - c
	}
	return out
}

// expand multiplies the non-seasonal and seasonal polynomials: phi for the AR side
// (x_t = Σ phi_i x_{t-i} + …) and theta for the MA side (… + e_t + Σ theta_j e_{t-j}).
func expand(s ARIMASpec, par []float64) (phi, theta []float64) {
	var a, b []float64
	return expandInto(s, par, &a, &b)
}

func expandInto(s ARIMASpec, par []float64, phiBuf, thetaBuf *[]float64) (phi, theta []float64) {
	p, q, P, Q, m := s.Order.P, s.Order.Q, s.Seasonal.P, s.Seasonal.Q, s.Period
	ar := par[:p]
	ma := par[p : p+q]
	sar := par[p+q : p+q+P]
	sma := par[p+q+P : p+q+P+Q]
	phi = grow(phiBuf, p+P*m)
	copy(phi, ar)
	for j := 0; j < P; j++ {
		phi[(j+1)*m-1] += sar[j]
		for i := 0; i < p; i++ {
			phi[(j+1)*m+i] -= ar[i] * sar[j]
		}
	}
	theta = grow(thetaBuf, q+Q*m)
	copy(theta, ma)
	for j := 0; j < Q; j++ {
		theta[(j+1)*m-1] += sma[j]
		for i := 0; i < q; i++ {
			theta[(j+1)*m+i] += ma[i] * sma[j]
		}
	}
	return phi, theta
}

// partrans maps unconstrained values to a stationary AR polynomial (R's partrans).
func partrans(raw []float64) []float64 {
	p := len(raw)
	nw := make([]float64, p)
	work := make([]float64, p)
	for j := range raw {
		nw[j] = math.Tanh(raw[j])
		work[j] = nw[j]
	}
	for j := 1; j < p; j++ {
		a := nw[j]
		for k := 0; k < j; k++ {
			work[k] -= a * nw[j-k-1]
		}
		copy(nw[:j], work[:j])
	}
	return nw
}

// invPartrans is partrans's inverse; false when phi is not stationary.
func invPartrans(phi []float64) ([]float64, bool) {
	p := len(phi)
	nw := append([]float64(nil), phi...)
	work := append([]float64(nil), phi...)
	for j := p - 1; j > 0; j-- {
		a := nw[j]
		if math.Abs(a) >= 1 {
			return nil, false
		}
		for k := 0; k < j; k++ {
			work[k] = (nw[k] + a*nw[j-k-1]) / (1 - a*a)
		}
		copy(nw[:j], work[:j])
	}
	for j := range nw {
		if math.Abs(nw[j]) >= 1 {
			return nil, false
		}
		nw[j] = math.Atanh(nw[j])
	}
	return nw, true
}

func invTransform(s ARIMASpec, x []float64) bool {
	p, q, P := s.Order.P, s.Order.Q, s.Seasonal.P
	a, ok := invPartrans(x[:p])
	if !ok {
		return false
	}
	copy(x[:p], a)
	b, ok := invPartrans(x[p+q : p+q+P])
	if !ok {
		return false
	}
	copy(x[p+q:p+q+P], b)
	return true
}

func untransform(s ARIMASpec, x []float64, regScale float64, hasReg bool) []float64 {
	p, q, P := s.Order.P, s.Order.Q, s.Seasonal.P
	par := append([]float64(nil), x...)
	copy(par[:p], partrans(x[:p]))
	copy(par[p+q:p+q+P], partrans(x[p+q:p+q+P]))
	if hasReg {
		par[len(par)-1] *= regScale
	}
	return par
}

// arStationary reports whether 1 − Σ phi_i z^i has all roots outside the unit circle.
func arStationary(phi []float64) bool {
	_, ok := invPartrans(phi)
	return ok
}

// fitCSS minimises the conditional sum of squares (R's method = "CSS").
func fitCSS(w []float64, spec ARIMASpec, init []float64, hasReg bool, regScale float64, ncond int) ([]float64, error) {
	x0 := append([]float64(nil), init...)
	if hasReg {
		x0[len(x0)-1] /= regScale
	}
	var resid []float64
	obj := func(x []float64) float64 {
		par := append([]float64(nil), x...)
		if hasReg {
			par[len(par)-1] *= regScale
		}
		phi, theta := expand(spec, par)
		ssq, nu := cssResiduals(demean(w, par, spec), phi, theta, ncond, resid)
		if nu == 0 {
			return 1e10
		}
		v := 0.5 * math.Log(ssq/float64(nu))
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 1e10
		}
		return v
	}
	best, err := minimise(obj, x0)
	if err != nil {
		return nil, err
	}
	if hasReg {
		best[len(best)-1] *= regScale
	}
	return best, nil
}

// cssResiduals computes the conditional residuals of the (already differenced) series,
// conditioning on the first ncond values.
func cssResiduals(w, phi, theta []float64, ncond int, buf []float64) (float64, int) {
	n := len(w)
	if cap(buf) < n {
		buf = make([]float64, n)
	}
	e := buf[:n]
	var ssq float64
	nu := 0
	for t := 0; t < n; t++ {
		if t < ncond {
			e[t] = 0
			continue
		}
		v := w[t]
		for i, a := range phi {
			if t-i-1 >= 0 {
				v -= a * w[t-i-1]
			}
		}
		for j, b := range theta {
			if t-j-1 < ncond {
				break
			}
			v -= b * e[t-j-1]
		}
		e[t] = v
		ssq += v * v
		nu++
	}
	return ssq, nu
}

// workspace keeps the Kalman filter's buffers between likelihood evaluations.
type workspace struct {
	a, anew, m, phi, v []float64
	P, Pnew, col0      []float64
	sc                 scratch
	ephi, etheta, w    []float64
}

func newWorkspace(spec ARIMASpec) *workspace { return &workspace{} }

func (ws *workspace) mlObjective(w []float64, spec ARIMASpec, par []float64, hasReg bool) float64 {
	phi, theta := expandInto(spec, par, &ws.ephi, &ws.etheta)
	x := w
	if spec.hasMean() || spec.hasDrift() {
		c := par[len(par)-1]
		x = grow(&ws.w, len(w))
		for i, v := range w {
			x[i] = v - c
		}
	}
	ssq, sumlog, nu := ws.armaLik(x, phi, theta)
	if nu == 0 || ssq <= 0 {
		return math.Inf(1)
	}
	return 0.5 * (math.Log(ssq/float64(nu)) + sumlog/float64(nu))
}

// armaLik runs the Kalman filter of the stationary ARMA(phi, theta) model (Harvey's state
// space form, as R's ARIMA_Like with no differencing states) over w, from the stationary
// initial state covariance, and returns the sum of squared standardised innovations, the sum of
// log innovation variances and the number of innovations. The likelihood of the differenced
// series equals R's diffuse likelihood of the undifferenced one (see docs/forecasting.md).
//
// The covariance update is R's, written for speed: phi and (1, theta) padded to r, and P
// stored row-major with an extra zero row and column so that the shift T needs no branches.
func (ws *workspace) armaLik(w, phi, theta []float64) (ssq, sumlog float64, nu int) {
	p, q := len(phi), len(theta)
	r := max(p, q+1)
	r1 := r + 1
	if cap(ws.a) < r1 {
		ws.a, ws.anew, ws.m = make([]float64, r1), make([]float64, r1), make([]float64, r1)
		ws.phi, ws.v, ws.col0 = make([]float64, r1), make([]float64, r1), make([]float64, r1)
		ws.P, ws.Pnew = make([]float64, r1*r1), make([]float64, r1*r1)
	}
	a, anew, M := ws.a[:r1], ws.anew[:r1], ws.m[:r1]
	ph, v := ws.phi[:r1], ws.v[:r1]
	P, Pnew := ws.P[:r1*r1], ws.Pnew[:r*r]
	for i := range ph {
		ph[i], v[i], a[i] = 0, 0, 0
	}
	copy(ph, phi)
	for i := 0; i < r; i++ {
		v[i] = maVec(theta, i)
	}
	for i := range P {
		P[i] = 0
	}
	q0, ok := stationaryCovInto(&ws.sc, phi, theta, r)
	if !ok {
		return 0, 0, 0
	}
	// q0 is symmetric, so its column-major layout is also row-major.
	copy(Pnew, q0)
	converged := false
	for l, y := range w {
		a0 := a[0]
		for i := 0; i < r; i++ {
			anew[i] = a[i+1] + ph[i]*a0
		}
		if l > 0 && !converged {
			// Only the lower triangle is computed and read: P and Pnew are symmetric.
			p00 := P[0]
			col0 := ws.col0[:r1]
			for j := 0; j < r; j++ {
				col0[j] = P[(j+1)*r1] // P[j+1][0] = P[0][j+1]
			}
			for i := 0; i < r; i++ {
				vi, phiI := v[i], ph[i]
				rowNext := P[(i+1)*r1 : (i+1)*r1+i+2]
				pi0 := col0[i]
				out := Pnew[i*r : i*r+i+1]
				for j := range out {
					out[j] = vi*v[j] + phiI*ph[j]*p00 + rowNext[j+1] + phiI*col0[j] + ph[j]*pi0
				}
			}
		}
		resid := y - anew[0]
		gain := Pnew[0]
		for i := 0; i < r; i++ {
			M[i] = Pnew[i*r] // column 0, from the lower triangle
		}
		if gain < 1e4 {
			nu++
			ssq += resid * resid / gain
			sumlog += math.Log(gain)
		}
		k := resid / gain
		for i := 0; i < r; i++ {
			a[i] = anew[i] + M[i]*k
		}
		if !converged {
			maxDiag := 0.0
			for i := 0; i < r; i++ {
				mi := M[i] / gain
				src := Pnew[i*r : i*r+i+1]
				dst := P[i*r1 : i*r1+i+1]
				for j := range src {
					dst[j] = src[j] - mi*M[j]
				}
				if d := dst[i]; d > maxDiag {
					maxDiag = d
				}
			}
			// Once the filtered state is known exactly (P is positive semi-definite, so its
			// diagonal bounds every element) the filter is in its steady state: Pnew stays
			// R R' and the gain 1, so the covariance update can stop.
			if maxDiag < 1e-12 {
				converged = true
				for i := 0; i < r; i++ {
					for j := 0; j <= i; j++ {
						Pnew[i*r+j] = v[i] * v[j]
					}
				}
			}
		}
	}
	return ssq, sumlog, nu
}

// maVec is element i of (1, theta_1, …), zero past the end.
func maVec(theta []float64, i int) float64 {
	if i == 0 {
		return 1
	}
	if i-1 < len(theta) {
		return theta[i-1]
	}
	return 0
}

// stationaryCov returns the r×r covariance (column-major, innovation variance 1) of the
// stationary state of Harvey's ARMA state space form, which R computes with Gardner et al.'s
// algorithm (getQ0). State element i is E_t y_{t+i} − Σ_{k=1..i} phi_k E_t y_{t+i−k}, so its
// covariances follow exactly from the autocovariances γ and the ψ weights.
func stationaryCov(phi, theta []float64, r int) ([]float64, bool) {
	return stationaryCovInto(&scratch{}, phi, theta, r)
}

// scratch holds stationaryCov's buffers so that the likelihood allocates nothing per call.
type scratch struct {
	psi, gamma, G, Q, psiq, A, b []float64
	ipiv                         []int
	nz                           []term
}

// term is a non-zero coefficient g_ik of the state in terms of conditional expectations.
type term struct {
	k int
	c float64
}

// grow returns buf resized to n and zeroed, reallocating only when it is too small.
func grow(buf *[]float64, n int) []float64 {
	if cap(*buf) < n {
		*buf = make([]float64, n)
	}
	b := (*buf)[:n]
	clear(b)
	return b
}

func stationaryCovInto(sc *scratch, phi, theta []float64, r int) ([]float64, bool) {
	p := len(phi)
	psi := grow(&sc.psi, r+1)
	psi[0] = 1
	for j := 1; j <= r; j++ {
		v := 0.0
		if j-1 < len(theta) {
			v = theta[j-1]
		}
		for k := 1; k <= min(j, p); k++ {
			v += phi[k-1] * psi[j-k]
		}
		psi[j] = v
	}
	gamma, ok := armaAutocovInto(sc, phi, theta, r)
	if !ok {
		return nil, false
	}
	// G[a][b] = Cov(E_t y_{t+a}, E_t y_{t+b}) = γ(|b−a|) − Σ_{j<min(a,b)} ψ_j ψ_{j+|b−a|}.
	G := grow(&sc.G, r*r)
	for h := 0; h < r; h++ {
		cum := 0.0
		for a := 0; a+h < r; a++ {
			// a = min(a,b); b = a + h
			v := gamma[h] - cum
			G[a*r+a+h] = v
			G[(a+h)*r+a] = v
			if a+h < len(psi) {
				cum += psi[a] * psi[a+h]
			}
		}
	}
	// Non-zero coefficients of α_i = Σ_k g_ik E y_{t+i−k}: g_i0 = 1, g_ik = −phi_k.
	nz := sc.nz[:0]
	for k := 1; k <= p; k++ {
		if phi[k-1] != 0 {
			nz = append(nz, term{k, -phi[k-1]})
		}
	}
	sc.nz = nz
	Q := grow(&sc.Q, r*r)
	for i := 0; i < r; i++ {
		for l := i; l < r; l++ {
			v := G[i*r+l]
			for _, t := range nz {
				if t.k <= l {
					v += t.c * G[i*r+l-t.k]
				}
				if t.k <= i {
					v += t.c * G[(i-t.k)*r+l]
				}
			}
			for _, t := range nz {
				if t.k > i {
					continue
				}
				for _, u := range nz {
					if u.k <= l {
						v += t.c * u.c * G[(i-t.k)*r+l-u.k]
					}
				}
			}
			Q[i+r*l] = v
			Q[l+r*i] = v
		}
	}
	return Q, true
}

// armaAutocov returns γ(0..maxLag) of the ARMA process with unit innovation variance
// (Brockwell & Davis, §3.3: solve the first p+1 equations, then recurse).
func armaAutocov(phi, theta []float64, maxLag int) ([]float64, bool) {
	return armaAutocovInto(&scratch{}, phi, theta, maxLag)
}

func armaAutocovInto(sc *scratch, phi, theta []float64, maxLag int) ([]float64, bool) {
	p, q := len(phi), len(theta)
	psi := grow(&sc.psiq, q+1)
	psi[0] = 1
	for j := 1; j <= q; j++ {
		v := theta[j-1]
		for k := 1; k <= min(j, p); k++ {
			v += phi[k-1] * psi[j-k]
		}
		psi[j] = v
	}
	th := func(j int) float64 {
		if j == 0 {
			return 1
		}
		if j <= q {
			return theta[j-1]
		}
		return 0
	}
	rhs := func(k int) float64 {
		v := 0.0
		for j := k; j <= q; j++ {
			v += th(j) * psi[j-k]
		}
		return v
	}
	gamma := grow(&sc.gamma, max(maxLag, p)+1)
	if p == 0 {
		for k := 0; k <= maxLag && k <= q; k++ {
			gamma[k] = rhs(k)
		}
		return gamma[:maxLag+1], true
	}
	// Unknowns γ(0..p): γ(k) − Σ_i phi_i γ(|k−i|) = rhs(k), k = 0..p.
	n1 := p + 1
	A := grow(&sc.A, n1*n1)
	b := grow(&sc.b, n1)
	for k := 0; k <= p; k++ {
		A[k*n1+k]++
		for i := 1; i <= p; i++ {
			lag := k - i
			if lag < 0 {
				lag = -lag
			}
			A[k*n1+lag] -= phi[i-1]
		}
		b[k] = rhs(k)
	}
	// LU through lapack64 directly: mat's solve also estimates the condition number, which
	// costs more than the solve at this size and is not needed inside the likelihood.
	if cap(sc.ipiv) < n1 {
		sc.ipiv = make([]int, n1)
	}
	ipiv := sc.ipiv[:n1]
	ga := blas64.General{Rows: n1, Cols: n1, Stride: n1, Data: A}
	if !lapack64.Getrf(ga, ipiv) {
		return nil, false
	}
	bg := blas64.General{Rows: n1, Cols: 1, Stride: 1, Data: b}
	lapack64.Getrs(blas.NoTrans, ga, bg, ipiv)
	for k := 0; k <= p; k++ {
		gamma[k] = bg.Data[k]
	}
	if gamma[0] <= 0 || math.IsNaN(gamma[0]) {
		return nil, false
	}
	for k := p + 1; k < len(gamma); k++ {
		v := rhs(k)
		for i := 1; i <= p; i++ {
			v += phi[i-1] * gamma[k-i]
		}
		gamma[k] = v
	}
	return gamma[:maxLag+1], true
}
