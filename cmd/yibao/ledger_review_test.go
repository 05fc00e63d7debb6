package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/synth"
)

// Review of issue 10: an attacker who drops the triggers, edits a finding and appends a
// matching ledger entry was signed into the next checkpoint by the very `yibao verify` that
// looked at it (verify opened the store read-write, recreated the triggers and signed on
// close). Verify now opens read-only: it signs nothing, says the entry is unsigned and that
// the triggers are gone, and says so again the second time.
func TestVerifySignsNothingAndSeesDroppedTriggers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	region, db := filepath.Join(dir, "region"), filepath.Join(dir, "db")
	if _, err := synth.Run(ctx, synth.Config{Seed: 5, Hospitals: 4, Persons: 100, Months: 3, Out: region}); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := ingest.NewPseudonymiser(bytes.Repeat([]byte{7}, 32))
	if _, err := ingest.Run(ctx, st, []string{region}, ingest.Options{Pseudonymiser: ps}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(db, sqlite.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := raw.Query(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'ledger_%'`)
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		raw.Exec("DROP TRIGGER " + n)
	}
	if _, err := raw.Exec(`UPDATE hospitals SET name = 'forged' WHERE rowid = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO ledger (kind, ref, action, at, content) SELECT 'hospital', code, 'update', 0,
		json_object('code', code, 'name', name) FROM hospitals WHERE rowid = 1`); err != nil {
		t.Fatal(err)
	}
	var before, after int
	raw.QueryRow(`SELECT count(*) FROM ledger_checkpoints`).Scan(&before)
	for i := 0; i < 2; i++ {
		code, out, _ := runCLI(t, "verify", "--db", db)
		if code == 0 || !strings.Contains(out, "ledger trigger dropped") || !strings.Contains(out, "1 entries after the latest checkpoint") {
			t.Fatalf("verify %d: exit %d\n%s", i+1, code, out)
		}
	}
	raw.QueryRow(`SELECT count(*) FROM ledger_checkpoints`).Scan(&after)
	raw.Close()
	if after != before {
		t.Fatalf("verify signed %d checkpoints over the forged entry", after-before)
	}
}
