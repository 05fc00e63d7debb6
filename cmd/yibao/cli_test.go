package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// The group command's contract: results.csv starts with id,status,mdc,adrg,drg and agrees
// with the CHS-DRG 1.1 kit, with any number of workers and with explanations on.
func TestGroupCommandContract(t *testing.T) {
	kit := filepath.Join("..", "..", "..", "shared", "drg", "chs-drg-1.1")
	want := map[string][]string{}
	for _, r := range readCSV(t, filepath.Join(kit, "conformance", "expected.csv"))[1:] {
		want[r[0]] = r[1:5]
	}
	for _, args := range [][]string{{"--workers", "1"}, {"--workers", "3", "--explain"}} {
		out := filepath.Join(t.TempDir(), "results.csv")
		code, _, stderr := runCLI(t, append([]string{"group", "--scheme", filepath.Join(kit, "scheme.json"),
			"--in", filepath.Join(kit, "conformance", "cases.csv"), "--out", out}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		rows := readCSV(t, out)
		if got := rows[0][:5]; got[0] != "id" || got[1] != "status" || got[4] != "drg" {
			t.Fatalf("header %v", rows[0])
		}
		if len(rows)-1 != len(want) {
			t.Fatalf("%d results for %d cases", len(rows)-1, len(want))
		}
		for _, r := range rows[1:] {
			w := want[r[0]]
			if r[1] != w[0] || r[2] != w[1] || r[3] != w[2] || r[4] != w[3] {
				t.Fatalf("%v, want %v", r[:5], w)
			}
		}
	}
	if code, _, _ := runCLI(t, "group", "--in", "x.csv"); code != exitUsage {
		t.Fatalf("missing --scheme: exit %d", code)
	}
}

func TestIngestExitStatusAndJSON(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`[{"setlinfo":{"setl_id":"S1"}}]`), 0o644)
	db := filepath.Join(dir, "db")
	code, _, _ := runCLI(t, "ingest", "--db", db, bad)
	if code != exitRejected {
		t.Fatalf("exit %d, want %d", code, exitRejected)
	}
	code, out, _ := runCLI(t, "ingest", "--db", db, bad, "--allow-rejects", "--json")
	if code != 0 {
		t.Fatalf("--allow-rejects exit %d", code)
	}
	var sum struct {
		Read, Rejected int
		RejectsFile    string `json:"rejects_file"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Read != 1 || sum.Rejected != 1 {
		t.Fatalf("%s %v", out, err)
	}
	if b, _ := os.ReadFile(sum.RejectsFile); !bytes.Contains(b, []byte(`"setlinfo.psn_no"`)) {
		t.Fatalf("rejects file %s: %s", sum.RejectsFile, b)
	}
	if code, _, _ := runCLI(t, "nonsense"); code != exitUsage {
		t.Fatal("unknown command should be a usage error")
	}
}
