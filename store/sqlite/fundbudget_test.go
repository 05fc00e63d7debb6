package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/yibao-dev/yibao/store/sqlite"
)

// The evaluation's budget base is on the fund basis: for a hospital with A_h = 10,000.00
// yuan of which the patients paid 4,000.00 and 100.00 was deducted, the base is
// A_h − P_h = 6,000.00 (the hospitals' bases add up to B, since Σ A_h = B + P); the newest
// settle run of the period is the one read.
func TestFundBudgetByHospital(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	put := func(settled, patient int64) {
		h := map[string]any{"H1": map[string]int64{"settled_fen": settled, "patient_pay_fen": patient, "deduction_fen": 10000, "fund_outlay_fen": settled - patient - 10000}}
		if _, err := st.PutPaymentRun(ctx, sqlite.PaymentRun{Kind: "settle", Period: "2025"}, nil, h); err != nil {
			t.Fatal(err)
		}
	}
	put(500000, 100000) // an older run, superseded
	put(1000000, 400000)
	got, err := st.FundBudgetByHospital(ctx, "2025")
	if err != nil {
		t.Fatal(err)
	}
	if got["H1"] != 600000 || len(got) != 1 {
		t.Fatalf("got %v, want H1 600000 fen", got)
	}
	none, err := st.FundBudgetByHospital(ctx, "2024")
	if err != nil || len(none) != 0 {
		t.Fatalf("no run: %v %v", none, err)
	}
}
