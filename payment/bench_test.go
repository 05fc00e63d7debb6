package payment

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/yibao-dev/yibao"
)

// BenchmarkEvaluateMillion prices and settles 1,000,000 grouped cases (600 DRGs, 50
// hospitals, budget-derived rate, benefits with annual ceilings).
func BenchmarkEvaluateMillion(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 9))
	w := &Weights{Version: "bench"}
	for i := 0; i < 600; i++ {
		w.DRGs = append(w.DRGs, Weight{DRG: fmt.Sprintf("D%03d", i), RW: Ratio(2000 + rng.IntN(60000)), MeanLOS: 3 + rng.Float64()*10})
	}
	w.buildIndex()
	p := DefaultParams()
	p.BaseRate.Budget = 10_000_000_000_00
	cases := make([]Case, 1_000_000)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range cases {
		d := w.DRGs[rng.IntN(600)]
		cases[i] = Case{SetlID: fmt.Sprint(i), Hospital: fmt.Sprintf("H%02d", rng.IntN(50)), Level: 1 + rng.IntN(3),
			InsuType: []string{"310", "390"}[rng.IntN(2)], Person: fmt.Sprint(rng.IntN(300000)), Grouped: true, DRG: d.DRG,
			Cost: yibao.Fen(int64(d.RW) * int64(50+rng.IntN(200))), LOS: 1 + rng.IntN(20), Discharge: start.Add(time.Duration(rng.IntN(365*24)) * time.Hour)}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run, err := Evaluate(cases, w, p)
		if err != nil || len(run.Settlements) != 50 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(cases)*b.N)/b.Elapsed().Seconds(), "cases/s")
}
