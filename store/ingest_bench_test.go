package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/store/postgres/pgtest"
	"github.com/yibao-dev/yibao/synth"
)

// BenchmarkIngest measures ingest of inpatient stays (about 30 fee lines each) into a fresh
// store on each engine: SQLite in WAL mode with synchronous=NORMAL, PostgreSQL on a local
// server with its durable defaults (fsync and synchronous commit on). Figures in
// docs/benchmarks.md.
func BenchmarkIngest(b *testing.B) {
	dir := b.TempDir()
	region := filepath.Join(dir, "region")
	if _, err := synth.Run(context.Background(), synth.Config{Seed: 7, Hospitals: 30, Persons: 12000, Months: 24, Irregular: 0.05, Out: region}); err != nil {
		b.Fatal(err)
	}
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
	ps, _ := ingest.NewPseudonymiser(make([]byte, 32))
	srv, err := pgtest.Start(pgtest.Options{Durable: true})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	engines := []struct {
		name  string
		fresh func(i int) string
	}{
		{"sqlite", func(i int) string { return filepath.Join(dir, "db", string(rune('a'+i%26))) }},
		{"postgres", func(int) string {
			u, err := srv.NewDatabase("bench")
			if err != nil {
				b.Fatal(err)
			}
			return u
		}},
	}
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			b.ReportMetric(float64(lines)/float64(docs), "lines/settlement")
			var closing time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				loc := e.fresh(i)
				os.RemoveAll(filepath.Join(dir, "db"))
				st := open(b, loc)
				b.StartTimer()
				s, err := ingest.Run(context.Background(), st, []string{file}, ingest.Options{Pseudonymiser: ps})
				if err != nil || s.Loaded != docs {
					b.Fatalf("%+v %v", s, err)
				}
				t0 := time.Now()
				if err := st.Close(); err != nil { // the closing checkpoint: the ledger's part at the end
					b.Fatal(err)
				}
				closing += time.Since(t0)
			}
			b.ReportMetric(100*closing.Seconds()/b.Elapsed().Seconds(), "%checkpoint")
			b.ReportMetric(float64(docs*b.N)/b.Elapsed().Seconds(), "settlements/s")
			b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
