package store_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/schemes"
	"github.com/yibao-dev/yibao/store"
	"github.com/yibao-dev/yibao/store/postgres/pgtest"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/synth"
)

var pg pgtest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// backend is one engine the contract runs on: a fresh, empty store's --db value.
type backend struct {
	name  string
	fresh func(t testing.TB) string
}

func backends() []backend {
	return []backend{
		{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "db") }},
		{"postgres", freshPostgres},
	}
}

func freshPostgres(t testing.TB) string {
	t.Helper()
	srv, err := pg.Get()
	if err != nil {
		t.Fatal(err)
	}
	url, err := srv.NewDatabase("contract")
	if err != nil {
		t.Fatal(err)
	}
	return url
}

func open(t testing.TB, location string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), location, store.Options{StateDir: stateDir(t, location)})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

var stateDirs = map[string]string{}

// stateDir keeps one local directory (the ledger key) per database across reopenings.
func stateDir(t testing.TB, location string) string {
	if d, ok := stateDirs[location]; ok {
		return d
	}
	d := t.TempDir()
	stateDirs[location] = d
	return d
}

// TestSynthIngestEndToEnd: a synthetic region loads without a reject, re-ingest changes
// nothing, a changed document becomes a new version, a malformed file costs only its bad
// records, and the stored settlements group into the demo scheme — on both engines.
func TestSynthIngestEndToEnd(t *testing.T) {
	ctx := context.Background()
	region := filepath.Join(t.TempDir(), "region")
	sum, err := synth.Run(ctx, synth.Config{Seed: 3, Hospitals: 12, Persons: 1500, Months: 12, Irregular: 0.05, Out: region})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			dir := t.TempDir()
			st := open(t, b.fresh(t))
			defer st.Close()
			ps, _ := ingest.NewPseudonymiser(bytes.Repeat([]byte{7}, 32))
			var rejects bytes.Buffer
			opts := ingest.Options{Pseudonymiser: ps, Rejects: &rejects, BatchSize: 300}
			paths := []string{region}
			got, err := ingest.Run(ctx, st, paths, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got.Read != sum.Settlements || got.Loaded != sum.Settlements || got.Rejected != 0 || got.Hospitals != 12 {
				t.Fatalf("first ingest %+v, region %+v, rejects %s", got, sum, rejects.String())
			}
			c, err := st.Counts(ctx)
			if err != nil || c.Settlements != sum.Settlements || c.FeeLines != sum.FeeLines || c.Unregistered != 0 {
				t.Fatalf("store counts %+v vs region %+v %v", c, sum, err)
			}
			again, err := ingest.Run(ctx, st, paths, opts)
			if err != nil || again.Duplicates != sum.Settlements || again.Loaded+again.NewVersions != 0 {
				t.Fatalf("re-ingest %+v %v", again, err)
			}
			raw, _ := os.ReadFile(filepath.Join(region, synth.SettlementsFile))
			first := string(raw[:bytes.IndexByte(raw, '\n')])
			changed := strings.Replace(first, `"diag_type":"1"`, `"diag_type":"2"`, 1)
			newDoc := strings.NewReplacer(`"setl_id":"S`, `"setl_id":"N`, `"fixmedins_code":"H`, `"fixmedins_code":"X`).Replace(first)
			extra := filepath.Join(dir, "extra.ndjson")
			os.WriteFile(extra, []byte(changed+"\n{\"setlinfo\":\n"+newDoc+"\n"), 0o644)
			got, err = ingest.Run(ctx, st, []string{extra}, opts)
			if err != nil || got.NewVersions != 1 || got.Loaded != 1 || got.Rejected != 1 {
				t.Fatalf("extra ingest %+v %v", got, err)
			}
			c, _ = st.Counts(ctx)
			if c.Settlements != sum.Settlements+1 || c.Versions != sum.Settlements+2 || c.Unregistered != 1 {
				t.Fatalf("after extra: %+v", c)
			}
			scheme, _ := grouper.Parse(schemes.DemoDRG)
			var rows []sqlite.GroupingRow
			err = st.EachCurrent(ctx, sqlite.Filter{InpatientOnly: true}, func(s sqlite.StoredSettlement) error {
				cs := grouper.CaseFromSettlement(s.Settlement)
				rows = append(rows, sqlite.GroupingRow{Row: s.Row, Result: scheme.Group(&cs, false)})
				return nil
			})
			if err != nil || len(rows) != c.Inpatient {
				t.Fatalf("%d rows, %d inpatient, %v", len(rows), c.Inpatient, err)
			}
			if err := st.PutGroupings(ctx, rows); err != nil {
				t.Fatal(err)
			}
			g, err := st.GroupingOf(ctx, rows[0].Result.ID, scheme.ID)
			if err != nil || g.DRG != rows[0].Result.DRG || g.Version != scheme.Version {
				t.Fatalf("%+v %v", g, err)
			}
			// The stored settlement reads back as ingested, and the ledger verifies.
			s1, v, err := st.Settlement(ctx, rows[0].Result.ID)
			if err != nil || v != 1 || s1.ID != rows[0].Result.ID {
				t.Fatalf("settlement %v %d %v", s1, v, err)
			}
			pub, _ := st.LedgerPublicKey()
			if _, _, err := st.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			n, problems, err := st.VerifyLedger(ctx, pub)
			if err != nil || len(problems) != 0 || n == 0 {
				t.Fatalf("verify: %d entries, %v, %v", n, problems, err)
			}
			fmt.Fprintf(os.Stderr, "%s: %d ledger entries\n", b.name, n)
		})
	}
}
