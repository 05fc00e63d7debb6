package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/yibao-dev/yibao/ingest"
)

// List counts accumulate over ingest runs and are read back for the months of a period.
func TestListCountsAccumulateAndFilterByMonth(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	run := []ingest.ListCount{
		{Hospital: "H1", Month: "2024-12", Read: 5, Rejected: 1, Reasons: map[string]int{"bad_icd10": 1}},
		{Hospital: "H1", Month: "2025-01", Read: 10, Rejected: 2, Reasons: map[string]int{"bad_icd10": 2}},
		{Hospital: "H1", Month: "2025-12", Read: 3},
		{Hospital: "H1", Month: "2026-01", Read: 7, Rejected: 7},
	}
	for i := 0; i < 2; i++ {
		if err := st.AddListCounts(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := st.IndicatorSource().ListCounts(ctx, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Month != "2025-01" || cs[0].Read != 20 || cs[0].Rejected != 4 || cs[0].Reasons["bad_icd10"] != 4 || cs[1].Read != 6 {
		t.Fatalf("%+v", cs)
	}
}
