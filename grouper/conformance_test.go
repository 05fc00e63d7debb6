package grouper_test

import (
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/grouper/casefile"
)

// kitDir is the CHS-DRG 1.1 kit in ../shared. The test fails, not skips, without it:
// conformance is a release criterion.
var kitDir = filepath.Join("..", "..", "shared", "drg", "chs-drg-1.1")

func loadCHS(t testing.TB) *grouper.Scheme {
	t.Helper()
	s, err := grouper.Load(filepath.Join(kitDir, "scheme.json"))
	if err != nil {
		t.Fatalf("CHS-DRG 1.1 kit missing or unreadable (it must be at %s): %v", kitDir, err)
	}
	return s
}

func readCases(t testing.TB, s *grouper.Scheme) []grouper.Case {
	t.Helper()
	f, err := os.Open(filepath.Join(kitDir, "conformance", "cases.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := casefile.NewReader(f, s)
	if err != nil {
		t.Fatal(err)
	}
	var out []grouper.Case
	for {
		var c grouper.Case
		if err := r.Read(&c); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestCHSDRG11Conformance(t *testing.T) {
	s := loadCHS(t)
	if s.ID != "chs-drg-1.1" || s.Version != "1.1" {
		t.Fatalf("scheme id/version = %s/%s", s.ID, s.Version)
	}
	cases := readCases(t, s)
	f, err := os.Open(filepath.Join(kitDir, "conformance", "expected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	for _, r := range rows[1:] {
		want[r[0]] = r[1:]
	}
	if len(cases) != 3000 || len(want) != 3000 {
		t.Fatalf("kit has %d cases and %d expected rows, want 3000 each", len(cases), len(want))
	}
	bad := 0
	for i := range cases {
		r := s.Group(&cases[i], false)
		w := want[r.ID]
		got := []string{r.Status, r.MDC, r.ADRG, r.DRG}
		for j := range got {
			if got[j] != w[j] {
				bad++
				if bad <= 20 {
					t.Errorf("case %s: got %v, want %v", r.ID, got, w)
				}
				break
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d cases disagree", bad, len(cases))
	}
}
