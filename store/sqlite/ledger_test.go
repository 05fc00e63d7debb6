package sqlite_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/ledger"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/synth"
)

// ledgerStore ingests a small region, adds findings, and closes (a checkpoint).
func ledgerStore(t *testing.T) (string, ed25519.PublicKey) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	region := filepath.Join(dir, "region")
	if _, err := synth.Run(ctx, synth.Config{Seed: 5, Hospitals: 6, Persons: 300, Months: 6, Irregular: 0.05, Out: region}); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "db")
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := ingest.NewPseudonymiser(bytes.Repeat([]byte{7}, 32))
	if _, err := ingest.Run(ctx, st, []string{region}, ingest.Options{Pseudonymiser: ps, Operator: "tester"}); err != nil {
		t.Fatal(err)
	}
	var fs []sqlite.FindingRow
	for i := int64(1); i <= 5; i++ {
		fs = append(fs, sqlite.FindingRow{Row: i, SetlID: fmt.Sprint("x", i), Hospital: "H", Category: "c", RuleID: "r", Severity: "definite", Amount: 100 * i, Evidence: "e"})
	}
	if _, err := st.PutFindings(ctx, fs); err != nil {
		t.Fatal(err)
	}
	pub, err := st.LedgerPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return db, pub
}

func verify(t *testing.T, db string, pub ed25519.PublicKey) []ledger.Problem {
	t.Helper()
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, ps, err := st.VerifyLedger(context.Background(), pub)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// tamper opens the database as another tool would: the triggers stand in its way, so it
// drops them first.
func tamper(t *testing.T, db string, stmts ...string) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(db, sqlite.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'ledger_%'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		if _, err := raw.Exec("DROP TRIGGER " + n); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range stmts {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestLedgerVerifiesACleanStore(t *testing.T) {
	db, pub := ledgerStore(t)
	if ps := verify(t, db, pub); len(ps) != 0 {
		t.Fatalf("clean store: %v", ps)
	}
	st, _ := sqlite.Open(db)
	defer st.Close()
	lin, err := st.SettlementLineage(context.Background(), "S000000000001")
	if err != nil || len(lin) != 1 || lin[0].Batch == nil || !strings.HasSuffix(lin[0].File, synth.SettlementsFile) ||
		lin[0].Record == nil || *lin[0].Record != 1 || lin[0].Operator != "tester" || len(lin[0].SHA256) != 64 {
		t.Fatalf("lineage %+v %v", lin, err)
	}
}

func TestLedgerFindsTampering(t *testing.T) {
	cases := map[string]struct {
		stmts []string
		want  []string // substrings of the problems
	}{
		"edited finding":  {[]string{`UPDATE findings SET amount_fen = 1 WHERE id = 2`}, []string{"finding 2: edited"}},
		"deleted finding": {[]string{`DELETE FROM findings WHERE id = 3`}, []string{"finding 3: deleted"}},
		"inserted finding": {[]string{`INSERT INTO findings (settlement_row, setl_id, hospital, feedetl_sn, category, rule_id, severity, amount_fen, evidence, related, kb_version, status, created_at)
			VALUES (1, 'x', 'H', '9', 'c', 'r', 'definite', 5, 'e', '', '', 'confirmed', 0)`}, []string{"finding 6: inserted"}},
		"reordered findings": {[]string{`UPDATE findings SET id = 100 WHERE id = 4`, `UPDATE findings SET id = 4 WHERE id = 5`, `UPDATE findings SET id = 5 WHERE id = 100`},
			[]string{"finding 4: edited", "finding 5: edited"}},
		"edited settlement": {[]string{`UPDATE settlements SET fund_fen = fund_fen + 100 WHERE id = 7`}, []string{": edited (columns fund_fen"}},
		"edited ledger entry": {[]string{`UPDATE ledger SET content = replace(content, '"amount_fen":100', '"amount_fen":1') WHERE kind = 'finding' AND ref = '1'`},
			[]string{"ledger_edited"}},
		"deleted ledger entry": {[]string{`DELETE FROM ledger WHERE seq = 10`}, []string{"reordered", "ledger_edited"}},
		"reordered ledger":     {[]string{`UPDATE ledger SET seq = -1 WHERE seq = 3`, `UPDATE ledger SET seq = 3 WHERE seq = 4`, `UPDATE ledger SET seq = 4 WHERE seq = -1`}, []string{"ledger_edited"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			db, pub := ledgerStore(t)
			tamper(t, db, c.stmts...)
			got := fmt.Sprint(verify(t, db, pub))
			t.Log(got)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("want %q in %s", w, got)
				}
			}
		})
	}
}

// A write through yibao's own connection while the triggers stand is history, not tampering:
// it is in the ledger, and the next checkpoint signs it.
func TestLedgerRecordsChangesAndProves(t *testing.T) {
	db, pub := ledgerStore(t)
	ctx := context.Background()
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := st.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec(`UPDATE findings SET status = 'confirmed' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec(`UPDATE findings SET status = 'confirmed' WHERE id = 1`); err != nil { // no change: no entry
		t.Fatal(err)
	}
	hist, _ := st.LedgerEntries(ctx, "finding", "1")
	if len(hist) != 2 || hist[1].Action != "update" || !strings.Contains(hist[1].Content, `"status":"confirmed"`) {
		t.Fatalf("history %+v", hist)
	}
	p, err := st.LedgerProof(ctx, "finding", "1")
	if err != nil {
		t.Fatal(err)
	}
	cp, err := p.Verify(pub)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size <= first.Size || p.Entry.Seq != hist[1].Seq {
		t.Fatalf("proof against checkpoint %d for entry %d", cp.Size, p.Entry.Seq)
	}
	cons, err := st.LedgerConsistency(ctx, first.Size, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := cons.Verify(pub); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if ps := verify(t, db, pub); len(ps) != 0 {
		t.Fatalf("after a recorded change: %v", ps)
	}
}

// Review of issue 10: the ledger records a settlement by the hash of its detail, and verify
// never looked at the detail or the summary columns read by grouping, payment and audit, so
// these edits passed.
func TestLedgerFindsSettlementContentEdits(t *testing.T) {
	cases := map[string]struct {
		stmt string
		want string
	}{
		"principal diagnosis and total": {`UPDATE settlements SET principal_dx = 'I21.000', total_fen = total_fen * 10 WHERE id = 7`, "columns principal_dx, total_fen differ"},
		"dates, stay and person":        {`UPDATE settlements SET adm_time = adm_time - 86400, los = los + 1, psn = 'x' WHERE id = 8`, "columns psn, adm_time, los differ"},
		"detail":                        {`UPDATE settlements SET detail = CAST(detail || x'01' AS BLOB) WHERE id = 9`, "does not hash to content_hash"},
		"settlement end date":           {`UPDATE settlements SET setl_end = 1 WHERE id = 10`, "columns setl_end"},
		"other funds":                   {`UPDATE settlements SET other_fund_fen = other_fund_fen + 100 WHERE id = 11`, "columns other_fund_fen"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			db, pub := ledgerStore(t)
			tamper(t, db, c.stmt)
			got := fmt.Sprint(verify(t, db, pub))
			if !strings.Contains(got, c.want) {
				t.Fatalf("want %q in %s", c.want, got)
			}
		})
	}
}
