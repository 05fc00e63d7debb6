package evaluate

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// Hand-computed: three hospitals on CMI (max) and average stay (min), weights 0.6 / 0.4.
// Column norms √3.02 = 1.737815 and √440 = 20.976177; B is best on both (closeness 1);
// A: D+ = 0.075955, D− = 0.036723 → 0.325906; C: 0.291968.
func TestTOPSISGolden(t *testing.T) {
	r, err := TOPSIS([]string{"A", "B", "C"}, [][]float64{{0.9, 12}, {1.1, 10}, {1.0, 14}}, []float64{0.6, 0.4}, []Direction{Max, Min})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		c    float64
		rank int
	}{{0.325906, 2}, {1, 1}, {0.291968, 3}}
	for i, w := range want {
		if !near(r[i].Closeness, w.c, 1e-6) || r[i].Rank != w.rank {
			t.Errorf("%s: %+v, want %+v", r[i].Name, r[i], w)
		}
	}
	// Scaling all weights leaves closeness unchanged; equal rows share a rank.
	r2, _ := TOPSIS([]string{"A", "B", "C", "D"}, [][]float64{{0.9, 12}, {1.1, 10}, {1.0, 14}, {1.0, 14}}, []float64{6, 4}, []Direction{Max, Min})
	if r2[2].Rank != 3 || r2[3].Rank != 3 || !near(r2[1].Closeness, 1, 1e-12) {
		t.Errorf("ties: %+v", r2)
	}
	if _, err := TOPSIS([]string{"A"}, [][]float64{{1, math.NaN()}}, []float64{1, 1}, []Direction{Max, Max}); err == nil {
		t.Error("NaN accepted")
	}
}

// Saaty's classic 3×3 (1 3 5 / 1/3 1 3 / 1/5 1/3 1): weights 0.6370, 0.2583, 0.1047,
// λmax 3.0385, CI 0.0193, CR = 0.0193/0.58 = 0.0332.
func TestAHPGolden(t *testing.T) {
	r, err := AHP([][]float64{{1, 3, 5}, {1.0 / 3, 1, 3}, {1.0 / 5, 1.0 / 3, 1}})
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []float64{0.636986, 0.258285, 0.104729} {
		if !near(r.Weights[i], w, 1e-5) {
			t.Errorf("w%d = %v, want %v", i, r.Weights[i], w)
		}
	}
	if !near(r.LambdaMax, 3.038511, 1e-5) || !near(r.CI, 0.019256, 1e-5) || !near(r.CR, 0.033199, 1e-5) {
		t.Errorf("%+v", r)
	}
	_, err = AHP([][]float64{{1, 9, 1.0 / 9}, {1.0 / 9, 1, 9}, {9, 1.0 / 9, 1}})
	if !errors.Is(err, ErrInconsistent) || !strings.Contains(err.Error(), "CR = ") {
		t.Errorf("inconsistent matrix: %v", err)
	}
	if _, err := AHP([][]float64{{1, 2}, {3, 1}}); err == nil || !strings.Contains(err.Error(), "reciprocal") {
		t.Errorf("non-reciprocal: %v", err)
	}
}

// Entropy by hand: x = (1,5), (2,3), (4,1), directions max and min. Normalised columns
// (0, 1/3, 1) and (0, 1/2, 1); p = (0, .25, .75) and (0, 1/3, 2/3); e = 0.511860 and
// 0.579380; d = 0.488140 and 0.420620; w = 0.537150 and 0.462850.
func TestEntropyGolden(t *testing.T) {
	w, err := EntropyWeights([][]float64{{1, 5}, {2, 3}, {4, 1}}, []Direction{Max, Min})
	if err != nil || !near(w[0], 0.537150, 1e-6) || !near(w[1], 0.462850, 1e-6) {
		t.Fatalf("%v %v", w, err)
	}
	w, _ = EntropyWeights([][]float64{{1, 5}, {1, 3}}, []Direction{Max, Max})
	if w[0] != 0 || w[1] != 1 {
		t.Fatalf("constant column should weigh 0: %v", w)
	}
	b, _ := Blend([]float64{3, 1}, []float64{0.5, 0.5}, 0.5)
	if !near(b[0], 0.625, 1e-12) || !near(b[1], 0.375, 1e-12) {
		t.Fatalf("blend %v", b)
	}
}
