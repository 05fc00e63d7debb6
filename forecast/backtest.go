package forecast

import "math"

// BacktestOptions configure the rolling-origin evaluation.
type BacktestOptions struct {
	Origins int // forecast origins (default 4)
	Horizon int // steps evaluated from each origin (default min(horizon, 12))
	Step    int // months between origins (default 3)
}

func (o BacktestOptions) withDefaults(h, period, n int) BacktestOptions {
	if o.Origins <= 0 {
		o.Origins = 4
	}
	if o.Horizon <= 0 {
		o.Horizon = min(h, 12)
	}
	if o.Step <= 0 {
		o.Step = 3
	}
	return o
}

// Backtest is how a model did when refitted at earlier origins and asked to forecast values it
// had not seen, against the seasonal naive forecast on the same origins. MASE is scaled by the
// training part's in-sample seasonal-naive MAE (Hyndman & Koehler 2006); sMAPE is
// 200·|y − f| / (|y| + |f|) in percent (Makridakis 1993). Both are means over every origin and
// step; NaN when no origin left enough data.
type Backtest struct {
	Origins    int     `json:"origins"`
	Horizon    int     `json:"horizon"`
	Points     int     `json:"points"`
	MASE       float64 `json:"mase"`
	SMAPE      float64 `json:"smape"`
	NaiveMASE  float64 `json:"naive_mase"`
	NaiveSMAPE float64 `json:"naive_smape"`
}

// minTrain is the shortest training part a backtest origin may leave.
// Seasonal ETS needs two full years; shorter training parts are still tried and an origin
// whose refit fails is skipped.
func minTrain(period int) int { return max(period+4, 10) }

// runBacktest refits at each origin and compares forecasts with what followed. Origins are the
// last Origins points spaced Step apart such that each leaves Horizon values to compare (the
// last origin is n − Horizon).
func runBacktest(y []float64, o BacktestOptions, refit func([]float64) (Model, error)) Backtest {
	const period = 12
	n := len(y)
	bt := Backtest{Horizon: o.Horizon, MASE: math.NaN(), SMAPE: math.NaN(), NaiveMASE: math.NaN(), NaiveSMAPE: math.NaN()}
	var sMASE, sSMAPE, nMASE, nSMAPE float64
	points := 0
	if n-o.Horizon < minTrain(period) {
		// A short series keeps at least one origin by evaluating fewer steps.
		o.Horizon = max(n-minTrain(period), 0)
		bt.Horizon = o.Horizon
	}
	for i := 0; o.Horizon > 0 && i < o.Origins; i++ {
		origin := n - o.Horizon - i*o.Step
		if origin < minTrain(period) {
			break
		}
		train := y[:origin]
		h := min(o.Horizon, n-origin)
		lag := period
		if len(train) <= period {
			lag = 1
		}
		var scale float64
		for t := lag; t < len(train); t++ {
			scale += math.Abs(train[t] - train[t-lag])
		}
		scale /= float64(len(train) - lag)
		if scale == 0 {
			continue
		}
		m, err := refit(train)
		if err != nil {
			continue
		}
		fc, err := m.Point(h)
		if err != nil {
			continue
		}
		bt.Origins++
		for k := 0; k < h; k++ {
			actual := y[origin+k]
			naive := train[len(train)-lag+k%lag]
			sMASE += math.Abs(actual-fc[k]) / scale
			sSMAPE += smape(actual, fc[k])
			nMASE += math.Abs(actual-naive) / scale
			nSMAPE += smape(actual, naive)
			points++
		}
	}
	if points > 0 {
		p := float64(points)
		bt.Points = points
		bt.MASE, bt.SMAPE, bt.NaiveMASE, bt.NaiveSMAPE = sMASE/p, sSMAPE/p, nMASE/p, nSMAPE/p
	}
	return bt
}

func smape(a, f float64) float64 {
	d := math.Abs(a) + math.Abs(f)
	if d == 0 {
		return 0
	}
	return 200 * math.Abs(a-f) / d
}
