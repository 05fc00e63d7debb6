package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/schemes"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/synth"
)

// The indicator engine's view of a store: ingest's list counts add up to what it read and
// rejected, every inpatient stay is a Stay with its grouping, and the detail pass sees the
// same stays with their planned-readmission flags.
func TestIndicatorSourceOnIngestedRegion(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	region := filepath.Join(dir, "region")
	if _, err := synth.Run(ctx, synth.Config{Seed: 5, Hospitals: 6, Persons: 800, Months: 12, Irregular: 0.05, Out: region}); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bad := filepath.Join(dir, "bad.ndjson")
	os.WriteFile(bad, []byte("{\"setlinfo\":\n"), 0o644)
	ps, _ := ingest.NewPseudonymiser(bytes.Repeat([]byte{7}, 32))
	got, err := ingest.Run(ctx, st, []string{region, bad}, ingest.Options{Pseudonymiser: ps})
	if err != nil {
		t.Fatal(err)
	}
	src := st.IndicatorSource()
	far := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	lc, err := src.ListCounts(ctx, time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), far)
	if err != nil {
		t.Fatal(err)
	}
	var read, rejected int
	for _, c := range lc {
		read, rejected = read+c.Read, rejected+c.Rejected
	}
	if read != got.Read || rejected != got.Rejected || rejected != 1 {
		t.Fatalf("list counts read %d rejected %d; ingest %+v", read, rejected, got)
	}
	scheme, _ := grouper.Parse(schemes.DemoDRG)
	var rows []sqlite.GroupingRow
	st.EachCurrent(ctx, sqlite.Filter{InpatientOnly: true}, func(s sqlite.StoredSettlement) error {
		cs := grouper.CaseFromSettlement(s.Settlement)
		rows = append(rows, sqlite.GroupingRow{Row: s.Row, Result: scheme.Group(&cs, false)})
		return nil
	})
	if err := st.PutGroupings(ctx, rows); err != nil {
		t.Fatal(err)
	}
	stays, err := src.Stays(ctx, scheme.ID, time.Time{}, far)
	if err != nil || len(stays) != len(rows) || len(rows) == 0 {
		t.Fatalf("%d stays for %d inpatient settlements: %v", len(stays), len(rows), err)
	}
	ids := map[string]bool{}
	for _, s := range stays {
		if !s.Grouped || s.DRG == "" || s.Person == "" || s.CostFen <= 0 || s.Discharge.Before(s.Admission) {
			t.Fatalf("stay %+v", s)
		}
		ids[s.SetlID] = true
	}
	planned, n := 0, 0
	err = src.EachSettlement(ctx, time.Time{}, far, func(s *yibao.Settlement) error {
		n++
		if !ids[s.ID] {
			t.Errorf("detail of %s without a stay", s.ID)
		}
		if s.PlannedReadmission {
			planned++
		}
		return nil
	})
	if err != nil || n != len(stays) {
		t.Fatalf("%d details for %d stays: %v", n, len(stays), err)
	}
	t.Logf("%d stays, %d with a planned readmission recorded", len(stays), planned)
}
