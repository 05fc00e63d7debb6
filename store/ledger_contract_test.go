package store_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/ledger"
	"github.com/yibao-dev/yibao/store/postgres/pgtest"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/synth"
)

// The ledger contract on both engines: a clean store verifies; rows edited, deleted,
// inserted or reordered behind yibao's back, and ledger entries edited, deleted or
// reordered, are named by verify; changes through yibao are history with proofs.

func ledgerStore(t *testing.T, b backend) (string, ed25519.PublicKey) {
	t.Helper()
	ctx := context.Background()
	region := filepath.Join(t.TempDir(), "region")
	if _, err := synth.Run(ctx, synth.Config{Seed: 5, Hospitals: 6, Persons: 300, Months: 6, Irregular: 0.05, Out: region}); err != nil {
		t.Fatal(err)
	}
	loc := b.fresh(t)
	st := open(t, loc)
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
	return loc, pub
}

func verifyStore(t *testing.T, loc string, pub ed25519.PublicKey) []ledger.Problem {
	t.Helper()
	st := open(t, loc)
	defer st.Close()
	_, ps, err := st.VerifyLedger(context.Background(), pub)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// tamper changes the database as another tool would, getting the triggers out of the way:
// SQLite's are dropped; PostgreSQL's are skipped for the session (what a superuser can do).
func tamper(t *testing.T, b backend, loc string, stmts ...string) {
	t.Helper()
	if b.name == "postgres" {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `SET session_replication_role = replica`); err != nil {
			t.Fatal(err)
		}
		for _, s := range stmts {
			if _, err := c.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		return
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(loc, sqlite.DBFile))
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

func TestLedgerFindsTampering(t *testing.T) {
	cases := []struct {
		name   string
		stmts  []string
		want   []string // substrings of the problems
		pgOnly bool
	}{
		{"clean", nil, nil, false},
		{"edited finding", []string{`UPDATE findings SET amount_fen = 1 WHERE id = 2`}, []string{"finding 2: edited (columns amount_fen"}, false},
		{"deleted finding", []string{`DELETE FROM findings WHERE id = 3`}, []string{"finding 3: deleted"}, false},
		{"inserted finding", []string{`INSERT INTO findings (id, settlement_row, setl_id, hospital, feedetl_sn, category, rule_id, severity, amount_fen, evidence, related, kb_version, status, created_at)
			VALUES (6, 1, 'x', 'H', '9', 'c', 'r', 'definite', 5, 'e', '', '', 'confirmed', 0)`}, []string{"finding 6: inserted"}, false},
		{"reordered findings", []string{`UPDATE findings SET id = 100 WHERE id = 4`, `UPDATE findings SET id = 4 WHERE id = 5`, `UPDATE findings SET id = 5 WHERE id = 100`},
			[]string{"finding 4: edited", "finding 5: edited"}, false},
		{"edited settlement", []string{`UPDATE settlements SET fund_fen = fund_fen + 100 WHERE id = 7`}, []string{": edited (columns fund_fen"}, false},
		{"deleted settlement", []string{`DELETE FROM settlements WHERE id = 9`}, []string{": deleted"}, false},
		{"disabled trigger", []string{`ALTER TABLE findings DISABLE TRIGGER ledger_findings_upd`, `SET session_replication_role = origin`,
			`UPDATE findings SET amount_fen = 7 WHERE id = 1`}, []string{"finding 1: edited (columns amount_fen"}, true},
		{"edited ledger entry", []string{`UPDATE ledger SET content = content || ' ' WHERE kind = 'finding' AND ref = '1'`}, []string{"ledger_edited"}, false},
		{"deleted ledger entry", []string{`DELETE FROM ledger WHERE seq = 10`}, []string{"reordered", "ledger_edited"}, false},
		{"reordered ledger", []string{`UPDATE ledger SET seq = -1 WHERE seq = 3`, `UPDATE ledger SET seq = 3 WHERE seq = 4`, `UPDATE ledger SET seq = 4 WHERE seq = -1`}, []string{"ledger_edited"}, false},
	}
	for _, b := range backends() {
		if testing.Short() && b.name == "sqlite" {
			continue // -short (the race run): store/sqlite's own ledger test covers SQLite
		}
		for _, c := range cases {
			if c.pgOnly && b.name != "postgres" {
				continue
			}
			t.Run(b.name+"/"+c.name, func(t *testing.T) {
				loc, pub := ledgerStore(t, b)
				tamper(t, b, loc, c.stmts...)
				ps := verifyStore(t, loc, pub)
				got := fmt.Sprint(ps)
				if c.want == nil && len(ps) != 0 {
					t.Fatalf("clean store: %s", got)
				}
				if c.want != nil && len(ps) == 0 {
					t.Fatalf("tampering not found")
				}
				for _, w := range c.want {
					if !strings.Contains(got, w) {
						t.Errorf("want %q in %s", w, got)
					}
				}
			})
		}
	}
}

// On PostgreSQL a write through another client fails while the triggers stand: only
// yibao's connections may write tracked tables.
func TestPostgresRefusesOtherWriters(t *testing.T) {
	loc, _ := ledgerStore(t, backends()[1])
	err := pgtest.Exec(context.Background(), loc, `UPDATE findings SET amount_fen = 1 WHERE id = 2`)
	if err == nil || !strings.Contains(err.Error(), "written by yibao only") {
		t.Fatalf("a write through psql: %v", err)
	}
}

// A write through yibao is history, not tampering: in the ledger, proven, and the next
// checkpoint extends the last (consistency), on both engines.
func TestLedgerRecordsChangesAndProves(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			loc, pub := ledgerStore(t, b)
			ctx := context.Background()
			st := open(t, loc)
			first, _, err := st.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // the second changes nothing: no entry
				if _, err := st.DB().Exec(`UPDATE findings SET status = 'confirmed' WHERE id = 1`); err != nil {
					t.Fatal(err)
				}
			}
			hist, _ := st.LedgerEntries(ctx, "finding", "1")
			if len(hist) != 2 || hist[1].Action != "update" || !strings.Contains(strings.ReplaceAll(hist[1].Content, " ", ""), `"status":"confirmed"`) {
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
			// A settlement never changed since ingest is proven by its hospital's batch entry.
			sp, err := st.LedgerProof(ctx, "settlement", "S000000000001#1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sp.Verify(pub); err != nil || !strings.Contains(sp.SubjectContent(), "S000000000001") {
				t.Fatalf("settlement proof %v: %s", err, sp.SubjectContent())
			}
			cons, err := st.LedgerConsistency(ctx, first.Size, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := cons.Verify(pub); err != nil {
				t.Fatal(err)
			}
			lin, err := st.SettlementLineage(ctx, "S000000000001")
			if err != nil || len(lin) != 1 || lin[0].Batch == nil || lin[0].Record == nil || *lin[0].Record != 1 || lin[0].Operator != "tester" || len(lin[0].SHA256) != 64 {
				t.Fatalf("lineage %+v %v", lin, err)
			}
			st.Close()
			if ps := verifyStore(t, loc, pub); len(ps) != 0 {
				t.Fatalf("after a recorded change: %v", ps)
			}
		})
	}
}

// Two versions of one settlement in one ingest batch: the first version's entry precedes
// its retirement in the ledger, and the store verifies — on both engines.
func TestLedgerTwoVersionsInOneBatch(t *testing.T) {
	ctx := context.Background()
	region := filepath.Join(t.TempDir(), "region")
	if _, err := synth.Run(ctx, synth.Config{Seed: 5, Hospitals: 3, Persons: 50, Months: 3, Out: region}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(region, synth.SettlementsFile))
	if err != nil {
		t.Fatal(err)
	}
	first := string(raw[:bytes.IndexByte(raw, '\n')])
	changed := strings.Replace(first, `"diag_name":"`, `"diag_name":"X`, 1)
	twice := filepath.Join(t.TempDir(), "twice.ndjson")
	if err := os.WriteFile(twice, []byte(first+"\n"+changed+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			loc := b.fresh(t)
			st := open(t, loc)
			ps, _ := ingest.NewPseudonymiser(bytes.Repeat([]byte{7}, 32))
			sum, err := ingest.Run(ctx, st, []string{twice}, ingest.Options{Pseudonymiser: ps})
			if err != nil || sum.Loaded != 1 || sum.NewVersions != 1 {
				t.Fatalf("%+v %v", sum, err)
			}
			hist, err := st.LedgerEntries(ctx, "settlement", "S000000000001#1")
			if err != nil || len(hist) != 1 || hist[0].Action != "update" {
				t.Fatalf("retirement of version 1: %+v %v", hist, err)
			}
			batches, _ := st.LedgerEntries(ctx, "settlement_batch", "S000000000001#1..S000000000001#1")
			if len(batches) != 1 || batches[0].Seq >= hist[0].Seq {
				t.Fatalf("version 1's batch entry %+v should precede its retirement %d", batches, hist[0].Seq)
			}
			pub, _ := st.LedgerPublicKey()
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			if ps := verifyStore(t, loc, pub); len(ps) != 0 {
				t.Fatalf("verify: %v", ps)
			}
		})
	}
}
