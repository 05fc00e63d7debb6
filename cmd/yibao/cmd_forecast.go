package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/yibao-dev/yibao/forecast"
)

// runForecast is the stable forecasting contract (issue 18):
//
//	yibao forecast --in series.csv --horizon H --out forecast.csv [--order p,d,q]
//	               [--seasonal P,D,Q,S] [--model auto|arima|ets] [--json]
func runForecast(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "forecast", "forecast --in series.csv --horizon H --out forecast.csv [--order p,d,q] [--seasonal P,D,Q,S] [--model auto|arima|ets] [--json]")
	in := fs.String("in", "", "monthly series CSV: period,value (YYYY-MM, in order, no gaps)")
	horizon := fs.Int("horizon", 12, "months to forecast (1–120)")
	out := fs.String("out", "", "forecast CSV to write: period,mean,lo80,hi80,lo95,hi95")
	order := fs.String("order", "", "fixed ARIMA order p,d,q (exact maximum likelihood)")
	seasonal := fs.String("seasonal", "", "fixed seasonal order P,D,Q,S (with --order; S defaults to 12)")
	model := fs.String("model", "auto", "auto (best of ARIMA and ETS by backtest), arima (auto ARIMA) or ets")
	origins := fs.Int("backtest-origins", 4, "rolling-origin backtest: number of origins")
	asJSON := fs.Bool("json", false, "print the model, coefficients, backtest and forecast as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return usageError{msg: "--in and --out are required"}
	}
	if *horizon < 1 || *horizon > forecast.MaxHorizon {
		return usageError{msg: fmt.Sprintf("--horizon must be 1–%d", forecast.MaxHorizon)}
	}
	fam := forecast.Family(*model)
	if fam != forecast.FamilyAuto && fam != forecast.FamilyARIMA && fam != forecast.FamilyETS {
		return usageError{msg: "--model must be auto, arima or ets"}
	}
	var spec *forecast.ARIMASpec
	if *order != "" || *seasonal != "" {
		if fam == forecast.FamilyETS {
			return usageError{msg: "--order/--seasonal fix an ARIMA model; they cannot go with --model ets"}
		}
		s, err := parseSpec(*order, *seasonal)
		if err != nil {
			return usageError{msg: err.Error()}
		}
		spec = &s
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	series, err := forecast.ReadSeries(f, *in)
	f.Close()
	if err != nil {
		return exitError{code: exitRejected, msg: err.Error()}
	}
	res, err := forecast.Run(ctx, forecast.Request{Series: series, Horizon: *horizon, Family: fam, Spec: spec,
		Backtest: forecast.BacktestOptions{Origins: *origins}})
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if err := writeForecastCSV(*out, res); err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(res)
	}
	fmt.Fprintf(e.stdout, "模型 model: %s (AICc %.2f, σ² %.6g)\n", res.Model, res.AICc, res.Sigma2)
	for _, c := range res.Coef {
		fmt.Fprintf(e.stdout, "  %-10s %12.6f\n", c.Name, c.Value)
	}
	bt := res.Backtest
	if bt.Points > 0 {
		fmt.Fprintf(e.stdout, "回测 backtest (%d origins × %d months): MASE %.3f, sMAPE %.2f%%; seasonal naive MASE %.3f, sMAPE %.2f%%\n",
			bt.Origins, bt.Horizon, bt.MASE, bt.SMAPE, bt.NaiveMASE, bt.NaiveSMAPE)
	} else {
		fmt.Fprintln(e.stdout, "回测 backtest: series too short for a rolling-origin backtest")
	}
	for _, c := range res.Candidates {
		fmt.Fprintf(e.stdout, "  candidate %-40s backtest MASE %.3f\n", c.Model, c.MASE)
	}
	fmt.Fprintf(e.stdout, "wrote %d months to %s\n", len(res.Periods), *out)
	return nil
}

// parseSpec reads --order p,d,q and --seasonal P,D,Q,S.
func parseSpec(order, seasonal string) (forecast.ARIMASpec, error) {
	spec := forecast.ARIMASpec{Period: 12, Mean: true}
	if order == "" {
		return spec, fmt.Errorf("--seasonal needs --order")
	}
	o, err := intList(order, 3, 3, "--order")
	if err != nil {
		return spec, err
	}
	spec.Order = forecast.Order{P: o[0], D: o[1], Q: o[2]}
	if seasonal != "" {
		s, err := intList(seasonal, 3, 4, "--seasonal")
		if err != nil {
			return spec, err
		}
		spec.Seasonal = forecast.Order{P: s[0], D: s[1], Q: s[2]}
		if len(s) == 4 {
			spec.Period = s[3]
		}
		if spec.Period < 2 || spec.Period > 24 {
			return spec, fmt.Errorf("--seasonal period S must be 2–24")
		}
	}
	if spec.Order.P > 10 || spec.Order.Q > 10 || spec.Order.D > 2 || spec.Seasonal.P > 3 || spec.Seasonal.Q > 3 || spec.Seasonal.D > 1 {
		return spec, fmt.Errorf("orders beyond p,q ≤ 10, d ≤ 2, P,Q ≤ 3, D ≤ 1 are not supported")
	}
	return spec, nil
}

func intList(s string, minN, maxN int, flagName string) ([]int, error) {
	parts := strings.Split(s, ",")
	if len(parts) < minN || len(parts) > maxN {
		return nil, fmt.Errorf("%s %q: want %d comma-separated integers", flagName, s, maxN)
	}
	out := make([]int, len(parts))
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%s %q: %q is not a non-negative integer", flagName, s, p)
		}
		out[i] = v
	}
	return out, nil
}

// writeForecastCSV writes the forecast through a temporary file and a rename, so that a
// failure never leaves a half-written forecast behind.
func writeForecastCSV(path string, res *forecast.Result) error {
	var b strings.Builder
	b.WriteString("period,mean,lo80,hi80,lo95,hi95\n")
	fc := res.Forecast
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
	for i, p := range res.Periods {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s\n", p, g(fc.Mean[i]), g(fc.Lo80[i]), g(fc.Hi80[i]), g(fc.Lo95[i]), g(fc.Hi95[i]))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".forecast-*.csv")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
