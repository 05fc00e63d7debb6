package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/schemes"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/synth"
)

// TestSynthIngestEndToEnd: a synthetic region loads without a reject, re-ingest changes
// nothing, a changed document becomes a new version, a malformed file costs only its bad
// records, and the stored settlements group into the demo scheme.
func TestSynthIngestEndToEnd(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	region := filepath.Join(dir, "region")
	sum, err := synth.Run(ctx, synth.Config{Seed: 3, Hospitals: 12, Persons: 2000, Months: 12, Irregular: 0.05, Out: region})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ps, _ := ingest.NewPseudonymiser(bytes.Repeat([]byte{7}, 32))
	var rejects bytes.Buffer
	opts := ingest.Options{Pseudonymiser: ps, Rejects: &rejects, BatchSize: 300}
	paths := []string{region} // the directory: registry first, labels and kb skipped
	got, err := ingest.Run(ctx, st, paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Read != sum.Settlements || got.Loaded != sum.Settlements || got.Rejected != 0 || got.Hospitals != 12 {
		t.Fatalf("first ingest %+v, region %+v, rejects %s", got, sum, rejects.String())
	}
	c, _ := st.Counts(ctx)
	if c.Settlements != sum.Settlements || c.FeeLines != sum.FeeLines || c.Unregistered != 0 {
		t.Fatalf("store counts %+v vs region %+v", c, sum)
	}
	again, err := ingest.Run(ctx, st, paths, opts)
	if err != nil || again.Duplicates != sum.Settlements || again.Loaded+again.NewVersions != 0 {
		t.Fatalf("re-ingest %+v %v", again, err)
	}
	// One changed document, one malformed line, one good new document with an unknown hospital.
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
	// Grouping the store: every inpatient settlement gets a stored result.
	scheme, _ := grouper.Parse(schemes.DemoDRG)
	var rows []sqlite.GroupingRow
	vague := map[string]bool{} // the region's deliberately ungroupable stays (synth.UngroupableDx)
	err = st.EachCurrent(ctx, sqlite.Filter{InpatientOnly: true}, func(s sqlite.StoredSettlement) error {
		if s.Settlement.PrincipalDiagnosis() == synth.UngroupableDx {
			vague[s.Settlement.ID] = true
		}
		cs := grouper.CaseFromSettlement(s.Settlement)
		rows = append(rows, sqlite.GroupingRow{Row: s.Row, Result: scheme.Group(&cs, false)})
		return nil
	})
	if err != nil || len(rows) != c.Inpatient {
		t.Fatalf("%d rows, %d inpatient, %v", len(rows), c.Inpatient, err)
	}
	for _, r := range rows {
		if r.Result.Status != "分组成功" && !vague[r.Result.ID] {
			t.Fatalf("synthetic stay %s did not group: %+v", r.Result.ID, r.Result)
		}
	}
	if err := st.PutGroupings(ctx, rows); err != nil {
		t.Fatal(err)
	}
	g, err := st.GroupingOf(ctx, rows[0].Result.ID, scheme.ID)
	if err != nil || g.DRG != rows[0].Result.DRG || g.Version != scheme.Version {
		t.Fatalf("%+v %v", g, err)
	}
}
