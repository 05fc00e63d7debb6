package sqlite_test

import (
	"bytes"
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
	sum, err := synth.Run(context.Background(), synth.Config{Seed: 7, Hospitals: 30, Persons: 30000, Months: 24, Irregular: 0.05, Out: region})
	if err != nil {
		b.Fatal(err)
	}
	// Inpatient stays only: the target is stated for settlements of about 30 fee lines.
	raw, err := os.ReadFile(filepath.Join(region, synth.SettlementsFile))
	if err != nil {
		b.Fatal(err)
	}
	var inpatient []byte
	docs, lines := 0, 0
	for _, doc := range bytes.SplitAfter(raw, []byte("\n")) {
		if bytes.Contains(doc, []byte(`"ipt_med_type":"21"`)) {
			inpatient = append(inpatient, doc...)
			docs++
			lines += bytes.Count(doc, []byte(`"feedetl_sn"`))
		}
	}
	file := filepath.Join(dir, "inpatient.ndjson")
	if err := os.WriteFile(file, inpatient, 0o644); err != nil {
		b.Fatal(err)
	}
	sum.Settlements, sum.FeeLines = docs, lines
	b.ReportMetric(float64(lines)/float64(docs), "lines/settlement")
	ps, _ := ingest.NewPseudonymiser(make([]byte, 32))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db := filepath.Join(dir, "db", string(rune('a'+i%26)), filepath.Base(b.Name()))
		os.RemoveAll(db)
		st, err := sqlite.Open(db)
		if err != nil {
			b.Fatal(err)
		}
		s, err := ingest.Run(context.Background(), st, []string{file}, ingest.Options{Pseudonymiser: ps})
		if err != nil || s.Loaded != sum.Settlements {
			b.Fatalf("%+v %v", s, err)
		}
		st.Close()
	}
	b.ReportMetric(float64(sum.Settlements*b.N)/b.Elapsed().Seconds(), "settlements/s")
	b.ReportMetric(float64(sum.FeeLines*b.N)/b.Elapsed().Seconds(), "lines/s")
}
