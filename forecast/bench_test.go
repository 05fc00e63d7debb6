package forecast

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// drgSeries makes n monthly series of 48 months shaped like DRG case costs or counts: a level,
// a trend, a yearly cycle of random phase and amplitude, and noise (some with AR(1) noise).
func drgSeries(n, months int) []Series {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]Series, n)
	for i := range out {
		level := 50 + rng.Float64()*5000
		trend := (rng.Float64() - 0.3) * level * 0.004
		amp := rng.Float64() * 0.15 * level
		phase := rng.Float64() * 2 * math.Pi
		sd := (0.02 + rng.Float64()*0.08) * level
		ar := rng.Float64() * 0.6
		e := 0.0
		v := make([]float64, months)
		for t := range v {
			e = ar*e + rng.NormFloat64()*sd
			v[t] = level + trend*float64(t) + amp*math.Sin(2*math.Pi*float64(t)/12+phase) + e
		}
		out[i] = Series{Start: Month{2022, 1}, Values: v}
	}
	return out
}

// BenchmarkAuto1000 is the benchmark: --model auto (both families, selection,
// rolling-origin backtest) on 1,000 DRG-like series of 48 months, 12 months ahead.
func BenchmarkAuto1000(b *testing.B) {
	series := drgSeries(1000, 48)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := RunMany(context.Background(), series, Request{Horizon: 12}, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuto100 is the same on 100 series, for quick comparisons.
func BenchmarkAuto100(b *testing.B) {
	series := drgSeries(100, 48)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := RunMany(context.Background(), series, Request{Horizon: 12}, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}
