package forecast

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func loadSeries(t testing.TB, name string) Series {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "r", "series", name+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := ReadSeries(f, name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readCSV(t testing.TB, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, _ := strconv.Atoi(f)
		out = append(out, v)
	}
	return out
}

func num(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }

type rFixed struct {
	series, order, seasonal string
	loglik, sigma2          float64
	coef                    string
	mean, se                []float64
}

func loadFixed(t testing.TB) []rFixed {
	var out []rFixed
	var recs []map[string]string
	for _, f := range []string{"fixed.csv", "fixed_extra.csv"} {
		recs = append(recs, readCSV(t, filepath.Join("testdata", "r", f))...)
	}
	for _, r := range recs {
		key := r["series"] + "|" + r["order"] + "|" + r["seasonal"]
		if len(out) == 0 || out[len(out)-1].series+"|"+out[len(out)-1].order+"|"+out[len(out)-1].seasonal != key {
			out = append(out, rFixed{series: r["series"], order: r["order"], seasonal: r["seasonal"],
				loglik: num(r["loglik"]), sigma2: num(r["sigma2"]), coef: r["coef"]})
		}
		last := &out[len(out)-1]
		last.mean = append(last.mean, num(r["mean"]))
		last.se = append(last.se, num(r["se"]))
	}
	return out
}

// TestFixedOrderAgainstR compares exact-ML fits and forecasts with R's arima(method = "ML")
// and predict() (testdata/r/reference.R): means within 1%, interval widths within 5%.
func TestFixedOrderAgainstR(t *testing.T) {
	worstMean, worstWidth := 0.0, 0.0
	for _, ref := range loadFixed(t) {
		s := loadSeries(t, ref.series)
		o, so := ints(ref.order), ints(ref.seasonal)
		spec := ARIMASpec{Order: Order{o[0], o[1], o[2]}, Seasonal: Order{so[0], so[1], so[2]}, Period: so[3], Mean: true}
		fit, err := FitARIMA(s.Values, spec, FitOptions{Method: "ML"})
		if err != nil {
			t.Errorf("%s %s: %v", ref.series, spec, err)
			continue
		}
		fc, err := fit.Forecast(len(ref.mean))
		if err != nil {
			t.Errorf("%s %s: %v", ref.series, spec, err)
			continue
		}
		wm, ww := 0.0, 0.0
		for i := range ref.mean {
			dm := math.Abs(fc.Mean[i]-ref.mean[i]) / math.Max(math.Abs(ref.mean[i]), 1e-9)
			dw := math.Abs(fc.SE[i]-ref.se[i]) / ref.se[i]
			wm, ww = math.Max(wm, dm), math.Max(ww, dw)
		}
		worstMean, worstWidth = math.Max(worstMean, wm), math.Max(worstWidth, ww)
		t.Logf("%-18s %-34s loglik %10.3f (R %10.3f) mean dev %.2e width dev %.2e coef %v | R %s",
			ref.series, spec, fit.LogLik, ref.loglik, wm, ww, fmtCoef(fit.Coef), ref.coef)
		if wm > 0.01 {
			t.Errorf("%s %s: forecast mean off R by %.2f%%", ref.series, spec, 100*wm)
		}
		if ww > 0.05 {
			t.Errorf("%s %s: interval width off R by %.2f%%", ref.series, spec, 100*ww)
		}
	}
	t.Logf("worst mean deviation %.3g%%, worst interval-width deviation %.3g%%", 100*worstMean, 100*worstWidth)
}

func fmtCoef(c []float64) string {
	var b []string
	for _, v := range c {
		b = append(b, strconv.FormatFloat(v, 'g', 6, 64))
	}
	return strings.Join(b, ",")
}
