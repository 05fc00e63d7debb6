package forecast

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"
)

// maseHoldout is forecast::accuracy's MASE on the last 12 values, scaled by the training part's
// in-sample seasonal-naive MAE.
func maseHoldout(train, test, fc []float64, m int) float64 {
	var scale float64
	for i := m; i < len(train); i++ {
		scale += math.Abs(train[i] - train[i-m])
	}
	scale /= float64(len(train) - m)
	var e float64
	for i := range test {
		e += math.Abs(test[i] - fc[i])
	}
	return e / float64(len(test)) / scale
}

func TestAutoARIMAAgainstR(t *testing.T) {
	var sumR, sumGo float64
	n := 0
	for _, ref := range readCSV(t, filepath.Join("testdata", "r", "auto.csv")) {
		s := loadSeries(t, ref["series"])
		y := s.Values
		train, test := y[:len(y)-12], y[len(y)-12:]
		start := time.Now()
		fit, err := AutoARIMA(train, 12, AutoOptions{})
		if err != nil {
			t.Errorf("%s: %v", ref["series"], err)
			continue
		}
		fc, err := fit.Forecast(12)
		if err != nil {
			t.Fatal(err)
		}
		m := maseHoldout(train, test, fc.Mean, 12)
		t.Logf("%-18s %-42s MASE %.3f | R %-40s %.3f  (%v)", ref["series"], fit.Spec, m, ref["model"], num(ref["mase"]), time.Since(start).Round(time.Millisecond))
		sumR += num(ref["mase"])
		sumGo += m
		n++
	}
	t.Logf("mean MASE: ours %.4f, R auto.arima %.4f over %d series", sumGo/float64(n), sumR/float64(n), n)
}

func TestAutoETSAgainstR(t *testing.T) {
	var sumR, sumGo float64
	n := 0
	for _, ref := range readCSV(t, filepath.Join("testdata", "r", "auto.csv")) {
		y := loadSeries(t, ref["series"]).Values
		train, test := y[:len(y)-12], y[len(y)-12:]
		fit, err := AutoETS(train, 12)
		if err != nil {
			t.Errorf("%s: %v", ref["series"], err)
			continue
		}
		fc, _ := fit.Forecast(12)
		m := maseHoldout(train, test, fc.Mean, 12)
		t.Logf("%-18s %-14s MASE %.3f | R %-12s %.3f", ref["series"], fit.Spec, m, ref["ets_model"], num(ref["ets_mase"]))
		sumR += num(ref["ets_mase"])
		sumGo += m
		n++
	}
	t.Logf("mean MASE: ours %.4f, R ets %.4f over %d series", sumGo/float64(n), sumR/float64(n), n)
}

// TestAutoAgainstR is the contract's check on the reference series: --model auto with the last
// 12 months held out must have a mean MASE no worse than forecast::auto.arima's.
func TestAutoAgainstR(t *testing.T) {
	var sumR, sumGo, sumETS float64
	n := 0
	for _, ref := range readCSV(t, filepath.Join("testdata", "r", "auto.csv")) {
		s := loadSeries(t, ref["series"])
		y := s.Values
		train, test := y[:len(y)-12], y[len(y)-12:]
		res, err := Run(context.Background(), Request{Series: Series{Start: s.Start, Values: train}, Horizon: 12})
		if err != nil {
			t.Errorf("%s: %v", ref["series"], err)
			continue
		}
		m := maseHoldout(train, test, res.Forecast.Mean, 12)
		t.Logf("%-18s %-40s MASE %.3f (backtest %.3f, naive %.3f) | R %.3f  %v", ref["series"], res.Model, m, res.Backtest.MASE, res.Backtest.NaiveMASE, num(ref["mase"]), res.Candidates)
		sumR += num(ref["mase"])
		sumETS += num(ref["ets_mase"])
		sumGo += m
		n++
	}
	t.Logf("mean MASE: ours %.4f, R auto.arima %.4f, R ets %.4f over %d series", sumGo/float64(n), sumR/float64(n), sumETS/float64(n), n)
	if sumGo > sumR {
		t.Errorf("mean MASE %.4f worse than auto.arima's %.4f", sumGo/float64(n), sumR/float64(n))
	}
}
