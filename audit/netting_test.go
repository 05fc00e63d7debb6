package audit

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yibao-dev/yibao"
)

// FuzzNet: whatever the lines, netting never panics, never leaves a standing line with a
// net quantity above what it billed or at or below zero, and conserves quantity per item:
// standing + voided-away + unmatched refunds add up to the sum of all lines.
func FuzzNet(f *testing.F) {
	f.Add([]byte{1, 10, 0, 1, 252, 0, 2, 3, 1})
	f.Add([]byte{0, 2, 5, 0, 254, 5, 0, 2, 5, 1, 1, 7})
	f.Fuzz(func(t *testing.T, b []byte) {
		var fees []yibao.FeeLine
		t0 := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
		for i := 0; i+2 < len(b) && len(fees) < 64; i += 3 {
			q := yibao.Dec6(int8(b[i+1])) * yibao.Dec6Scale
			l := yibao.FeeLine{Serial: string(rune('a' + len(fees)%26)), ListCode: string(rune('A' + b[i]%3)), Qty: q, Price: 5 * yibao.Dec6Scale,
				Time: t0.Add(time.Duration(b[i+2]%48) * time.Hour)}
			if b[i+2]%2 == 0 {
				l.Order = "O" + string(rune('0'+b[i]%2))
			}
			l.Amount = yibao.MulFen(l.Qty, l.Price)
			fees = append(fees, l)
		}
		n := net(fees)
		total := map[string]yibao.Dec6{}
		for _, l := range fees {
			total[l.ListCode] += l.Qty
		}
		got := map[string]yibao.Dec6{}
		for _, nl := range n.lines {
			l := fees[nl.i]
			if nl.qty <= 0 || nl.qty > l.Qty {
				t.Fatalf("line %d: net %s of billed %s", nl.i, nl.qty, l.Qty)
			}
			got[l.ListCode] += nl.qty
		}
		for code, q := range n.unmatchedQty {
			got[code] -= q
		}
		for code := range total {
			if got[code] != total[code] {
				t.Fatalf("item %s: lines sum to %s, netting keeps %s", code, total[code], got[code])
			}
		}
	})
}

// FuzzLoadKB: a hostile knowledge base is refused with an error or loaded, never a panic.
func FuzzLoadKB(f *testing.F) {
	f.Add([]byte(testKB["items.csv"]), []byte(testKB["detectors.json"]), []byte("proc_prefix,dx_prefixes,reason\n36.06,I20|I21,x\n"))
	f.Add([]byte("code,name,sex,min_age,max_age,indications,min_hosp_level,max_qty_per_day,max_qty_per_stay,max_price,auto_daily\nA,,,,,,,,,,2\n"),
		[]byte(`{"drug_share_max":1.5}`), []byte("proc_prefix,dx_prefixes\n,\n"))
	f.Fuzz(func(t *testing.T, items, detectors, dxp []byte) {
		dir := t.TempDir()
		for name, b := range map[string][]byte{"items.csv": items, "detectors.json": detectors, "dx_procedure.csv": dxp} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		kb, err := LoadKB(dir)
		if err == nil && kb.Detectors.DrugShareMax >= 1 {
			t.Fatalf("drug share %v accepted", kb.Detectors.DrugShareMax)
		}
	})
}
