package forecast

import "testing"

func BenchmarkAutoETS(b *testing.B) {
	ss := drgSeries(100, 48)
	for i := 0; i < b.N; i++ {
		for _, s := range ss {
			AutoETS(s.Values, 12)
		}
	}
}

func BenchmarkAutoARIMA(b *testing.B) {
	ss := drgSeries(100, 48)
	for i := 0; i < b.N; i++ {
		for _, s := range ss {
			AutoARIMA(s.Values, 12, AutoOptions{})
		}
	}
}
