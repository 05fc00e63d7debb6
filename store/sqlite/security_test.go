package sqlite_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/store/sqlite"
)

const ownDoc = `{"setlinfo":{"setl_id":"S-OWN","mdtrt_id":"M1","psn_no":"P1","fixmedins_code":"HOWNER","gend":"2","brdy":"1970-01-01",
  "ipt_med_type":"21","adm_time":"2024-05-01 08:00:00","dscg_time":"2024-05-06 10:00:00","setl_end_date":"2024-05-06","medfee_sumamt":80},
 "diseinfo":[{"diag_code":"J18.900","maindiag_flag":"1"}],
 "feedetl":[{"feedetl_sn":"1","fee_ocur_time":"2024-05-01 10:00:00","med_list_codg":"XJ01DDA001","med_chrgitm_type":"09","cnt":1,"pric":80,"det_item_fee_sumamt":80}]}`

func ingestDocs(t *testing.T, st *sqlite.Store, docs ...string) (ingest.Summary, []ingest.Reject) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "docs.json")
	if err := os.WriteFile(path, []byte(strings.Join(docs, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	ps, _ := ingest.NewPseudonymiser(bytes.Repeat([]byte{7}, 32))
	var rejects bytes.Buffer
	sum, err := ingest.Run(context.Background(), st, []string{path}, ingest.Options{Pseudonymiser: ps, Rejects: &rejects})
	if err != nil {
		t.Fatal(err)
	}
	var rs []ingest.Reject
	for _, line := range strings.Split(strings.TrimSpace(rejects.String()), "\n") {
		if line != "" {
			var r ingest.Reject
			json.Unmarshal([]byte(line), &r)
			rs = append(rs, r)
		}
	}
	return sum, rs
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Issue 10 finding 4: a document with another hospital's setl_id does not take over the
// settlement; it is recorded and reported.
func TestSettlementHijackRefused(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	ingestDocs(t, st, ownDoc)
	hijack := strings.Replace(strings.Replace(ownDoc, `"HOWNER"`, `"HINTRUDER"`, 1), `"cnt":1,"pric":80`, `"cnt":1.0,"pric":80.0`, 1)
	hijack = strings.Replace(hijack, `"medfee_sumamt":80`, `"medfee_sumamt":80,"hi_setl_lv":"3"`, 1)
	sum, rejects := ingestDocs(t, st, hijack)
	if sum.Refused != 1 || sum.NewVersions != 0 || len(rejects) != 1 || rejects[0].Reasons[0].Code != "other_hospital" {
		t.Fatalf("%+v %+v", sum, rejects)
	}
	if rejects[0].Record != 1 { // review of issue 10: the refusal named record 0
		t.Fatalf("the refusal names record %d, not the document's", rejects[0].Record)
	}
	if h, err := st.SettlementHospital(ctx, "S-OWN"); err != nil || h != "HOWNER" {
		t.Fatalf("current owner %q %v", h, err)
	}
	var n int
	st.DB().QueryRow(`SELECT count(*) FROM settlement_refusals WHERE setl_id = 'S-OWN' AND reason = 'other_hospital' AND hospital = 'HINTRUDER'`).Scan(&n)
	if n != 1 {
		t.Fatalf("refusal not recorded")
	}
}

// Issue 10 finding 8: versions only move forward, and a replaced version's findings are
// superseded.
func TestVersionsMoveForwardAndFindingsFollow(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	ingestDocs(t, st, ownDoc)
	row := func() int64 {
		var id int64
		st.DB().QueryRow(`SELECT id FROM settlements WHERE setl_id = 'S-OWN' AND current = 1`).Scan(&id)
		return id
	}
	v1 := row()
	if _, err := st.PutFindings(ctx, []sqlite.FindingRow{{Row: v1, SetlID: "S-OWN", Hospital: "HOWNER", Serial: "1", Category: "duplicate_charge",
		RuleID: "DUP-001", Severity: "definite", Status: "confirmed"}}); err != nil {
		t.Fatal(err)
	}
	corrected := strings.Replace(strings.Replace(ownDoc, `"setl_end_date":"2024-05-06"`, `"setl_end_date":"2024-05-07"`, 1), `"J18.900"`, `"J18.000"`, 1)
	if sum, _ := ingestDocs(t, st, corrected); sum.NewVersions != 1 {
		t.Fatalf("correction %+v", sum)
	}
	if n, _ := st.FindingCount(ctx, sqlite.FindingFilter{SetlID: "S-OWN"}); n != 0 {
		t.Fatalf("%d findings of the replaced version still listed", n)
	}
	if by, _ := st.FindingSummary(ctx, "category", ""); len(by) != 0 {
		t.Fatalf("summary counts superseded findings: %+v", by)
	}
	// The old document again: recorded and reported, not current.
	sum, rejects := ingestDocs(t, st, ownDoc)
	if sum.Refused != 1 || rejects[0].Reasons[0].Code != "older_version" {
		t.Fatalf("rollback %+v %+v", sum, rejects)
	}
	// A different document settled before the current one: the same.
	earlier := strings.Replace(strings.Replace(ownDoc, `"setl_end_date":"2024-05-06"`, `"setl_end_date":"2024-05-05"`, 1), `"J18.900"`, `"J18.100"`, 1)
	if sum, _ := ingestDocs(t, st, earlier); sum.Refused != 1 {
		t.Fatalf("earlier setl_end_date %+v", sum)
	}
	st2, _, _ := st.Settlement(ctx, "S-OWN")
	if st2.Diagnoses[0].Code != "J18.000" {
		t.Fatalf("current version is %s", st2.Diagnoses[0].Code)
	}
}

// Issue 10 finding 10: parallel starts on a fresh directory all succeed; files are private.
func TestParallelOpenAndFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fresh")
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := sqlite.Open(dir)
			if err == nil {
				err = st.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("start %d: %v", i, err)
		}
	}
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Counts(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v", fi.Mode().Perm())
	}
	for _, name := range []string{sqlite.DBFile, sqlite.DBFile + "-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s mode %v", name, fi.Mode().Perm())
		}
	}
}

// The change counter moves with writes from any connection (issue 10 finding 10: stale
// cockpit after a CLI ingest).
func TestStoreVersionMovesWithWrites(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	v0, err := st.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ingestDocs(t, st, ownDoc)
	if v1, _ := st.Version(ctx); v1 <= v0 {
		t.Fatalf("version %d → %d", v0, v1)
	}
}

// Review of issue 10: a data directory from before the fix kept its 0644 ledger key (anyone
// on the machine could sign a rewritten history) and WAL; opening it now makes them private.
func TestOpenTightensOldFiles(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.LedgerPublicKey(); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, name := range []string{sqlite.DBFile, "ledger.key"} {
		os.Chmod(filepath.Join(dir, name), 0o644)
	}
	st, err = sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, name := range []string{sqlite.DBFile, "ledger.key", sqlite.DBFile + "-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s mode %v", name, fi.Mode().Perm())
		}
	}
}
