package payment

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/yibao-dev/yibao"
)

// BenchmarkPayMillion prices and settles 1,000,000 cases (600 DRGs, 50 hospitals, every
// case category, hospital and technology coefficients) by the point method.
func BenchmarkPayMillion(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 9))
	var rows []Weight
	for i := 0; i < 600; i++ {
		rw := Ratio(2000 + rng.IntN(60000))
		rows = append(rows, Weight{DRG: fmt.Sprintf("D%03d", i), ADRG: fmt.Sprintf("D%02d", i/3), Cases: 100 + rng.IntN(900),
			RW: rw, MeanCost: yibao.Fen(int64(rw) * 100), MeanLOS: Ratio(30000 + rng.IntN(100000)), Source: SourceOwn})
	}
	w, err := NewWeights("bench", rows)
	if err != nil {
		b.Fatal(err)
	}
	pol := DefaultPolicy()
	pol.PerDiem.DRGs = []string{"D007"}
	pol.Coefficients.Hospitals = map[string]Ratio{"H01": 10500, "H02": 9500}
	pol.Coefficients.Technologies = []Technology{{ID: "t", Procedures: []string{"47.01"}, Coefficient: 11000}}
	cases := make([]PayCase, 1_000_000)
	for i := range cases {
		d := rows[rng.IntN(600)]
		c := PayCase{ID: fmt.Sprint(i), Hospital: fmt.Sprintf("H%02d", rng.IntN(50)), DRG: d.DRG, ADRG: d.ADRG, Status: StatusGrouped,
			Cost: yibao.Fen(int64(d.MeanCost) * int64(10+rng.IntN(300)) / 100), LOS: 1 + rng.IntN(70), DischargeWay: "1",
			Month: 1 + rng.IntN(12)}
		c.PatientPaid = c.Cost / 4
		switch rng.IntN(100) {
		case 0:
			c.Status = StatusUngroupable
		case 1:
			c.DischargeWay = "2"
		case 2:
			c.Procedures = []string{"47.0100"}
		}
		cases[i] = c
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Pay(cases, w, pol, 10_000_000_000_00)
		if err != nil || len(res.Hospitals) != 50 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(cases)*b.N)/b.Elapsed().Seconds(), "cases/s")
}
