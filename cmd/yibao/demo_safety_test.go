package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The demo never deletes a directory it did not create: a data directory holding the user's
// files is refused (exit 1, nothing touched) unless --force is given; a directory a demo made
// is replaced.
func TestDemoRefusesADirectoryItDidNotCreate(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "real-store")
	os.MkdirAll(store, 0o700)
	precious := filepath.Join(store, "yibao.db")
	os.WriteFile(precious, []byte("a bureau's data"), 0o600)
	code, _, stderr := runCLI(t, "demo", "--out", filepath.Join(dir, "region"), "--db", store, "--persons", "50", "--no-serve")
	if code != exitFailure || !strings.Contains(stderr, "not made by a demo") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(precious); err != nil || string(b) != "a bureau's data" {
		t.Fatal("the user's file was touched")
	}
	// A directory marked by a demo is replaced; an unmarked one only with force.
	marked := filepath.Join(dir, "old-demo")
	os.MkdirAll(marked, 0o700)
	os.WriteFile(filepath.Join(marked, demoMarker), nil, 0o600)
	os.WriteFile(filepath.Join(marked, "stale"), nil, 0o600)
	if err := claimDemoDir(marked, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(marked, "stale")); !os.IsNotExist(err) {
		t.Fatal("the old demo's file survived")
	}
	if err := claimDemoDir(store, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(precious); !os.IsNotExist(err) {
		t.Fatal("--force did not replace the directory")
	}
	// Never the working directory.
	wd, _ := os.Getwd()
	if err := claimDemoDir(".", true); err == nil {
		t.Fatalf("the working directory %s was accepted", wd)
	}
}

// Every command answers --help on standard output with exit 0.
func TestEveryCommandHelpExitsZero(t *testing.T) {
	for _, c := range commands() {
		code, out, stderr := runCLI(t, c.name, "--help")
		if code != exitOK || !strings.Contains(out, "Usage") || stderr != "" {
			t.Errorf("%s --help: exit %d, stdout %.80q, stderr %.80q", c.name, code, out, stderr)
		}
	}
}
