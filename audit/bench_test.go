package audit_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/audit"
	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/synth"
)

type collect struct{ ss []*yibao.Settlement }

func (c *collect) PutHospitals(context.Context, []yibao.Hospital) error { return nil }
func (c *collect) PutSettlements(_ context.Context, ss []*yibao.Settlement) ([]ingest.Outcome, error) {
	c.ss = append(c.ss, ss...)
	return make([]ingest.Outcome, len(ss)), nil
}

// BenchmarkAuditBatch audits the inpatient stays of a synthetic region (about 39 fee lines
// each) with every rule and detector, on all cores, in memory.
func BenchmarkAuditBatch(b *testing.B) {
	dir := b.TempDir()
	if _, err := synth.Run(context.Background(), synth.Config{Seed: 11, Hospitals: 20, Persons: 20000, Months: 24, Irregular: 0.05, Out: dir}); err != nil {
		b.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, synth.SettlementsFile))
	var inp []byte
	for _, d := range bytes.SplitAfter(raw, []byte("\n")) {
		if bytes.Contains(d, []byte(`"ipt_med_type":"21"`)) {
			inp = append(inp, d...)
		}
	}
	os.WriteFile(filepath.Join(dir, "inpatient.ndjson"), inp, 0o644)
	ps, _ := ingest.NewPseudonymiser(make([]byte, 32))
	c := &collect{}
	if _, err := ingest.Run(context.Background(), c, []string{filepath.Join(dir, "inpatient.ndjson")}, ingest.Options{Pseudonymiser: ps}); err != nil {
		b.Fatal(err)
	}
	kb, err := audit.LoadKB(filepath.Join(dir, synth.KBDir))
	if err != nil {
		b.Fatal(err)
	}
	lines := 0
	for _, s := range c.ss {
		lines += len(s.Fees)
	}
	b.ReportMetric(float64(lines)/float64(len(c.ss)), "lines/settlement")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, err := kb.AuditAll(context.Background(), 0, func(yield func(audit.Input) error) error {
			for j, s := range c.ss {
				if err := yield(audit.Input{Settlement: s, Row: int64(j), Level: 3}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(c.ss)*b.N)/b.Elapsed().Seconds(), "settlements/s")
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkAuditStore is `yibao audit --db` without the findings write: every current
// settlement of a 20,000-person region (all kinds, inpatient and outpatient) read from
// SQLite, decoded on the audit workers, audited with every rule and detector.
func BenchmarkAuditStore(b *testing.B) {
	dir := b.TempDir()
	if _, err := synth.Run(context.Background(), synth.Config{Seed: 11, Hospitals: 20, Persons: 20000, Months: 24, Irregular: 0.05, Out: dir}); err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ps, _ := ingest.NewPseudonymiser(make([]byte, 32))
	if _, err := ingest.Run(context.Background(), st, []string{dir}, ingest.Options{Pseudonymiser: ps}); err != nil {
		b.Fatal(err)
	}
	kb, err := audit.LoadKB(filepath.Join(dir, synth.KBDir))
	if err != nil {
		b.Fatal(err)
	}
	levels, _ := st.HospitalLevels(context.Background())
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n = 0
		_, err := kb.AuditAll(context.Background(), 0, func(yield func(audit.Input) error) error {
			return st.EachCurrentDetail(context.Background(), sqlite.Filter{}, func(row int64, detail string) error {
				n++
				return yield(audit.Input{Row: row, Levels: levels, Decode: func(s *yibao.Settlement) error { return sqlite.DecodeDetailReuse(detail, s) }})
			})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "settlements/s")
}
