package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/synth"
)

// What DRG payment reads from the store: the patients' payment is medfee_sumamt − pooled
// fund − other funds of the document; deductions are the amounts of confirmed findings on
// the current version only; the special-review queue keeps a decision with who and why.
func TestPaymentInputsFromStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	region := filepath.Join(dir, "region")
	if _, err := synth.Run(ctx, synth.Config{Seed: 5, Hospitals: 3, Persons: 300, Months: 12, Out: region}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(region, synth.SettlementsFile))
	var doc string
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.Contains(line, `"ipt_med_type":"21"`) && strings.Contains(line, `"hifp_payamt"`) {
			doc = line
			break
		}
	}
	if doc == "" {
		t.Fatal("no inpatient document in the region")
	}
	doc = strings.Replace(doc, `"feedetl":`, `"payinfo":[{"fund_pay_type":"390200","fund_payamt":1.00}],"feedetl":`, 1)
	in := filepath.Join(dir, "one.ndjson")
	os.WriteFile(in, []byte(doc+"\n"), 0o644)
	st, err := sqlite.Open(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ps, _ := ingest.NewPseudonymiser(bytes.Repeat([]byte{7}, 32))
	var rejects bytes.Buffer
	got, err := ingest.Run(ctx, st, []string{filepath.Join(region, synth.HospitalsFile), in}, ingest.Options{Pseudonymiser: ps, Rejects: &rejects})
	if err != nil || got.Loaded != 1 {
		t.Fatalf("%+v %v %s", got, err, rejects.String())
	}
	rows, err := st.CaseRows(ctx, "none", time.Time{}, time.Time{})
	if err != nil || len(rows) != 1 {
		t.Fatalf("%v %d", err, len(rows))
	}
	r := rows[0]
	var total, fund int64
	st.DB().QueryRow(`SELECT total_fen, fund_fen FROM settlements WHERE id = ?`, r.Row).Scan(&total, &fund)
	if r.PatientPaid != total-fund-100 {
		t.Fatalf("patient paid %d, want %d − %d − 100", r.PatientPaid, total, fund)
	}
	// The decoded settlement carries the other funds too (DIP reads P through it).
	var other yibao.Fen
	if err := st.EachCurrent(ctx, sqlite.Filter{}, func(s sqlite.StoredSettlement) error { other = s.Pay.Other; return nil }); err != nil || other != 100 {
		t.Fatalf("EachCurrent: other funds %d, want 100 (%v)", other, err)
	}
	if _, err := st.PutFindings(ctx, []sqlite.FindingRow{
		{Row: r.Row, SetlID: r.SetlID, Hospital: r.Hospital, Category: "upcoding", RuleID: "UPC-001", Severity: "suspicious", Amount: 1234, Status: "confirmed"},
		{Row: r.Row, SetlID: r.SetlID, Hospital: r.Hospital, Category: "drug", RuleID: "X-1", Severity: "suspicious", Amount: 999, Status: "open"},
	}); err != nil {
		t.Fatal(err)
	}
	rows, _ = st.CaseRows(ctx, "none", time.Time{}, time.Time{})
	if rows[0].Deduction != 1234 || rows[0].Confirmed != "upcoding" {
		t.Fatalf("deduction %d categories %q", rows[0].Deduction, rows[0].Confirmed)
	}
	if n, err := st.QueueReviews(ctx, []sqlite.ReviewRow{{SetlID: r.SetlID, Row: r.Row, Hospital: r.Hospital, Period: "2025", Reason: "no_weight"}}); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	if n, _ := st.QueueReviews(ctx, []sqlite.ReviewRow{{SetlID: r.SetlID, Row: r.Row, Hospital: r.Hospital, Period: "2025", Reason: "no_weight"}}); n != 0 {
		t.Fatal("queued twice")
	}
	if err := st.DecideReview(ctx, r.SetlID, "approved", nil, "", "x", time.Now()); err == nil {
		t.Fatal("a decision without who must be refused")
	}
	pts := int64(1234567)
	if err := st.DecideReview(ctx, r.SetlID, "approved", &pts, "专家组", "病情复杂", time.Now()); err != nil {
		t.Fatal(err)
	}
	rv, err := st.Review(ctx, r.SetlID)
	if err != nil || rv.Status != "approved" || rv.DecidedBy != "专家组" || *rv.Points != pts || rv.DecidedAt.IsZero() {
		t.Fatalf("%+v %v", rv, err)
	}
}
