package store_test

import (
	"fmt"

	"bytes"
	"context"
	"github.com/yibao-dev/yibao"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/store/postgres/pgtest"
	"github.com/yibao-dev/yibao/synth"
)

// BenchmarkIngest measures ingest of inpatient stays (38.7 fee lines each) into a fresh
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
	// The engines take turns within each iteration (the order alternating), so that both
	// see the same load on a shared machine; each reports its own rate.
	fresh := []func(i int) string{
		func(i int) string {
			d := filepath.Join(dir, "db", string(rune('a'+i%26)))
			os.RemoveAll(d)
			return d
		},
		func(int) string {
			u, err := srv.NewDatabase("bench")
			if err != nil {
				b.Fatal(err)
			}
			return u
		},
	}
	var took, closing [2]time.Duration
	b.ReportMetric(float64(lines)/float64(docs), "lines/settlement")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range 2 {
			e := (i + k) % 2
			st := open(b, fresh[e](i))
			t0 := time.Now()
			s, err := ingest.Run(context.Background(), st, []string{file}, ingest.Options{Pseudonymiser: ps})
			if err != nil || s.Loaded != docs {
				b.Fatalf("%+v %v", s, err)
			}
			t1 := time.Now()
			if err := st.Close(); err != nil { // the closing checkpoint: the ledger's part at the end
				b.Fatal(err)
			}
			took[e] += time.Since(t0)
			closing[e] += time.Since(t1)
		}
	}
	for e, name := range []string{"sqlite", "postgres"} {
		b.ReportMetric(float64(docs*b.N)/took[e].Seconds(), name+"-settlements/s")
		b.ReportMetric(100*closing[e].Seconds()/took[e].Seconds(), name+"-%checkpoint")
	}
}

func benchSettlement(i int) *yibao.Settlement {
	adm := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	s := &yibao.Settlement{ID: fmt.Sprintf("S%09d", i), EncounterID: "M1", Hospital: "H1", MedType: "21", Inpatient: true,
		Admission: adm, Discharge: adm.Add(8 * 24 * time.Hour), LOS: 8,
		Patient:   yibao.Patient{Pseudonym: fmt.Sprintf("%032x", i/3), Sex: 1, Age: 60, AgeDays: -1},
		Diagnoses: []yibao.Diagnosis{{Code: "J18.900", Name: "肺炎", Principal: true}, {Code: "I10.x00", Name: "高血压"}}}
	for j := 0; j < 30; j++ {
		s.Fees = append(s.Fees, yibao.FeeLine{Serial: fmt.Sprint(j + 1), Time: adm.Add(time.Duration(j) * time.Hour), ListCode: "XJ01DDA001",
			Name: "注射用头孢曲松钠", Category: "09", ListClass: "01", Qty: 2_000_000, Price: 18_000_000, Amount: 3600, Dept: "A03.01", Doctor: "D0001"})
	}
	return s
}

// BenchmarkPutSettlements measures the store alone on each engine (taking turns): batches of
// 2,000 stays of 30 lines, 20,000 per iteration into a fresh store.
func BenchmarkPutSettlements(b *testing.B) {
	srv, err := pgtest.Start(pgtest.Options{Durable: true})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	batches := make([][]*yibao.Settlement, 10)
	for k := range batches {
		for j := range 2000 {
			batches[k] = append(batches[k], benchSettlement(k*2000+j))
		}
	}
	var took [2]time.Duration
	for i := 0; i < b.N; i++ {
		for k := range 2 {
			e := (i + k) % 2
			loc := filepath.Join(b.TempDir(), "db")
			if e == 1 {
				if loc, err = srv.NewDatabase("put"); err != nil {
					b.Fatal(err)
				}
			}
			st := open(b, loc)
			t0 := time.Now()
			for _, batch := range batches {
				if _, err := st.PutSettlements(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			took[e] += time.Since(t0)
			st.Close()
		}
	}
	for e, name := range []string{"sqlite", "postgres"} {
		b.ReportMetric(float64(20000*b.N)/took[e].Seconds(), name+"-settlements/s")
	}
}
