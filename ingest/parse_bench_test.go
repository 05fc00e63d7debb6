package ingest

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkParseValidate measures parse + validate + pseudonymise per fee line on the
// inpatient documents of a synthetic region (YIBAO_BENCH_DOCS, NDJSON).
func BenchmarkParseValidate(b *testing.B) {
	path := os.Getenv("YIBAO_BENCH_DOCS")
	if path == "" {
		b.Skip("YIBAO_BENCH_DOCS not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	docs := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	ps, _ := NewPseudonymiser(make([]byte, 32))
	w := newWorker(ps, nil)
	lines := 0
	for _, d := range docs {
		lines += bytes.Count(d, []byte(`"feedetl_sn"`))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, d := range docs {
			if r := w.processJSON(d, 0, false); r.s == nil {
				b.Fatal(r.reasons)
			}
		}
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(len(docs)*b.N)/b.Elapsed().Seconds(), "docs/s")
}
