package sqlite_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/monitor"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/synth"
)

// TestFundSpendingMatchesDocuments: the pooled-fund spending the books take from the store
// equals the hifp_payamt of the settlement documents summed independently here, by fund and
// discharge month; the monthly series agree with it; the ledger synth writes loads and
// balances; a trailing month of late discharges is not counted as complete.
func TestFundSpendingMatchesDocuments(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	region := filepath.Join(dir, "region")
	cfg := synth.Config{Seed: 5, Hospitals: 8, Persons: 1500, Months: 14, Irregular: 0.05, Out: region}
	if _, err := synth.Run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteFundLedger(region, cfg); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ps, _ := ingest.NewPseudonymiser(bytes.Repeat([]byte{7}, 32))
	if _, err := ingest.Run(ctx, st, []string{region}, ingest.Options{Pseudonymiser: ps, Rejects: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	// Independent sums from the documents.
	want := map[string]int64{}
	f, _ := os.Open(filepath.Join(region, synth.SettlementsFile))
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var doc struct {
			Setlinfo struct {
				Insutype  string  `json:"insutype"`
				Dscg      string  `json:"dscg_time"`
				Adm       string  `json:"adm_time"`
				HifpPayam float64 `json:"hifp_payamt"`
			} `json:"setlinfo"`
		}
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		m := doc.Setlinfo.Dscg
		if m == "" {
			m = doc.Setlinfo.Adm
		}
		want[m[:7]+"|"+doc.Setlinfo.Insutype] += int64(math.Round(doc.Setlinfo.HifpPayam * 100))
	}
	spend, err := st.FundSpending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range spend {
		got[r.Period.String()+"|"+r.InsuType] += int64(r.FundFen)
	}
	if len(got) != len(want) {
		t.Fatalf("%d fund-months in the store, %d in the documents", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: store %d fen, documents %d", k, got[k], v)
		}
	}
	end, err := st.LastCompleteMonth(ctx)
	if err != nil || end.String() != "2025-02" {
		t.Errorf("last complete month %v %v, want 2025-02 (14 months from 2024-01)", end, err)
	}
	series, err := st.MonthlySeries(ctx, "total", "fund", "")
	if err != nil {
		t.Fatal(err)
	}
	tot := series["total"]
	if len(tot.Values) != 14 || tot.Start.String() != "2024-01" {
		t.Fatalf("series %v", tot)
	}
	for i, v := range tot.Values {
		m := tot.Period(i).String()
		if int64(v) != want[m+"|310"]+want[m+"|390"] {
			t.Errorf("%s: series %v, documents %d", m, v, want[m+"|310"]+want[m+"|390"])
		}
	}
	lf, _ := os.Open(filepath.Join(region, synth.FundFile))
	rows, rejects, err := monitor.ReadLedger(lf, synth.FundFile)
	lf.Close()
	if err != nil || len(rejects) > 0 || len(rows) != 28 {
		t.Fatalf("ledger: %d rows, %v, %v", len(rows), rejects, err)
	}
	if err := st.PutLedger(ctx, rows, "fund.csv"); err != nil {
		t.Fatal(err)
	}
	ledger, _ := st.Ledger(ctx)
	books, err := monitor.Books(ledger, spend, monitor.DefaultBands)
	if err != nil || len(books) != 3*14 {
		t.Fatalf("books: %d, %v", len(books), err)
	}
	for _, b := range books {
		if b.InsuType != monitor.AllTypes && b.SettledFen != want[b.Period+"|"+b.InsuType] {
			t.Errorf("%s %s: settled %d, documents %d", b.Period, b.InsuType, b.SettledFen, want[b.Period+"|"+b.InsuType])
		}
	}
}
