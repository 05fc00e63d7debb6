package audit

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// quadratic is the pairwise definition of the three detectors, kept as the reference the
// sweep must agree with (which stays get which rule): a new admission is one not planned by
// the previous stay's flag and not the receiving end of its transfer; a split admission is
// found on the earlier stay.
func quadratic(kb *KB, h []Stay) []string {
	d := kb.Detectors
	sort.SliceStable(h, func(i, j int) bool {
		if !h[i].Admission.Equal(h[j].Admission) {
			return h[i].Admission.Before(h[j].Admission)
		}
		return h[i].SetlID < h[j].SetlID
	})
	newAdmission := func(i int) bool {
		if i == 0 {
			return true
		}
		a, b := h[i-1], h[i]
		gap := b.Admission.Sub(a.Discharge)
		planned := a.Planned && gap >= 0 && calendarDays(a.Discharge, b.Admission) <= d.PlannedReadmissionDays
		transfer := (a.Disposition == "2" || a.Disposition == "3") && a.Hospital != b.Hospital && gap >= 0 &&
			gap <= time.Duration(d.TransferWindowHours)*time.Hour
		return !planned && !transfer
	}
	var out []string
	for i, b := range h {
		for _, a := range h[:i] {
			if b.Admission.Before(a.Discharge) {
				out = append(out, b.SetlID+" OVL-001")
				break
			}
		}
		if i > 0 {
			a := h[i-1]
			if newAdmission(i) && !b.Admission.Before(a.Discharge) && calendarDays(a.Discharge, b.Admission) <= d.SplitAdmissionDays && a.Category == b.Category && a.Category != "" {
				out = append(out, a.SetlID+" SPL-001")
			}
		}
		if newAdmission(i) {
			n := 0
			for j, a := range h[:i+1] {
				if newAdmission(j) && b.Admission.Sub(a.Admission) < time.Duration(d.FrequentWindowDays)*24*time.Hour {
					n++
				}
			}
			if n > d.FrequentMax {
				out = append(out, b.SetlID+" FRQ-001")
			}
		}
	}
	return out
}

func randomStays(r *rand.Rand, n int) []Stay {
	t := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	var out []Stay
	for i := 0; i < n; i++ {
		t = t.Add(time.Duration(r.Intn(30*24)) * time.Hour)
		los := time.Duration(1+r.Intn(20*24)) * time.Hour
		out = append(out, Stay{SetlID: fmt.Sprintf("S%05d", i), Person: "p", Hospital: []string{"H", "H2"}[r.Intn(2)], Admission: t, Discharge: t.Add(los),
			Category: []string{"J18", "I10", "K35"}[r.Intn(3)], Planned: r.Intn(5) == 0, Disposition: []string{"1", "1", "2", "3"}[r.Intn(4)]})
	}
	return out
}

func TestCrossSettlementSweepAgreesWithPairwise(t *testing.T) {
	kb := loadTestKB(t, nil)
	r := rand.New(rand.NewSource(1))
	for round := 0; round < 50; round++ {
		stays := randomStays(r, 1+r.Intn(60))
		want := quadratic(kb, append([]Stay(nil), stays...))
		var got []string
		for _, f := range kb.CrossSettlement(stays) {
			got = append(got, f.SetlID+" "+f.RuleID)
		}
		sort.Strings(got)
		sort.Strings(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d:\n got %v\nwant %v", round, got, want)
		}
	}
}

func TestCrossSettlementHonoursCancellation(t *testing.T) {
	kb := loadTestKB(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := kb.CrossSettlementContext(ctx, randomStays(rand.New(rand.NewSource(2)), 5000)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}

// BenchmarkCrossSettlement30000 is one person with 30,000 stays (issue 10's attack).
func BenchmarkCrossSettlement30000(b *testing.B) {
	dir := b.TempDir()
	kb := loadKBFiles(b, dir)
	stays := randomStays(rand.New(rand.NewSource(3)), 30000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := kb.CrossSettlementContext(context.Background(), append([]Stay(nil), stays...)); err != nil {
			b.Fatal(err)
		}
	}
}

func loadKBFiles(tb testing.TB, dir string) *KB {
	tb.Helper()
	for name, body := range testKB {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	kb, err := LoadKB(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return kb
}
