package forecast

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestReadSeriesErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "s.csv:1: empty file"},
		{"month,value\n", "header must be period,value"},
		{"period,value\n", "no data rows"},
		{"period,value\n2020-01,1\n2020-03,2\n", "s.csv:3: field period: period 2020-03 does not follow 2020-01"},
		{"period,value\n2020-13,1\n", "s.csv:2: field period: \"2020-13\" is not a month"},
		{"period,value\n2020-01,NaN\n", "s.csv:2: field value: \"NaN\" is not a finite number"},
		{"period,value\n2020-01,1,2\n", "s.csv:2: 3 fields"},
		{"period,value\n2020-01,\"1\n", "s.csv:2:"},
	}
	for _, c := range cases {
		_, err := ReadSeries(strings.NewReader(c.in), "s.csv")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.in, err, c.want)
		}
	}
	s, err := ReadSeries(strings.NewReader("\ufeffperiod,value\r\n2019-11, 1.5\r\n2019-12,2\r\n2020-01,-3e2\r\n"), "s.csv")
	if err != nil {
		t.Fatal(err)
	}
	if s.Start != (Month{2019, 11}) || len(s.Values) != 3 || s.Values[2] != -300 || s.Period(2).String() != "2020-01" {
		t.Errorf("got %+v", s)
	}
}

func FuzzReadSeries(f *testing.F) {
	f.Add("period,value\n2020-01,1\n2020-02,2\n")
	f.Add("period,value\n2020-01,1\n2020-03,2\n")
	f.Add("period,value\n\"2020-01\",1e308\n")
	f.Add("period,value\n2020-1,1\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ReadSeries(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if s.Values != nil {
				t.Fatal("values returned with an error")
			}
			return
		}
		if len(s.Values) == 0 || len(s.Values) > MaxSeriesLength {
			t.Fatalf("bad length %d", len(s.Values))
		}
	})
}

func TestRunRejectsBadRequests(t *testing.T) {
	s := Series{Start: Month{2020, 1}, Values: []float64{1, 2, 3, 4, 5, 6}}
	for _, r := range []Request{{Series: s, Horizon: 0}, {Series: s, Horizon: 500}, {Series: Series{Values: []float64{1}}, Horizon: 3}, {Series: s, Horizon: 3, Family: "x"}} {
		if _, err := Run(t.Context(), r); err == nil {
			t.Errorf("%+v: no error", r)
		}
	}
	// A constant or very short series still gets a forecast, not a panic.
	for _, v := range [][]float64{{5, 5, 5, 5, 5, 5, 5, 5}, {1, 2, 3, 4}, {0, 0, 0, 1, 0, 0, 0, 0, 0, 0}} {
		if _, err := Run(t.Context(), Request{Series: Series{Start: Month{2020, 1}, Values: v}, Horizon: 3}); err != nil {
			t.Errorf("%v: %v", v, err)
		}
	}
}

func TestMinRoot(t *testing.T) {
	seasonal := make([]float64, 12)
	seasonal[11] = -0.999 // 1 − 0.999 z^12: roots of modulus 0.999^(−1/12) ≈ 1.00008
	for _, c := range []struct {
		coef []float64
		sign float64
		ok   bool
	}{
		{[]float64{0.995}, -1, false}, // AR root 1/0.995 = 1.005
		{[]float64{0.9}, -1, true},    // 1.11
		{[]float64{-0.995}, 1, false}, // MA 1 − 0.995z
		{seasonal, 1, false},
		{[]float64{0.5, 0.3}, -1, true}, // roots 1.17 and −2.84
		{[]float64{1.2, -0.2}, -1, false},
	} {
		if got := minRoot(c.coef, c.sign) >= 1.01; got != c.ok {
			t.Errorf("%v sign %v: ok %v, want %v", c.coef, c.sign, got, c.ok)
		}
	}
}

// TestRunNeverPanics feeds awkward series — short, constant, with zeros, negatives, spikes,
// huge and tiny values — through every family and checks for an error or finite output.
func TestRunNeverPanics(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 150; i++ {
		n := 4 + rng.IntN(60)
		v := make([]float64, n)
		scale := math.Pow(10, float64(rng.IntN(16)-4))
		kind := rng.IntN(5)
		for j := range v {
			switch kind {
			case 0:
				v[j] = scale
			case 1:
				v[j] = float64(rng.IntN(3)) * scale // counts with many zeros
			case 2:
				v[j] = rng.NormFloat64() * scale // negatives
			case 3:
				v[j] = scale * (1 + rng.Float64())
				if rng.IntN(10) == 0 {
					v[j] *= 100 // spikes
				}
			default:
				v[j] = scale * float64(j*j)
			}
		}
		for _, fam := range []Family{FamilyAuto, FamilyARIMA, FamilyETS} {
			res, err := Run(t.Context(), Request{Series: Series{Start: Month{2020, 1}, Values: v}, Horizon: 1 + rng.IntN(24), Family: fam})
			if err != nil {
				continue
			}
			for k, m := range res.Forecast.Mean {
				if math.IsNaN(m) || math.IsInf(m, 0) || math.IsNaN(res.Forecast.Hi95[k]) {
					t.Fatalf("kind %d n %d %s: non-finite forecast %v", kind, n, fam, res.Forecast.Mean)
				}
			}
		}
	}
}
