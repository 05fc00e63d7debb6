package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The DIP calculation contract of issue 13, end to end on a hand-made region: 15 appendectomies
// (core), 3 other surgical combinations (comprehensive), an ancillary ECG that must not split
// the group, and payment cases of every kind.
func TestDIPContract(t *testing.T) {
	dir := t.TempDir()
	ref := "id,sex,age,age_days,weight,dept,los,discharge,diagnoses,procedures,hospital,level,cost,patient_paid\n"
	for i := 0; i < 15; i++ {
		procs := "47.0901"
		if i%3 == 0 {
			procs = "47.0901|89.5200"
		}
		ref += fmt.Sprintf("R%d,1,40,,,,5,1,K35.800,%s,H1,3,6000.00,1800.00\n", i, procs)
	}
	for i := 0; i < 3; i++ {
		ref += fmt.Sprintf("S%d,1,40,,,,5,1,K35.800,47.0100,H1,3,9000.00,2700.00\n", i)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	refPath := write("reference.csv", ref)
	catPath := filepath.Join(dir, "catalogue.csv")
	if code, _, stderr := runCLI(t, "dip", "build", "--in", refPath, "--out", catPath); code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	rows := readCSV(t, catPath)
	if strings.Join(rows[0][:7], ",") != "group,kind,category,class,cases,mean_cost,score" {
		t.Fatalf("catalogue header %v", rows[0])
	}
	groups := map[string][]string{}
	for _, r := range rows[1:] {
		groups[r[0]] = r
	}
	// Ā = (15×6000 + 3×9000)/18 = 6500; S = 6000/6500×1000 = 923.0769, 9000/6500×1000 = 1384.6154.
	if g := groups["K35.8:47.0901"]; g == nil || g[1] != "core" || g[4] != "15" || g[5] != "6000.00" || g[6] != "923.0769" {
		t.Fatalf("core group %v", g)
	}
	if g := groups["K35:综合-相关手术"]; g == nil || g[1] != "comprehensive" || g[3] != "相关手术" || g[6] != "1384.6154" {
		t.Fatalf("comprehensive group %v", g)
	}
	cases := "id,sex,age,age_days,weight,dept,los,discharge,diagnoses,procedures,hospital,level,cost,patient_paid,review,deduction\n" +
		"N,1,40,,,,5,1,K35.800,47.0901,H1,3,6000.00,1000.00,,\n" + // normal: 923.0769
		"L,1,40,,,,5,1,K35.800,47.0901,H1,3,1500.00,500.00,,\n" + // low r = 0.25: 230.7692
		"H,1,40,,,,5,1,K35.800,47.0901,H2,3,18000.00,3000.00,,100.00\n" + // high r = 3: 923.0769 × 2 = 1846.1538
		"X,1,40,,,,5,1,K35.800,47.0901,H2,3,36000.00,9000.00,,\n" + // r = 6: special review, pending
		"U,1,40,,,,5,1,Z99.900,,H2,3,6500.00,1000.00,,\n" // unseen category: region-wide conservative group
	casesPath := write("cases.csv", cases)
	payPath, hospPath := filepath.Join(dir, "payments.csv"), filepath.Join(dir, "hospitals.csv")
	code, stdout, stderr := runCLI(t, "dip", "pay", "--catalogue", catPath, "--in", casesPath, "--budget", "10000", "--out", payPath, "--hospitals", hospPath)
	if code != 0 {
		t.Fatalf("pay: exit %d: %s", code, stderr)
	}
	pay := readCSV(t, payPath)
	if strings.Join(pay[0][:12], ",") != "id,hospital,group,kind,ratio,group_mean,score,aux_coefficient,points,amount,patient_paid,fund_paid" {
		t.Fatalf("payments header %v", pay[0])
	}
	if len(pay) != 6 {
		t.Fatalf("%d payment rows, want 5 (no case dropped)", len(pay)-1)
	}
	want := map[string][2]string{"N": {"normal", "923.0769"}, "L": {"low", "230.7692"}, "H": {"high", "1846.1538"},
		"X": {"special_review", "0.0000"}, "U": {"normal", ""}}
	var total int64
	for _, r := range pay[1:] {
		w := want[r[0]]
		if r[3] != w[0] || (w[1] != "" && r[8] != w[1]) {
			t.Errorf("%s: kind %s points %s, want %v", r[0], r[3], r[8], w)
		}
		var yuan, fen int64
		fmt.Sscanf(r[9], "%d.%d", &yuan, &fen)
		total += yuan*100 + fen
	}
	// B + P = 10000 + (1000 + 500 + 3000 + 1000); the pending case's 9000 is not in P.
	if total != 1550000 {
		t.Errorf("Σ amounts %d fen, want 1550000", total)
	}
	if !strings.Contains(stdout, "15500.00") || !strings.Contains(stdout, "point value") {
		t.Errorf("report lacks B + P: %s", stdout)
	}
	hosp := readCSV(t, hospPath)
	if strings.Join(hosp[0], ",") != "hospital,cases,points,amount,patient_paid,deduction,fund_paid" || len(hosp) != 3 {
		t.Fatalf("hospitals.csv %v", hosp)
	}
	// Bad input: named file, line and field; nothing written.
	bad := write("bad.csv", "id,diagnoses,cost,hospital,patient_paid\nA,K35.800,12.345,H1,1\n")
	out2 := filepath.Join(dir, "p2.csv")
	code, _, stderr = runCLI(t, "dip", "pay", "--catalogue", catPath, "--in", bad, "--budget", "1", "--out", out2)
	if code == 0 || !strings.Contains(stderr, "bad.csv") || !strings.Contains(stderr, "cost") {
		t.Fatalf("bad input: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Fatal("output written for bad input")
	}
}
