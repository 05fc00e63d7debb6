package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/evaluate"
)

// Issue 10 finding 5: a hospital code never makes a report land outside --report-dir.
func TestReportDirTraversalRefused(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a", "reports")
	err := writeReports(dir, &evaluate.System{}, "2025", 1, []evaluate.Result{{Hospital: "../../x"}}, []evaluate.Adjustment{{}}, reportExtra{})
	if err == nil || !strings.Contains(err.Error(), "file name") {
		t.Fatalf("err %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "x.html")); err == nil {
		t.Fatal("a report was written outside the directory")
	}
	if err := writeReports(dir, &evaluate.System{}, "2025", 1, []evaluate.Result{{Hospital: "H1"}}, []evaluate.Adjustment{{}}, reportExtra{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "H1.html")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("report %v %v", fi, err)
	}
}

func TestHISAndUserCommands(t *testing.T) {
	db := t.TempDir()
	st, err := sqliteOpen(db)
	if err != nil {
		t.Fatal(err)
	}
	st.PutHospitals(context.Background(), []yibao.Hospital{{Code: "H1", Name: "甲医院", Level: 3}})
	st.Close()

	code, out, errs := runCLI(t, "his", "add", "--db", db, "--hospital", "H1", "--json")
	var cred struct {
		KeyID    string `json:"key_id"`
		Secret   string `json:"secret"`
		Signtype string `json:"signtype"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &cred) != nil || cred.Secret == "" || cred.Signtype != "HMAC-SHA256" {
		t.Fatalf("his add: %d %s %s", code, out, errs)
	}
	if code, _, _ := runCLI(t, "his", "add", "--db", db, "--hospital", "NOPE"); code == 0 {
		t.Fatal("a credential for a hospital outside the registry")
	}
	if code, out, errs := runCLI(t, "his", "rotate", "--db", db, "--key", cred.KeyID, "--json"); code != 0 || !strings.Contains(out, cred.KeyID) {
		t.Fatalf("rotate: %s %s", out, errs)
	}
	if code, _, _ := runCLI(t, "his", "revoke", "--db", db, "--key", cred.KeyID); code != 0 {
		t.Fatal("revoke")
	}
	if code, out, _ := runCLI(t, "his", "list", "--db", db); code != 0 || !strings.Contains(out, "已失效") || strings.Contains(out, cred.Secret) {
		t.Fatalf("list: %s", out)
	}
	if code, _, _ := runCLI(t, "his", "calls", "--db", db); code != 0 {
		t.Fatal("calls")
	}

	if code, _, errs := runCLI(t, "user", "add", "--db", db, "--name", "evil\nadmin", "--role", "analyst"); code != exitUsage {
		t.Fatalf("a user name with a newline: %d %s", code, errs)
	}
	if code, out, _ := runCLI(t, "user", "add", "--db", db, "--name", "ana", "--role", "analyst"); code != 0 || !strings.Contains(out, "password") {
		t.Fatal("user add")
	}
	for _, args := range [][]string{{"disable"}, {"enable"}, {"unlock"}, {"role", "--role", "hospital", "--hospital", "H1"}} {
		if code, _, errs := runCLI(t, append([]string{"user", args[0], "--db", db, "--name", "ana"}, args[1:]...)...); code != 0 {
			t.Fatalf("user %s: %s", args[0], errs)
		}
	}
	if _, out, _ := runCLI(t, "user", "list", "--db", db); !strings.Contains(out, "ana\thospital\tH1\tactive") {
		t.Fatalf("list: %q", out)
	}
	if code, _, _ := runCLI(t, "user", "delete", "--db", db, "--name", "ana"); code != 0 {
		t.Fatal("delete")
	}
	if code, _, _ := runCLI(t, "user", "delete", "--db", db, "--name", "ana"); code == 0 {
		t.Fatal("delete twice")
	}
}
