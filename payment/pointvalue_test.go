package payment

import (
	"math/rand/v2"
	"testing"

	"github.com/yibao-dev/yibao"
)

// Hand calculation: B = 1,000.00 yuan, patients paid 10.00 (H1) and 20.00 (H2), so B + P =
// 1,030.00 yuan = 103,000 fen over 3 points: 34,333.33… fen each; floors give 102,999 and
// the one fen left goes to the smallest code among equal remainders (H1).
func TestSettlePointsGolden(t *testing.T) {
	s, err := SettlePoints([]PointAccount{
		{Hospital: "H3", Cases: 1, Points: PointsOf(1)},
		{Hospital: "H1", Cases: 1, Points: PointsOf(1), PatientPaid: 1000},
		{Hospital: "H2", Cases: 1, Points: PointsOf(1), PatientPaid: 2000, Deduction: 500},
	}, 100000)
	if err != nil {
		t.Fatal(err)
	}
	if s.Total() != 103000 || s.TotalPoints != 30000 {
		t.Fatalf("total %d points %d", s.Total(), s.TotalPoints)
	}
	if got := s.PointValueString(6); got != "343.333333" {
		t.Fatalf("point value %s, want 343.333333", got)
	}
	want := []HospitalPoints{
		{Hospital: "H1", Cases: 1, Points: 10000, Amount: 34334, PatientPaid: 1000, FundPaid: 33334},
		{Hospital: "H2", Cases: 1, Points: 10000, Amount: 34333, PatientPaid: 2000, Deduction: 500, FundPaid: 31833},
		{Hospital: "H3", Cases: 1, Points: 10000, Amount: 34333, FundPaid: 34333},
	}
	for i, w := range want {
		if s.Hospitals[i] != w {
			t.Errorf("hospital %d: %+v, want %+v", i, s.Hospitals[i], w)
		}
	}
}

func TestApportionLargestRemainder(t *testing.T) {
	// 10 fen over six equal weights: 1 each with remainder 4/6; four fen left go to the
	// first four keys.
	got, err := Apportion(10, []int64{1, 1, 1, 1, 1, 1}, []string{"f", "e", "d", "c", "b", "a"})
	if err != nil {
		t.Fatal(err)
	}
	want := []yibao.Fen{1, 1, 2, 2, 2, 2}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// 100 fen over 1:2 → 33.33 and 66.67: floors 33 and 66, the fen goes to the larger remainder.
	got, _ = Apportion(100, []int64{1, 2}, nil)
	if got[0] != 33 || got[1] != 67 {
		t.Fatalf("1:2 → %v, want [33 67]", got)
	}
	if _, err := Apportion(5, []int64{0, 0}, nil); err == nil {
		t.Fatal("zero weights with money to share must fail")
	}
	if _, err := Apportion(5, []int64{1, -1}, nil); err == nil {
		t.Fatal("negative weight must fail")
	}
}

func TestSettlePointsSumsExactly(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for trial := 0; trial < 300; trial++ {
		n := 1 + r.IntN(60)
		acc := make([]PointAccount, n)
		for i := range acc {
			acc[i] = PointAccount{
				Hospital:    string(rune('A'+i%26)) + string(rune('a'+i/26)),
				Points:      Points(r.Int64N(5_000_000_0000)),
				PatientPaid: yibao.Fen(r.Int64N(1_000_000_00)),
			}
		}
		acc[0].Points++ // at least one point
		budget := yibao.Fen(r.Int64N(50_000_000_000_00))
		s, err := SettlePoints(acc, budget)
		if err != nil {
			t.Fatal(err)
		}
		var sum yibao.Fen
		for _, h := range s.Hospitals {
			sum += h.Amount
		}
		if sum != budget+s.PatientPaid {
			t.Fatalf("trial %d: Σ amounts %d ≠ B + P %d", trial, sum, budget+s.PatientPaid)
		}
	}
}

func TestSettlePointsRefusals(t *testing.T) {
	if _, err := SettlePoints([]PointAccount{{Hospital: "H", Points: -1}}, 1); err == nil {
		t.Error("negative points accepted")
	}
	if _, err := SettlePoints([]PointAccount{{Hospital: "H"}, {Hospital: "H", Points: 1}}, 1); err == nil {
		t.Error("duplicate hospital accepted")
	}
	if _, err := SettlePoints([]PointAccount{{Hospital: "H"}}, 1); err == nil {
		t.Error("zero points accepted")
	}
	if _, err := SettlePoints(nil, -1); err == nil {
		t.Error("negative budget accepted")
	}
}

// Hand calculation: expected 10,000.01 yuan; 90% = 9,000.009 → 9,000.01; 3% = 300.0003 →
// 300.00. Clearing with F = 10,000.00, prepaid 9,000.00, withheld 300.00 and grade 一般
// (80%): returned 240.00, due 10,000 − 9,000 − 300 + 240 = 940.00.
func TestPrepayAndClearGolden(t *testing.T) {
	p := Prepay(1000001, RatioOf(0.9), RatioOf(0.03))
	if p.Advance != 900001 || p.Withheld != 30000 {
		t.Fatalf("prepay %+v", p)
	}
	if p := Prepay(-5, RatioOf(0.9), RatioOf(0.03)); p.Advance != 0 || p.Withheld != 0 {
		t.Fatalf("negative expectation prepaid %+v", p)
	}
	c := Clear(1000000, 900000, 30000, RatioOf(0.8))
	if c.Returned != 24000 || c.Due != 94000 {
		t.Fatalf("clearing %+v", c)
	}
	if c := Clear(800000, 900000, 30000, RatioOf(0.5)); c.Due != 800000-900000-30000+15000 {
		t.Fatalf("repayment clearing %+v", c)
	}
}
