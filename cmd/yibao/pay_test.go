package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The calculation contract end to end, on numbers computed by hand from the rule text.
//
// reference.csv: AA11 × 5 at 4,000 (LOS 5), BB11 × 5 at 10,000 (LOS 8), one ungroupable.
// Ā = 70,000/10 = 7,000: RW AA11 = 4000/7000 = 0.5714, BB11 = 10000/7000 = 1.4286.
// cases.csv (B = 10,000.00):
//
//	c1 H1 AA11 4,000 normal: r = 1 → 57.1400
//	c2 H1 AA11 14,000: r = 3.5 > t = 3 (RW ≤ 1) → 57.14 + 57.14 × 0.5 = 85.7100
//	c3 H2 BB11 1,000: r = 0.1 < 0.4 → 142.86 × 0.1 = 14.2860
//	c4 H2 BB11 7,000 transfer: r = 0.7 → min(100.002, 142.86) = 100.0020
//	c5 H2 ungroupable 3,000: special review pending → 0, patient payment not counted
//	c6 H2 BB11 10,000, review approved, LOS 70: approved → C/Ā × 100 = 142.8571
//
// T = 57.14 + 85.71 + 14.286 + 100.002 + 142.8571 = 399.9951; P = 1,000 + 2,000 + 100 +
// 1,000 + 2,000 = 6,100.00 (c5's 500 not counted); B + P = 16,100.00;
// PV = 16,100 / 399.9951 = 40.250493.
// A_H1 = 142.85 × PV = 5,749.7829…, A_H2 = 257.1451 × PV = 10,350.2170…: floors 574,978
// + 1,035,021 = 1,609,999 fen; the fen left goes to the larger remainder (H2, 0.70 of a fen
// against 0.29): 5,749.78 and 10,350.22. F_H1 = 5,749.78 − 3,000 = 2,749.78;
// F_H2 = 10,350.22 − 3,100 − 50 = 7,200.22.
func TestPayContract(t *testing.T) {
	dir := t.TempDir()
	ref := writeFile(t, dir, "reference.csv", `id,hospital,drg,adrg,status,cost,los,dscg_way,patient_paid
r1,H1,AA11,AA1,grouped,4000.00,5,1,0
r2,H1,AA11,AA1,grouped,4000.00,5,1,0
r3,H1,AA11,AA1,grouped,4000.00,5,1,0
r4,H2,AA11,AA1,grouped,4000.00,5,1,0
r5,H2,AA11,AA1,grouped,4000.00,5,1,0
r6,H2,BB11,BB1,grouped,10000.00,8,1,0
r7,H2,BB11,BB1,grouped,10000.00,8,1,0
r8,H2,BB11,BB1,grouped,10000.00,8,1,0
r9,H2,BB11,BB1,grouped,10000.00,8,1,0
r10,H2,BB11,BB1,grouped,10000.00,8,1,0
r11,H2,0000,,ungroupable,3000.00,3,1,0
`)
	weights := filepath.Join(dir, "weights.csv")
	code, out, errs := runCLI(t, "weights", "--in", ref, "--out", weights)
	if code != 0 {
		t.Fatal(errs)
	}
	if !strings.Contains(out, "1.0000 with every group on its own data") {
		t.Errorf("weights report: %s", out)
	}
	rows := readCSV(t, weights)
	if strings.Join(rows[0], ",") != "drg,adrg,cases,mean_cost,mean_los,rw,base_points,source" {
		t.Fatalf("weights header %v", rows[0])
	}
	want := [][]string{{"AA11", "AA1", "5", "4000.00", "5.00", "0.5714", "57.1400", "own"}, {"BB11", "BB1", "5", "10000.00", "8.00", "1.4286", "142.8600", "own"}}
	for i, w := range want {
		if strings.Join(rows[i+1], ",") != strings.Join(w, ",") {
			t.Errorf("weights row %d: %v, want %v", i+1, rows[i+1], w)
		}
	}
	// An official table replaces a group's weight and is recorded as the source.
	official := writeFile(t, dir, "official.csv", "drg,rw\nBB11,1.5000\n")
	w2 := filepath.Join(dir, "weights-official.csv")
	if code, _, errs := runCLI(t, "weights", "--in", ref, "--out", w2, "--official", official); code != 0 {
		t.Fatal(errs)
	}
	if r := readCSV(t, w2)[2]; r[0] != "BB11" || r[5] != "1.5000" || r[6] != "150.0000" || r[7] != "official" {
		t.Fatalf("official row %v", r)
	}
	cases := writeFile(t, dir, "cases.csv", `id,hospital,drg,adrg,status,cost,los,dscg_way,patient_paid,review,deduction
c1,H1,AA11,AA1,grouped,4000.00,5,1,1000.00,,
c2,H1,AA11,AA1,grouped,14000.00,5,1,2000.00,,
c3,H2,BB11,BB1,grouped,1000.00,5,1,100.00,,
c4,H2,BB11,BB1,grouped,7000.00,5,2,1000.00,,50.00
c5,H2,0000,,ungroupable,3000.00,3,1,500.00,,
c6,H2,BB11,BB1,grouped,10000.00,70,1,2000.00,approved,
`)
	pay, hosp := filepath.Join(dir, "payments.csv"), filepath.Join(dir, "hospitals.csv")
	code, out, errs = runCLI(t, "pay", "--weights", weights, "--in", cases, "--budget", "10000", "--out", pay, "--hospitals", hosp)
	if code != 0 {
		t.Fatal(errs)
	}
	if !strings.Contains(out, "40.250493") {
		t.Errorf("point value line: %s", out)
	}
	p := readCSV(t, pay)
	if strings.Join(p[0], ",") != "id,hospital,drg,kind,ratio,threshold,points,amount,patient_paid,fund_paid" || len(p) != 7 {
		t.Fatalf("payments %v", p)
	}
	type row struct{ kind, ratio, t, points string }
	for i, w := range []row{
		{"normal", "1.0000", "3", "57.1400"}, {"high", "3.5000", "3", "85.7100"}, {"low", "0.1000", "2", "14.2860"},
		{"incomplete", "0.7000", "2", "100.0020"}, {"special_review", "", "", "0.0000"}, {"special_review", "", "", "142.8571"},
	} {
		r := p[i+1]
		if r[3] != w.kind || r[4] != w.ratio || r[5] != w.t || r[6] != w.points {
			t.Errorf("case %s: %v, want %+v", r[0], r, w)
		}
	}
	h := readCSV(t, hosp)
	if strings.Join(h[0], ",") != "hospital,cases,points,amount,patient_paid,deduction,fund_paid" {
		t.Fatalf("hospitals header %v", h[0])
	}
	if strings.Join(h[1], ",") != "H1,2,142.8500,5749.78,3000.00,0.00,2749.78" ||
		strings.Join(h[2], ",") != "H2,4,257.1451,10350.22,3100.00,50.00,7200.22" {
		t.Fatalf("hospitals %v", h)
	}
	// Bad input names the file, line, field and reason, and writes nothing.
	bad := writeFile(t, dir, "bad.csv", `id,hospital,drg,adrg,status,cost,los,dscg_way,patient_paid
b1,H1,AA11,AA1,grouped,12.345,5,1,0
b2,H1,AA11,AA1,maybe,100,5,1,0
`)
	out2 := filepath.Join(dir, "never.csv")
	code, _, errs = runCLI(t, "pay", "--weights", weights, "--in", bad, "--budget", "1", "--out", out2)
	if code == 0 || !strings.Contains(errs, "bad.csv: line 2") || !strings.Contains(errs, "field cost") || !strings.Contains(errs, "field status") {
		t.Fatalf("bad input: %d %s", code, errs)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Fatal("output written for bad input")
	}
	if code, _, _ := runCLI(t, "pay", "--weights", weights, "--in", cases, "--out", out2); code != exitUsage {
		t.Fatal("--budget must be required")
	}
	// The example policy (rate mode) and a coefficient overlay are accepted.
	overlay := writeFile(t, dir, "coef.json", `{"version":"t1","source":"test","coefficients":{"hospitals":{"H1":1.02},"drgs":{},"technologies":[],"min":0.8,"max":1.2}}`)
	if code, out, errs := runCLI(t, "pay", "--weights", weights, "--in", cases, "--budget", "10000", "--out", out2, "--policy", "example-rate", "--coefficients", overlay); code != 0 || !strings.Contains(out, "rate mode") {
		t.Fatalf("example policy: %d %s %s", code, out, errs)
	}
}
