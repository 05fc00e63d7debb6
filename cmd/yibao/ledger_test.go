package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// On the demo fixture: the ledger verifies, a settlement's proof checks with the public key
// alone, and the cockpit shows an object's ledger entry to whom it belongs.
func TestLedgerCommandsAndAPI(t *testing.T) {
	f := demoFixture(t)
	code, out, stderr := runCLI(t, "verify", "--db", f.db)
	if code != 0 || !strings.Contains(out, "一致") {
		t.Fatalf("verify exit %d: %s %s", code, out, stderr)
	}
	dir := t.TempDir()
	pub := filepath.Join(dir, "pub.txt")
	code, out, _ = runCLI(t, "ledger", "pubkey", "--db", f.db)
	if code != 0 {
		t.Fatal("pubkey")
	}
	os.WriteFile(pub, []byte(out), 0o644)
	// A settlement of the fixture's hospital, through the API's finding list.
	hs := cockpitServer(t, f, true)
	hosp := login(t, hs, "hospital1", f.passwords["hospital1"])
	var own struct {
		Findings []struct {
			ID     int64  `json:"id"`
			SetlID string `json:"setl_id"`
		} `json:"rows"` // the findings list is a table (docs/api.md)
	}
	hosp.do("GET", "/api/audit/findings", nil, &own)
	if len(own.Findings) == 0 {
		t.Skip("the fixture hospital has no findings")
	}
	setl := own.Findings[0].SetlID
	proof := filepath.Join(dir, "proof.json")
	if code, _, stderr := runCLI(t, "proof", "settlement", setl, "--db", f.db, "--out", proof); code != 0 {
		t.Fatalf("proof exit %d: %s", code, stderr)
	}
	code, out, stderr = runCLI(t, "proof", "check", proof, "--pubkey", pub)
	if code != 0 || !strings.Contains(out, setl) {
		t.Fatalf("proof check exit %d: %s %s", code, out, stderr)
	}
	// A changed proof fails.
	b, _ := os.ReadFile(proof)
	os.WriteFile(proof, []byte(strings.Replace(string(b), `\"fund_fen\":`, `\"fund_fen\":1`, 1)), 0o644)
	if code, _, _ := runCLI(t, "proof", "check", proof, "--pubkey", pub); code == 0 {
		t.Fatal("a changed proof still checks")
	}
	var led struct {
		Verified bool                    `json:"verified"`
		History  []map[string]any        `json:"history"`
		Lineage  []struct{ File string } `json:"lineage"`
	}
	if code := hosp.do("GET", "/api/ledger?kind=settlement&ref="+setl, nil, &led); code != 200 || !led.Verified || len(led.Lineage) == 0 {
		t.Fatalf("hospital ledger view: %d %+v", code, led)
	}
	admin := login(t, hs, "admin", f.passwords["admin"])
	if code := admin.do("GET", "/api/ledger?kind=finding&ref="+strconv.FormatInt(own.Findings[0].ID, 10), nil, &led); code != 200 || !led.Verified || len(led.History) == 0 {
		t.Fatalf("bureau finding ledger: %d %+v", code, led)
	}
	if code := hosp.do("GET", "/api/ledger?kind=payment_run&ref=1", nil, nil); code != 404 {
		t.Errorf("hospital user sees a payment run's ledger: %d", code)
	}
	if code := admin.do("GET", "/api/ledger?kind=nonsense&ref=1", nil, nil); code != 400 {
		t.Errorf("bad kind: %d", code)
	}
}
