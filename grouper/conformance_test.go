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

// drgDir holds the conformance kits in ../shared. The tests fail, not skip, without them:
// conformance is a release criterion.
var drgDir = filepath.Join("..", "..", "shared", "drg")

// kitDir is the CHS-DRG 1.1 kit.
var kitDir = filepath.Join(drgDir, "chs-drg-1.1")

// kits are every kit in ../shared/drg with its scheme id and case count (format 1.0 and
// format 2.0, scheme-format-v2.md).
var kits = []struct {
	dir, id string
	cases   int
}{
	{"chs-drg-1.1", "chs-drg-1.1", 3000},
	{"changzhou-2022", "changzhou-drg-2022", 3000},
	{"foshan-2022", "foshan-drg-2022", 3000},
	{"zhejiang-2022", "zhejiang-drg-2022", 3000},
	{"scheme-format-v2-examples", "", 475},
}

func loadKit(t testing.TB, dir string) *grouper.Scheme {
	t.Helper()
	p := filepath.Join(drgDir, dir, "scheme.json")
	s, err := grouper.Load(p)
	if err != nil {
		t.Fatalf("kit %s missing or unreadable (it must be at %s): %v", dir, p, err)
	}
	return s
}

func loadCHS(t testing.TB) *grouper.Scheme { return loadKit(t, "chs-drg-1.1") }

func readKitCases(t testing.TB, dir string, s *grouper.Scheme) []grouper.Case {
	t.Helper()
	f, err := os.Open(filepath.Join(drgDir, dir, "conformance", "cases.csv"))
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

func readCases(t testing.TB, s *grouper.Scheme) []grouper.Case {
	return readKitCases(t, "chs-drg-1.1", s)
}

// TestKitConformance groups every kit's cases and compares status, MDC, ADRG and DRG
// with the kit's expected results; it reports agreement per level.
func TestKitConformance(t *testing.T) {
	for _, k := range kits {
		t.Run(k.dir, func(t *testing.T) {
			s := loadKit(t, k.dir)
			if k.id != "" && s.ID != k.id {
				t.Fatalf("scheme id = %s, want %s", s.ID, k.id)
			}
			cases := readKitCases(t, k.dir, s)
			f, err := os.Open(filepath.Join(drgDir, k.dir, "conformance", "expected.csv"))
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
			if len(cases) != k.cases || len(want) != k.cases {
				t.Fatalf("kit has %d cases and %d expected rows, want %d each", len(cases), len(want), k.cases)
			}
			var agree [4]int
			bad := 0
			for i := range cases {
				r := s.Group(&cases[i], false)
				w, ok := want[r.ID]
				if !ok {
					t.Fatalf("case %s has no expected row", r.ID)
				}
				got := []string{r.Status, r.MDC, r.ADRG, r.DRG}
				wrong := false
				for j := range got {
					if got[j] == w[j] {
						agree[j]++
					} else {
						wrong = true
					}
				}
				if wrong {
					bad++
					if bad <= 20 {
						t.Errorf("case %s: got %v, want %v", r.ID, got, w)
					}
				}
				// The explanation path must reach the same result.
				if e := s.Group(&cases[i], true); e.Status != r.Status || e.DRG != r.DRG || e.ADRG != r.ADRG || e.MDC != r.MDC {
					t.Errorf("case %s: explained %v/%v differs from %v/%v", r.ID, e.Status, e.DRG, r.Status, r.DRG)
				}
			}
			t.Logf("%s: status %d/%d, MDC %d/%d, ADRG %d/%d, DRG %d/%d", k.dir, agree[0], len(cases), agree[1], len(cases), agree[2], len(cases), agree[3], len(cases))
			if bad > 0 {
				t.Fatalf("%d of %d cases disagree", bad, len(cases))
			}
		})
	}
}
