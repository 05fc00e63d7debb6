package forecast

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Family is the model family of a request.
type Family string

const (
	FamilyAuto  Family = "auto"
	FamilyARIMA Family = "arima"
	FamilyETS   Family = "ets"
)

// Request asks for a forecast of one monthly series.
type Request struct {
	Series  Series
	Horizon int
	Family  Family
	// Spec, when set, fixes the ARIMA order (the --order/--seasonal of the CLI).
	Spec *ARIMASpec
	// Backtest configures the rolling-origin evaluation; zero values take the defaults.
	Backtest BacktestOptions
}

// Result is a forecast with the model that made it and how well that model did in the
// rolling-origin backtest.
type Result struct {
	Model    string      `json:"model"`
	Family   Family      `json:"family"`
	AICc     float64     `json:"aicc"`
	Sigma2   float64     `json:"sigma2"`
	Coef     []NamedCoef `json:"coef,omitempty"`
	Periods  []string    `json:"periods"`
	Forecast Forecast    `json:"forecast"`
	Backtest Backtest    `json:"backtest"`
	// Candidates records how the automatic choice between families was made.
	Candidates []Candidate `json:"candidates,omitempty"`
}

// NamedCoef is one estimated coefficient.
type NamedCoef struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// Candidate is a family's best model and its backtest error, for the automatic choice.
type Candidate struct {
	Model string  `json:"model"`
	AICc  float64 `json:"aicc"`
	MASE  float64 `json:"mase"`
	SMAPE float64 `json:"smape"`
}

// Model is a fitted model of either family.
type Model interface {
	Forecast(h int) (Forecast, error)
	// Point is the mean forecast alone, which backtests need and which is cheaper.
	Point(h int) ([]float64, error)
	String() string
}

type arimaModel struct{ *ARIMAFit }

func (m arimaModel) String() string { return m.Spec.String() }

func (m arimaModel) Point(h int) ([]float64, error) {
	f, err := m.Forecast(h)
	return f.Mean, err
}

type etsModel struct{ *ETSFit }

func (m etsModel) String() string { return m.Spec.String() }

func (m etsModel) Point(h int) ([]float64, error) { return m.pointForecast(h), nil }

// MaxHorizon bounds a request's work.
const MaxHorizon = 120

// Run fits, forecasts and backtests one series.
func Run(ctx context.Context, req Request) (*Result, error) {
	y := req.Series.Values
	if req.Horizon < 1 || req.Horizon > MaxHorizon {
		return nil, fmt.Errorf("horizon %d outside 1..%d", req.Horizon, MaxHorizon)
	}
	if len(y) < 4 {
		return nil, fmt.Errorf("%d values: at least 4 are needed", len(y))
	}
	if len(y) > MaxSeriesLength {
		return nil, fmt.Errorf("%d values: at most %d", len(y), MaxSeriesLength)
	}
	period := 12
	fam := req.Family
	if fam == "" {
		fam = FamilyAuto
	}
	if req.Spec != nil {
		fam = FamilyARIMA
	}
	bo := req.Backtest.withDefaults(req.Horizon, period, len(y))

	var chosen Model
	var refit func(train []float64) (Model, error)
	var cands []Candidate
	var bt *Backtest
	switch fam {
	case FamilyARIMA:
		var fit *ARIMAFit
		var err error
		if req.Spec != nil {
			fit, err = FitARIMA(y, *req.Spec, FitOptions{Method: "ML"})
		} else {
			fit, err = AutoARIMA(y, period, AutoOptions{})
		}
		if err != nil {
			return nil, fmt.Errorf("ARIMA: %w", err)
		}
		chosen, refit = arimaModel{fit}, arimaRefit(fit)
	case FamilyETS:
		fit, err := AutoETS(y, period)
		if err != nil {
			return nil, fmt.Errorf("ETS: %w", err)
		}
		chosen, refit = etsModel{fit}, etsRefit(fit.Spec)
	case FamilyAuto:
		// Both families' best models by AICc, then the one with the smaller rolling-origin
		// MASE: AICc cannot compare an ARIMA (likelihood of the differenced series) with an
		// ETS model (likelihood of the series), out-of-sample error can.
		type option struct {
			m     Model
			refit func([]float64) (Model, error)
			aicc  float64
		}
		var opts []option
		if fit, err := AutoARIMA(y, period, AutoOptions{}); err == nil {
			opts = append(opts, option{arimaModel{fit}, arimaRefit(fit), fit.AICc})
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if fit, err := AutoETS(y, period); err == nil {
			opts = append(opts, option{etsModel{fit}, etsRefit(fit.Spec), fit.AICc})
		}
		if len(opts) == 0 {
			return nil, errors.New("no model could be fitted")
		}
		bestMASE := math.Inf(1)
		for _, o := range opts {
			b := runBacktest(y, bo, o.refit)
			cands = append(cands, Candidate{Model: o.m.String(), AICc: o.aicc, MASE: b.MASE, SMAPE: b.SMAPE})
			if chosen == nil || b.MASE < bestMASE || (math.IsNaN(bestMASE) && !math.IsNaN(b.MASE)) {
				chosen, refit, bestMASE = o.m, o.refit, b.MASE
				bt = &b
			}
		}
	default:
		return nil, fmt.Errorf("unknown model family %q (auto, arima or ets)", fam)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fc, err := chosen.Forecast(req.Horizon)
	if err != nil {
		return nil, err
	}
	res := &Result{Model: chosen.String(), Forecast: fc, Candidates: cands}
	switch m := chosen.(type) {
	case arimaModel:
		res.Family, res.AICc, res.Sigma2 = FamilyARIMA, m.AICc, m.Sigma2
		for i, c := range m.Coef {
			v := c
			if m.CoefNames[i] == "drift" {
				v = m.Drift()
			}
			res.Coef = append(res.Coef, NamedCoef{m.CoefNames[i], v})
		}
	case etsModel:
		res.Family, res.AICc, res.Sigma2 = FamilyETS, m.AICc, m.Sigma2
		res.Coef = append(res.Coef, NamedCoef{"alpha", m.Alpha})
		if m.Spec.Trend != "N" {
			res.Coef = append(res.Coef, NamedCoef{"beta", m.Beta})
		}
		if m.Spec.Season != "N" {
			res.Coef = append(res.Coef, NamedCoef{"gamma", m.Gamma})
		}
		if m.Spec.Trend == "Ad" {
			res.Coef = append(res.Coef, NamedCoef{"phi", m.Phi})
		}
	}
	last := req.Series.Period(len(y) - 1)
	for k := 1; k <= req.Horizon; k++ {
		res.Periods = append(res.Periods, last.Add(k).String())
	}
	if bt == nil {
		b := runBacktest(y, bo, refit)
		bt = &b
	}
	res.Backtest = *bt
	return res, nil
}

// arimaRefit re-estimates the chosen specification on a training prefix (the order is kept:
// the selection is not repeated at every origin, see docs/forecasting.md).
func arimaRefit(fit *ARIMAFit) func([]float64) (Model, error) {
	return func(train []float64) (Model, error) {
		f, err := FitARIMA(train, fit.Spec, FitOptions{Method: "ML", Init: fit.Coef, Quick: true})
		if err != nil {
			return nil, err
		}
		return arimaModel{f}, nil
	}
}

func etsRefit(spec ETSSpec) func([]float64) (Model, error) {
	return func(train []float64) (Model, error) {
		f, err := fitETS(train, spec, true)
		if err != nil {
			return nil, err
		}
		return etsModel{f}, nil
	}
}
