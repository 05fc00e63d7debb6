package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzJSONDocuments feeds arbitrary bytes through the splitter, parser and validator: no
// input may panic, and every record is either loaded or rejected with a reason.
func FuzzJSONDocuments(f *testing.F) {
	f.Add([]byte("[" + goodDoc + "]"))
	f.Add([]byte(goodDoc + "\n" + goodDoc))
	f.Add([]byte(`[{"setlinfo":{"setl_id":"\"\\"}},`))
	f.Add([]byte(`{"setlinfo":{"medfee_sumamt":1e999,"age":-1e3}}`))
	ps, _ := NewPseudonymiser(make([]byte, 32))
	f.Fuzz(func(t *testing.T, data []byte) {
		sp := newRecordSplitter(bytes.NewReader(data))
		w := newWorker(ps, nil)
		for n := 0; n < 1000; n++ {
			rec, err := sp.Next()
			if err == io.EOF {
				return
			}
			if err != nil && err != errTruncated {
				return
			}
			res := w.processJSON(rec, 0, err == errTruncated)
			if res.s == nil && len(res.reasons) == 0 {
				t.Fatalf("record %q neither loaded nor given a reason", rec)
			}
			if err == errTruncated {
				return
			}
		}
	})
}

// FuzzCSVPair runs arbitrary settlements.csv and fees.csv contents through ingest.
func FuzzCSVPair(f *testing.F) {
	f.Add([]byte(settlementsCSV), []byte(feesCSV))
	f.Add([]byte("setl_id,psn_no\n\"unterminated"), []byte("setl_id,feedetl_sn,med_list_codg\n"))
	ps, _ := NewPseudonymiser(make([]byte, 32))
	f.Fuzz(func(t *testing.T, settlements, fees []byte) {
		dir := t.TempDir()
		sp, fp := filepath.Join(dir, "settlements.csv"), filepath.Join(dir, "fees.csv")
		os.WriteFile(sp, append([]byte("setl_id,psn_no,"), settlements...), 0o644)
		os.WriteFile(fp, append([]byte("setl_id,feedetl_sn,med_list_codg,"), fees...), 0o644)
		sum, err := Run(context.Background(), newMemSink(), []string{dir}, Options{Pseudonymiser: ps, Rejects: io.Discard})
		if err != nil {
			return // unreadable header: reported as an error, not a panic
		}
		if stored := sum.Loaded + sum.Duplicates + sum.NewVersions; stored > sum.Read || stored+sum.Rejected < sum.Read {
			t.Fatalf("records lost: %+v", sum)
		}
	})
}

// FuzzMaskJSON: whatever a rejected record holds, what the rejects file keeps is valid JSON,
// and a personal number planted in the record never comes out in clear.
func FuzzMaskJSON(f *testing.F) {
	for _, s := range []string{goodDoc, `{"setlinfo":[1]}`, `{"setlinfo":{"psn\u005fno":"X"}}`, `{"psn_no":"`, `[]`, `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		const secret = "SECRETPSN4711"
		for _, raw := range []string{doc, strings.Replace(doc, `"psn_no":"`, `"psn_no":"`+secret, 1)} {
			out := maskJSON([]byte(raw), 0)
			if !json.Valid(out) {
				t.Fatalf("invalid JSON %q from %q", out, raw)
			}
			if strings.Contains(raw, `"psn_no":"`+secret) && strings.Contains(string(out), secret) {
				t.Fatalf("personal number kept: %s", out)
			}
		}
	})
}
