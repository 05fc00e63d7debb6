package synth_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

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
	for _, f := range []string{synth.SettlementsFile, synth.LabelsFile, synth.NearMissFile, synth.HospitalsFile, synth.PersonsFile, "kb/items.csv", "kb/dx_procedure.csv"} {
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
		"bed_hanging", "overlapping_stay", "frequent_admission", "excessive_los", "drug_share", "high_single_charge", "dx_procedure_mismatch"} {
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

// The statistical facts the rules and payments depend on (docs/synthetic-region.md), checked
// on a small region with generous bounds: a change that breaks one fails here.
func TestRegionStatisticalFacts(t *testing.T) {
	dir, _ := region(t, 2)
	w, _ := synth.LoadWorld()
	comp := map[string]bool{}
	for _, c := range w.Complications {
		comp[c.Code] = true
	}
	hosps := map[string]string{}
	hb, _ := os.ReadFile(filepath.Join(dir, synth.HospitalsFile))
	for _, r := range strings.Split(string(hb), "\n")[1:] {
		if f := strings.Split(r, ","); len(f) > 4 {
			hosps[f[0]] = f[4]
		}
	}
	type stay struct {
		person, hosp, way, flag, pdx string
		adm, dis                     time.Time
		cost                         float64
		cc, refund, tcm, acquired    bool
	}
	var stays []stay
	f, _ := os.Open(filepath.Join(dir, synth.SettlementsFile))
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var d struct {
			S map[string]any `json:"setlinfo"`
			D []struct {
				Code, Type, Cond string
				Main             string `json:"maindiag_flag"`
			} `json:"diseinfo"`
			F []struct {
				Cnt, Amt float64
			} `json:"feedetl"`
		}
		b := bytes.ReplaceAll(sc.Bytes(), []byte(`"det_item_fee_sumamt"`), []byte(`"amt"`))
		b = bytes.ReplaceAll(bytes.ReplaceAll(bytes.ReplaceAll(b, []byte(`"diag_code"`), []byte(`"code"`)), []byte(`"diag_type"`), []byte(`"type"`)), []byte(`"adm_cond_type"`), []byte(`"cond"`))
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		if d.S["ipt_med_type"] != "21" {
			continue
		}
		s := stay{person: d.S["psn_no"].(string), hosp: d.S["fixmedins_code"].(string), way: d.S["dscg_way"].(string), flag: d.S["days_rinp_flag_31"].(string)}
		s.adm, _ = time.Parse("2006-01-02 15:04:05", d.S["adm_time"].(string))
		s.dis, _ = time.Parse("2006-01-02 15:04:05", d.S["dscg_time"].(string))
		for i, x := range d.D {
			switch {
			case x.Type == "2" || x.Type == "3":
				s.tcm = true
			case i == 0:
				s.pdx = x.Code
			case comp[x.Code]:
				s.cc = true
			}
			s.acquired = s.acquired || x.Cond == "4"
		}
		for _, l := range d.F {
			s.cost += l.Amt
			s.refund = s.refund || l.Cnt < 0
		}
		stays = append(stays, s)
	}
	// Cost within a diagnosis: log-normal-like, CV 0.3–0.8 at the median; a few percent of
	// high- (> 2 × mean) and low-ratio (< 0.4 × mean) cases; complications cost 20–60% more.
	plain, withCC := map[string][]float64{}, map[string][]float64{}
	for _, s := range stays {
		if s.cc {
			withCC[s.pdx] = append(withCC[s.pdx], s.cost)
		} else {
			plain[s.pdx] = append(plain[s.pdx], s.cost)
		}
	}
	var cvs, uplifts []float64
	high, low, n := 0, 0, 0
	for dx, v := range plain {
		if len(v) < 30 {
			continue
		}
		m, sd := meanSD(v)
		cvs = append(cvs, sd/m)
		for _, c := range v {
			n++
			if c > 2*m {
				high++
			}
			if c < 0.4*m {
				low++
			}
		}
		if cc := withCC[dx]; len(cc) >= 5 {
			mc, _ := meanSD(cc)
			uplifts = append(uplifts, mc/m)
		}
	}
	if med := median(cvs); med < 0.3 || med > 0.8 {
		t.Errorf("median CV of cost within a diagnosis %.2f, want 0.3–0.8 (%v)", med, cvs)
	}
	if r := float64(high) / float64(n); r < 0.005 || r > 0.1 {
		t.Errorf("high-ratio share %.3f", r)
	}
	if r := float64(low) / float64(n); r < 0.005 || r > 0.12 {
		t.Errorf("low-ratio share %.3f", r)
	}
	if med := median(uplifts); med < 1.15 || med > 1.7 {
		t.Errorf("median MCC/CC uplift %.2f, want about 1.2–1.6 (%v)", med, uplifts)
	}
	// Readmissions: the planned flag is on the earlier stay (always followed within 31 days);
	// transfers create the receiving admission elsewhere within a day; about 10% of chronic
	// stays are followed by a readmission for the same condition within 31 days; nobody is
	// admitted after dying.
	by := map[string][]stay{}
	for _, s := range stays {
		by[s.person] = append(by[s.person], s)
	}
	flags, followed, transfers, received, chronic, readmitted, refunds, tcm, acquired := 0, 0, 0, 0, 0, 0, 0, 0, 0
	for _, h := range by {
		sort.Slice(h, func(i, j int) bool { return h[i].adm.Before(h[j].adm) })
		for i, s := range h {
			var next *stay
			if i+1 < len(h) {
				next = &h[i+1]
			}
			if s.way == "5" && next != nil && next.adm.After(s.dis) {
				t.Errorf("%s admitted after death", s.person)
			}
			if s.flag == "2" {
				flags++
				if next != nil && next.adm.Sub(s.dis) <= 32*24*time.Hour {
					followed++
				}
			}
			if s.way == "2" || s.way == "3" {
				transfers++
				if next != nil && next.hosp != s.hosp && next.adm.Sub(s.dis) >= 0 && next.adm.Sub(s.dis) <= 24*time.Hour {
					received++
				}
			}
			if c := s.pdx[:3]; (c == "I10" || c == "E11" || c == "J44" || c == "N18") && s.way == "1" {
				chronic++
				if next != nil && next.pdx[:3] == c && next.adm.Sub(s.dis) <= 31*24*time.Hour {
					readmitted++
				}
			}
			if s.refund {
				refunds++
			}
			if s.tcm {
				tcm++
				if hosps[s.hosp] != "tcm" {
					t.Errorf("TCM diagnosis at %s, a %s hospital", s.hosp, hosps[s.hosp])
				}
			}
			if s.acquired {
				acquired++
			}
		}
	}
	if flags == 0 || followed != flags {
		t.Errorf("%d planned flags, %d followed by a readmission", flags, followed)
	}
	if transfers == 0 || float64(received) < 0.7*float64(transfers) {
		t.Errorf("%d transfers, %d received", transfers, received)
	}
	if r := float64(readmitted) / float64(chronic); chronic < 50 || r < 0.05 || r > 0.2 {
		t.Errorf("chronic 31-day readmission %d of %d", readmitted, chronic)
	}
	if refunds == 0 || tcm == 0 || acquired == 0 {
		t.Errorf("refunds %d, TCM stays %d, complications not present on admission %d", refunds, tcm, acquired)
	}
}

func meanSD(v []float64) (float64, float64) {
	m := 0.0
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	s := 0.0
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return m, math.Sqrt(s / float64(len(v)))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64{}, v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
