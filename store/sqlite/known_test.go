package sqlite

import (
	"context"
	"testing"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/ingest"
)

// One batch carrying a settlement twice (a correction uploaded right after the original)
// loads the first and makes the second a new version, as two batches would: the batch-level
// lookup of known ids must see the batch's own inserts.
func TestSameSettlementTwiceInOneBatch(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, b := benchSettlement(1), benchSettlement(1)
	b.Fees = b.Fees[:29]
	c := benchSettlement(2)
	out, err := st.PutSettlements(context.Background(), []*yibao.Settlement{a, c, b, a})
	if err != nil {
		t.Fatal(err)
	}
	want := []ingest.Outcome{ingest.Loaded, ingest.Loaded, ingest.NewVersion}
	for i, w := range want {
		if out[i] != w {
			t.Fatalf("outcomes %v, want %v then a refused or duplicate repeat", out, want)
		}
	}
	if out[3] == ingest.Loaded || out[3] == ingest.NewVersion {
		t.Fatalf("the original re-sent after its correction became current again: %v", out)
	}
	again, err := st.PutSettlements(context.Background(), []*yibao.Settlement{c})
	if err != nil || again[0] != ingest.Duplicate {
		t.Fatalf("%v %v", again, err)
	}
}
