package synth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao/monitor"
)

// TestWriteFundLedger: the ledger written for a region is valid for the monitor (no rejects,
// an opening balance on each fund's first month, every month from the first to the last) and
// its income covers the settled spending by the documented ratios.
func TestWriteFundLedger(t *testing.T) {
	dir := t.TempDir()
	docs := `{"setlinfo":{"setl_id":"S1","insutype":"310","dscg_time":"2024-01-10 10:00:00","hifp_payamt":1000.50}}
{"setlinfo":{"setl_id":"S2","insutype":"390","dscg_time":"2024-01-11 10:00:00","hifp_payamt":300}}
{"setlinfo":{"setl_id":"S3","insutype":"310","dscg_time":"2024-03-02 10:00:00","hifp_payamt":999.50}}
{"setlinfo":{"setl_id":"S4","insutype":"310","dscg_time":"2024-04-02 10:00:00","hifp_payamt":5}}
`
	os.WriteFile(filepath.Join(dir, SettlementsFile), []byte(docs), 0o644)
	os.WriteFile(filepath.Join(dir, PersonsFile), []byte("psn_no,certno,name,sex,birth_date,insutype\nP1,,,1,1960-01-01,310\nP2,,,2,1970-01-01,390\nP3,,,2,1970-01-01,390\n"), 0o644)
	if err := WriteFundLedger(dir, Config{Months: 3}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(filepath.Join(dir, FundFile))
	defer f.Close()
	rows, rejects, err := monitor.ReadLedger(f, FundFile)
	if err != nil || len(rejects) > 0 {
		t.Fatalf("%v %v", rejects, err)
	}
	// 310: January, February (filled) and March; 390: January only.
	if len(rows) != 4 || rows[0].OpeningBalance == nil || rows[1].OpeningBalance != nil || rows[0].Insured != 1 || rows[3].Insured != 2 {
		t.Fatalf("%+v", rows)
	}
	// Employee mean spending (1000.50 + 0 + 999.50) / 3 = 666.67 yuan; income 1.12 × that.
	if inc := rows[0].Income; inc < 74600 || inc > 74700 {
		t.Errorf("employee income %d fen", inc)
	}
	b, _ := os.ReadFile(filepath.Join(dir, FundFile))
	if !strings.HasPrefix(string(b), "period,insutype,income,other_expenditure,opening_balance,insured\n") {
		t.Error("header")
	}
}
