package monitor

import (
	"math"
	"testing"
)

// Hand calculation of the step-up procedure: p = (0.01, 0.04, 0.03, 0.005), m = 4, sorted
// 0.005, 0.01, 0.03, 0.04 → 0.005×4/1 = 0.02, 0.01×4/2 = 0.02, 0.03×4/3 = 0.04, 0.04×4/4 =
// 0.04, each the minimum with those above it: 0.02, 0.02, 0.04, 0.04.
func TestBenjaminiHochbergGolden(t *testing.T) {
	q := BenjaminiHochberg([]float64{0.01, 0.04, 0.03, 0.005, math.NaN()})
	want := []float64{0.02, 0.04, 0.04, 0.02}
	for i, w := range want {
		if math.Abs(q[i]-w) > 1e-12 {
			t.Fatalf("q = %v, want %v", q, want)
		}
	}
	if !math.IsNaN(q[4]) {
		t.Fatal("a missing p-value was adjusted")
	}
}
