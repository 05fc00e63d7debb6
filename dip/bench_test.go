package dip_test

import (
	"fmt"
	"testing"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/dip"
)

// BenchmarkPriceAndSettle prices and settles 100,000 cases against the hand-made catalogue.
func BenchmarkPriceAndSettle(b *testing.B) {
	e := &dip.Engine{Policy: dip.DefaultPolicy(), Classes: dip.BuiltinClasses(), Severity: dip.BuiltinSeverity()}
	cat, err := e.Build(refSet())
	if err != nil {
		b.Fatal(err)
	}
	cases := make([]dip.Case, 100_000)
	pdx := []string{"K35.800", "J18.900", "Z99.900"}
	for i := range cases {
		cases[i] = dip.Case{ID: fmt.Sprint(i), AgeDays: -1, Age: i % 90, LOS: 1 + i%20, Hospital: fmt.Sprint("H", i%50), Level: "3",
			Diagnoses: []string{pdx[i%3]}, Procedures: []string{"47.0901"}, Cost: yibao.Fen(100000 + (i*7919)%1000000), Paid: 30000}
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		priced := make([]dip.Priced, len(cases))
		for i := range cases {
			if priced[i], err = e.Price(cat, &cases[i]); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := dip.Settle(priced, 1_000_000_000); err != nil {
			b.Fatal(err)
		}
	}
}
