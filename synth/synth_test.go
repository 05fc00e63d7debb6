package synth_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/schemes"
	"github.com/yibao-dev/yibao/synth"
)

func region(t *testing.T, workers int) (string, synth.Summary) {
	t.Helper()
	dir := t.TempDir()
	sum, err := synth.Run(context.Background(), synth.Config{Seed: 42, Hospitals: 20, Persons: 3000, Months: 24, Irregular: 0.05, Out: dir, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return dir, sum
}

func TestSameSeedSameBytesWhateverTheWorkers(t *testing.T) {
	a, sa := region(t, 1)
	b, sb := region(t, 3)
	for _, f := range []string{synth.SettlementsFile, synth.LabelsFile, synth.HospitalsFile, synth.PersonsFile, "kb/items.csv"} {
		x, _ := os.ReadFile(filepath.Join(a, f))
		y, _ := os.ReadFile(filepath.Join(b, f))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs between runs (%d vs %d bytes)", f, len(x), len(y))
		}
	}
	if sa.Settlements != sb.Settlements || sa.Settlements < 3000 {
		t.Fatalf("settlements %d vs %d", sa.Settlements, sb.Settlements)
	}
}

// Every pathway of the world must land in the ADRG it was written for under the demo scheme.
func TestConditionsGroupToTheirADRG(t *testing.T) {
	w, err := synth.LoadWorld()
	if err != nil {
		t.Fatal(err)
	}
	s, err := grouper.Parse(schemes.DemoDRG)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range w.Conditions {
		for _, dx := range c.Dx {
			age := "50"
			cs := grouper.Case{ID: c.ID, Sex: "1", Age: age, Diagnoses: []string{dx}, Procedures: c.Proc}
			if c.Sex == 2 {
				cs.Sex = "2"
			}
			if c.MDC == "MDCP" {
				cs.Age, cs.AgeDays, cs.Weight = "0", "5", "3000"
			}
			r := s.Group(&cs, false)
			if r.ADRG != c.ADRG || r.MDC != c.MDC {
				t.Errorf("%s (%s): grouped to %s/%s, want %s/%s", c.ID, dx, r.MDC, r.ADRG, c.MDC, c.ADRG)
			}
		}
	}
}

func TestRegionIsConsistentAndLabelled(t *testing.T) {
	dir, sum := region(t, 2)
	// Every label names a settlement that exists and, for line labels, a line of it.
	lines := map[string]int{}
	f, err := os.Open(filepath.Join(dir, synth.SettlementsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	inpatient := 0
	for sc.Scan() {
		var doc struct {
			Setlinfo struct {
				SetlID  string `json:"setl_id"`
				MedType string `json:"ipt_med_type"`
			} `json:"setlinfo"`
			Fees []json.RawMessage `json:"feedetl"`
		}
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		lines[doc.Setlinfo.SetlID] = len(doc.Fees)
		if doc.Setlinfo.MedType == "21" {
			inpatient++
		}
	}
	if len(lines) != sum.Settlements || inpatient != sum.Inpatient || inpatient < 1000 {
		t.Fatalf("read %d settlements (%d inpatient), summary says %d (%d)", len(lines), inpatient, sum.Settlements, sum.Inpatient)
	}
	lf, _ := os.Open(filepath.Join(dir, synth.LabelsFile))
	defer lf.Close()
	rows, err := csv.NewReader(lf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range rows[1:] {
		n, ok := lines[r[1]]
		if !ok {
			t.Fatalf("label %v names an unknown settlement", r)
		}
		if r[2] != "" && (len(r[2]) == 0 || atoi(r[2]) < 1 || atoi(r[2]) > n) {
			t.Fatalf("label %v names line %s of %d", r, r[2], n)
		}
		kinds[r[0]]++
	}
	for _, k := range []string{"duplicate_charge", "over_quantity", "sex_restriction", "age_restriction", "indication_restriction",
		"hosp_level_restriction", "price_over_cap", "exclusive_items", "unbundling", "upcoding", "split_admission",
		"bed_hanging", "overlapping_stay", "frequent_admission", "excessive_los"} {
		if kinds[k] == 0 {
			t.Errorf("no %s labelled in a 3,000-person region", k)
		}
	}
	for _, kb := range []string{"items.csv", "exclusive.csv", "bundles.csv", "dx_evidence.csv", "detectors.json"} {
		b, err := os.ReadFile(filepath.Join(dir, "kb", kb))
		if err != nil || len(b) == 0 || (strings.HasSuffix(kb, ".csv") && bytes.Count(b, []byte("\n")) < 3) {
			t.Errorf("knowledge base %s missing or empty", kb)
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
