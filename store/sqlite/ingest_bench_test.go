package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/synth"
)

// BenchmarkIngest measures synth → ingest into a fresh store, per settlement.
func BenchmarkIngest(b *testing.B) {
	dir := b.TempDir()
	region := filepath.Join(dir, "region")
	sum, err := synth.Run(context.Background(), synth.Config{Seed: 7, Hospitals: 30, Persons: 8000, Months: 24, Irregular: 0.05, Out: region})
	if err != nil {
		b.Fatal(err)
	}
	// Inpatient stays only: the target is stated for settlements of about 30 fee lines.
	b.ReportMetric(float64(sum.FeeLines)/float64(sum.Settlements), "lines/settlement")
	ps, _ := ingest.NewPseudonymiser(make([]byte, 32))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db := filepath.Join(dir, "db", string(rune('a'+i%26)), filepath.Base(b.Name()))
		os.RemoveAll(db)
		st, err := sqlite.Open(db)
		if err != nil {
			b.Fatal(err)
		}
		s, err := ingest.Run(context.Background(), st, []string{filepath.Join(region, synth.SettlementsFile)}, ingest.Options{Pseudonymiser: ps})
		if err != nil || s.Loaded != sum.Settlements {
			b.Fatalf("%+v %v", s, err)
		}
		st.Close()
	}
	b.ReportMetric(float64(sum.Settlements*b.N)/b.Elapsed().Seconds(), "settlements/s")
	b.ReportMetric(float64(sum.FeeLines*b.N)/b.Elapsed().Seconds(), "lines/s")
}
