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
	"github.com/yibao-dev/yibao/store/postgres"
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
			changed := strings.Replace(first, `"diag_name":"`, `"diag_name":"X`, 1)
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

// Every SQLite migration has its PostgreSQL mirror with the same number, and a fresh store
// has the same tables and columns on both engines: the shared store code relies on it.
func TestSchemaParity(t *testing.T) {
	sq, err := os.ReadDir(filepath.Join("sqlite", "migrations"))
	if err != nil {
		t.Fatal(err)
	}
	pgNames, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, n := range pgNames {
		have[n] = true
	}
	for _, e := range sq {
		if !have[e.Name()] {
			t.Errorf("store/sqlite/migrations/%s has no PostgreSQL mirror store/postgres/migrations/%s", e.Name(), e.Name())
		}
	}
	schemas := map[string]map[string]string{}
	for _, b := range backends() {
		st := open(t, b.fresh(t))
		q := `SELECT m.name, group_concat(p.name, ',') FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' GROUP BY m.name`
		if b.name == "postgres" {
			q = `SELECT table_name, string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns
				WHERE table_schema = current_schema() AND column_name <> 'rowid' GROUP BY table_name`
		}
		rows, err := st.DB().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		schemas[b.name] = map[string]string{}
		for rows.Next() {
			var table, cols string
			rows.Scan(&table, &cols)
			schemas[b.name][table] = cols
		}
		rows.Close()
		v, _, err := st.SchemaVersion(context.Background())
		if err != nil || v == 0 {
			t.Fatalf("%s schema version %d %v", b.name, v, err)
		}
		st.Close()
	}
	if len(schemas["sqlite"]) < 20 {
		t.Fatalf("only %d tables on SQLite: %v", len(schemas["sqlite"]), schemas["sqlite"])
	}
	for table, cols := range schemas["sqlite"] {
		if got := schemas["postgres"][table]; got != cols {
			t.Errorf("table %s: SQLite columns %s, PostgreSQL %s", table, cols, got)
		}
	}
	for table := range schemas["postgres"] {
		if _, ok := schemas["sqlite"][table]; !ok {
			t.Errorf("table %s only on PostgreSQL", table)
		}
	}
}
