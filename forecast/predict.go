package forecast

import (
	"errors"
	"math"
)

// Forecast is a point forecast with 80% and 95% prediction intervals, h steps ahead.
type Forecast struct {
	Mean []float64 `json:"mean"`
	// SE is the standard error of each step's forecast error (for the normal intervals).
	SE   []float64 `json:"se"`
	Lo80 []float64 `json:"lo80"`
	Hi80 []float64 `json:"hi80"`
	Lo95 []float64 `json:"lo95"`
	Hi95 []float64 `json:"hi95"`
}

// Normal quantiles for the intervals (qnorm(0.9), qnorm(0.975)).
const (
	z80 = 1.2815515655446004
	z95 = 1.959963984540054
)

func normalIntervals(mean, se []float64) Forecast {
	f := Forecast{Mean: mean, SE: se}
	for i := range mean {
		f.Lo80 = append(f.Lo80, mean[i]-z80*se[i])
		f.Hi80 = append(f.Hi80, mean[i]+z80*se[i])
		f.Lo95 = append(f.Lo95, mean[i]-z95*se[i])
		f.Hi95 = append(f.Hi95, mean[i]+z95*se[i])
	}
	return f
}

// ssModel is R's makeARIMA state space form with the differencing inside the state: the first
// r elements carry the ARMA part (Harvey's form), the last nd the lagged undifferenced values.
type ssModel struct {
	phi, theta, delta []float64
	r, rd             int
	rows              [][]nzEntry // T by rows, sparse
}

type nzEntry struct {
	col int
	v   float64
}

// kappa is R's variance of the diffuse prior on the differencing states.
const kappa = 1e6

func newSSModel(phi, theta, delta []float64) *ssModel {
	p, q := len(phi), len(theta)
	r := max(p, q+1)
	nd := len(delta)
	m := &ssModel{phi: phi, theta: theta, delta: delta, r: r, rd: r + nd}
	m.rows = make([][]nzEntry, m.rd)
	for i := 0; i < r; i++ {
		if i < p && phi[i] != 0 {
			m.rows[i] = append(m.rows[i], nzEntry{0, phi[i]})
		}
		if i < r-1 {
			m.rows[i] = append(m.rows[i], nzEntry{i + 1, 1})
		}
	}
	if nd > 0 {
		m.rows[r] = append(m.rows[r], nzEntry{0, 1})
		for j, d := range delta {
			if d != 0 {
				m.rows[r] = append(m.rows[r], nzEntry{r + j, d})
			}
		}
		for i := 1; i < nd; i++ {
			m.rows[r+i] = append(m.rows[r+i], nzEntry{r + i - 1, 1})
		}
	}
	return m
}

// diffPoly returns R's Delta: y_t = Σ Delta_i y_{t−i} + w_t for (1−B)^d (1−B^s)^D.
func diffPoly(d, D, s int) []float64 {
	poly := []float64{1}
	mul := func(b []float64) {
		out := make([]float64, len(poly)+len(b)-1)
		for i, x := range poly {
			for j, y := range b {
				out[i+j] += x * y
			}
		}
		poly = out
	}
	for i := 0; i < d; i++ {
		mul([]float64{1, -1})
	}
	for i := 0; i < D; i++ {
		b := make([]float64, s+1)
		b[0], b[s] = 1, -1
		mul(b)
	}
	delta := make([]float64, len(poly)-1)
	for i := range delta {
		delta[i] = -poly[i+1]
	}
	return delta
}

// predictStep sets anew = T a and Pnew = T P T' + V.
func (m *ssModel) predictStep(a, anew, P, Pnew, tmp []float64) {
	rd := m.rd
	for i := 0; i < rd; i++ {
		v := 0.0
		for _, e := range m.rows[i] {
			v += e.v * a[e.col]
		}
		anew[i] = v
	}
	// tmp = T P (row-major: tmp[i*rd+j])
	for i := 0; i < rd; i++ {
		for j := 0; j < rd; j++ {
			v := 0.0
			for _, e := range m.rows[i] {
				v += e.v * P[e.col*rd+j]
			}
			tmp[i*rd+j] = v
		}
	}
	// Pnew = tmp T' + V
	for i := 0; i < rd; i++ {
		for j := 0; j < rd; j++ {
			v := 0.0
			for _, e := range m.rows[j] {
				v += tmp[i*rd+e.col] * e.v
			}
			if i < m.r && j < m.r {
				v += maVec(m.theta, i) * maVec(m.theta, j)
			}
			Pnew[i*rd+j] = v
		}
	}
}

// filterAndForecast runs R's ARIMA_Like over x and then KalmanForecast h steps: it returns
// the forecasts and their error variances in units of sigma².
func (m *ssModel) filterAndForecast(x []float64, h int) ([]float64, []float64, error) {
	rd, r := m.rd, m.r
	a, anew := make([]float64, rd), make([]float64, rd)
	P, Pnew, tmp := make([]float64, rd*rd), make([]float64, rd*rd), make([]float64, rd*rd)
	M := make([]float64, rd)
	q0, ok := stationaryCov(m.phi, m.theta, r)
	if !ok {
		return nil, nil, errors.New("the AR part is not stationary")
	}
	for i := 0; i < r; i++ {
		for j := 0; j < r; j++ {
			Pnew[i*rd+j] = q0[i+r*j]
		}
	}
	for i := r; i < rd; i++ {
		Pnew[i*rd+i] = kappa
	}
	z := make([]float64, rd)
	z[0] = 1
	copy(z[r:], m.delta)
	// Z is sparse: 1 for the ARMA state's first element and the differencing coefficients.
	var zs []nzEntry
	for i, v := range z {
		if v != 0 {
			zs = append(zs, nzEntry{i, v})
		}
	}
	for l, y := range x {
		if l > 0 {
			m.predictStep(a, anew, P, Pnew, tmp)
		} else {
			for i := range anew {
				anew[i] = 0
			}
		}
		resid := y
		for _, e := range zs {
			resid -= e.v * anew[e.col]
		}
		for i := 0; i < rd; i++ {
			v := 0.0
			row := Pnew[i*rd : i*rd+rd]
			for _, e := range zs {
				v += row[e.col] * e.v
			}
			M[i] = v
		}
		gain := 0.0
		for _, e := range zs {
			gain += e.v * M[e.col]
		}
		if gain <= 0 {
			return nil, nil, errors.New("Kalman filter lost positive variance")
		}
		for i := 0; i < rd; i++ {
			a[i] = anew[i] + M[i]*resid/gain
		}
		for i := 0; i < rd; i++ {
			for j := 0; j < rd; j++ {
				P[i*rd+j] = Pnew[i*rd+j] - M[i]*M[j]/gain
			}
		}
	}
	mean := make([]float64, h)
	vars := make([]float64, h)
	for k := 0; k < h; k++ {
		m.predictStep(a, anew, P, Pnew, tmp)
		copy(a, anew)
		copy(P, Pnew)
		fc, v := 0.0, 0.0
		for _, e := range zs {
			fc += e.v * a[e.col]
			zi := 0.0
			for _, f := range zs {
				zi += P[e.col*rd+f.col] * f.v
			}
			v += e.v * zi
		}
		mean[k] = fc
		vars[k] = v
	}
	return mean, vars, nil
}

// Forecast predicts h steps ahead with 80% and 95% normal prediction intervals, as R's
// predict.Arima (parameter uncertainty is not included, as there).
func (f *ARIMAFit) Forecast(h int) (Forecast, error) {
	if h < 1 {
		return Forecast{}, errors.New("horizon must be at least 1")
	}
	spec := f.Spec
	n := len(f.y)
	x := make([]float64, n)
	reg := 0.0
	drift := 0.0
	if spec.hasMean() {
		reg = f.Coef[len(f.Coef)-1]
	}
	if spec.hasDrift() {
		drift = f.Drift()
	}
	for t, v := range f.y {
		x[t] = v - reg - drift*float64(t+1)
	}
	m := newSSModel(f.phi, f.theta, diffPoly(spec.Order.D, spec.Seasonal.D, spec.Period))
	mean, vars, err := m.filterAndForecast(x, h)
	if err != nil {
		return Forecast{}, err
	}
	se := make([]float64, h)
	for k := range mean {
		mean[k] += reg + drift*float64(n+k+1)
		se[k] = math.Sqrt(math.Max(vars[k], 0) * f.Sigma2)
	}
	return normalIntervals(mean, se), nil
}

// Drift is the slope per period of the drift term (0 without one). The estimated constant of
// the differenced series is the slope times the lag of the one difference taken.
func (f *ARIMAFit) Drift() float64 {
	if !f.Spec.hasDrift() {
		return 0
	}
	c := f.Coef[len(f.Coef)-1]
	if f.Spec.Seasonal.D == 1 {
		return c / float64(f.Spec.Period)
	}
	return c
}

// Residuals returns the one-step in-sample innovations of the differenced series (for checks).
func (f *ARIMAFit) Residuals() []float64 {
	spec := f.Spec
	w := demean(difference(f.y, spec.Order.D, spec.Seasonal.D, spec.Period), f.Coef, spec)
	e, _ := cssResidualsAll(w, f.phi, f.theta)
	return e
}

func cssResidualsAll(w, phi, theta []float64) ([]float64, float64) {
	e := make([]float64, len(w))
	ssq, _ := cssResiduals(w, phi, theta, 0, e)
	return e, ssq
}
