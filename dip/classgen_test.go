package dip

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The procedure class table is derived, not hand-typed. Build step (docs/dip.md §2):
//
//	go test ./dip -run TestProcedureClassDerivation -update
//
// reads the CHS-DRG 1.1 kit in ../shared (scheme.json: tables.ss_valid, the 有效手术操作
// table; icd9cm3.tsv: the ICD-9-CM-3 医保版 code list with names), classes every code by
// the rules below and writes the shortest prefix table that reproduces every code's class.
// Without -update the test checks that the shipped table still matches the kit.
var update = flag.Bool("update", false, "rewrite dip/procedure_classes.csv from the CHS-DRG 1.1 kit")

var kitDir = filepath.Join("..", "..", "shared", "drg", "chs-drg-1.1")

// Hand rules by prefix (longest wins), from the ICD-9-CM-3 chapter structure; each is a
// local choice documented in docs/dip.md §2.
var (
	// "Diagnostic procedures on …" subcategories of the operation chapters: endoscopies,
	// biopsies, punctures, catheterisations for diagnosis.
	diagnosticPrefixes = strings.Fields(`00.2 01.1 03.3 04.1 05.1 06.1 07.1 08.1 09.1 10.2 11.2 12.2 14.1
		15.0 16.2 18.1 20.3 21.2 22.1 24.1 25.0 26.1 27.2 28.1 29.1 31.4 33.2 34.2 37.2 38.2 40.1 41.3
		42.2 44.1 45.1 45.2 48.2 49.2 50.1 51.1 52.1 54.2 55.2 56.3 57.3 58.2 59.2 60.1 61.1 62.1 63.0
		64.1 65.1 66.1 67.1 68.1 70.2 71.1 76.1 77.4 78.8 80.2 83.2 85.1 86.1 88.4 88.5 88.6`)
	// Non-operating-room treatments (the kit's valid-surgery table lists some of them because
	// DRG splits on them; they are treatments, not operations).
	therapeuticPrefixes = strings.Fields(`00.0 00.1 39.95 54.98 38.95 92.2 92.3 93.90 93.95 94.27 96.7 98
		99.10 99.25 99.28 99.6 99.7 99.85`)
	// Routine and supporting codes that never define a combination: adjunct codes, vascular
	// and urinary catheters, imaging, laboratory, examinations, rehabilitation, injections,
	// nursing, transfusion.
	ancillaryPrefixes = strings.Fields(`00.3 00.4 00.9 36.06 36.07 38.91 38.92 38.93 38.94 38.97 38.98 38.99 57.94 57.95
		87 88 89 90 91 92 93 94 95 96 97 99`)
)

// Names of open (incisional) procedures stay operations even within a diagnostic subcategory.
var openMarkers = []string{"开放", "开胸", "开颅", "直视", "切开"}

func longest(code string, prefixes []string) int {
	best := -1
	for _, p := range prefixes {
		if strings.HasPrefix(code, p) && len(p) > best {
			best = len(p)
		}
	}
	return best
}

func deriveClass(code, name string, valid bool) string {
	d, t, a := longest(code, diagnosticPrefixes), longest(code, therapeuticPrefixes), longest(code, ancillaryPrefixes)
	operationChapter := code[:2] <= "86"
	if valid && operationChapter && t < 0 && a < 0 {
		if d < 0 {
			return ClassSurgery
		}
		for _, m := range openMarkers {
			if strings.Contains(name, m) {
				return ClassSurgery
			}
		}
		return ClassDiagnostic
	}
	switch {
	case d >= 0 && d >= t && d >= a:
		return ClassDiagnostic
	case t >= 0 && t >= a:
		return ClassTherapeutic
	case a >= 0:
		if valid && !operationChapter { // listed by the kit in a supporting chapter: a treatment
			return ClassTherapeutic
		}
		return ClassAncillary
	case operationChapter:
		return ClassTherapeutic // minor non-operating-room procedures of the operation chapters
	}
	return ClassAncillary
}

func deriveTable(t *testing.T) []byte {
	var scheme struct {
		Tables struct {
			SSValid []string `json:"ss_valid"`
		} `json:"tables"`
	}
	b, err := os.ReadFile(filepath.Join(kitDir, "scheme.json"))
	if err != nil {
		t.Skipf("CHS-DRG 1.1 kit not available: %v", err)
	}
	if err := json.Unmarshal(b, &scheme); err != nil {
		t.Fatal(err)
	}
	valid := map[string]bool{}
	for _, c := range scheme.Tables.SSValid {
		valid[c] = true
	}
	f, err := os.Open(filepath.Join(kitDir, "icd9cm3.tsv"))
	if err != nil {
		t.Skipf("CHS-DRG 1.1 kit not available: %v", err)
	}
	defer f.Close()
	class := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		code, name, _ := strings.Cut(sc.Text(), "\t")
		if len(code) < 2 || code[0] < '0' || code[0] > '9' || code[1] < '0' || code[1] > '9' {
			continue
		}
		class[code] = deriveClass(code, name, valid[code])
	}
	// Compress: a prefix node (2, 4, 5 characters, then the code) carries its majority class;
	// a row is written where a node's class differs from what lookup would find above it.
	type node struct{ count map[string]int }
	nodes := map[string]*node{}
	for code, c := range class {
		for _, n := range []int{2, 4, 5} {
			if len(code) > n {
				p := code[:n]
				if nodes[p] == nil {
					nodes[p] = &node{count: map[string]int{}}
				}
				nodes[p].count[c]++
			}
		}
	}
	majority := func(p string) string {
		best, bc := "", -1
		for _, c := range append([]string{ClassAncillary}, Classes...) {
			if n := nodes[p].count[c]; n > bc {
				best, bc = c, n
			}
		}
		return best
	}
	rows := map[string]string{}
	above := func(code string, n int) string {
		for _, m := range []int{5, 4, 2} {
			if m < n && len(code) > m {
				if c, ok := rows[code[:m]]; ok {
					return c
				}
			}
		}
		return ClassAncillary
	}
	prefixes := make([]string, 0, len(nodes))
	for p := range nodes {
		prefixes = append(prefixes, p)
	}
	sort.Slice(prefixes, func(i, j int) bool {
		return len(prefixes[i]) < len(prefixes[j]) || len(prefixes[i]) == len(prefixes[j]) && prefixes[i] < prefixes[j]
	})
	for _, p := range prefixes {
		if m := majority(p); m != above(p, len(p)) || len(p) == 2 {
			rows[p] = m
		}
	}
	codes := make([]string, 0, len(class))
	for c := range class {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		if class[c] != above(c, len(c)+1) {
			rows[c] = class[c]
		}
	}
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out bytes.Buffer
	out.WriteString("prefix,class\n")
	for _, k := range keys {
		fmt.Fprintf(&out, "%s,%s\n", k, rows[k])
	}
	// The compressed table must reproduce every code's class.
	tab, err := ParseClassTable(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for code, c := range class {
		if got := tab.Class(code); got != c {
			t.Fatalf("compressed table classes %s as %s, derivation says %s", code, got, c)
		}
	}
	return out.Bytes()
}

func TestProcedureClassDerivation(t *testing.T) {
	want := deriveTable(t)
	if *update {
		if err := os.WriteFile("procedure_classes.csv", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(want, builtinClasses) {
		t.Fatal("dip/procedure_classes.csv differs from its derivation; rerun with -update and review the diff")
	}
}
