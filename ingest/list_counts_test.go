package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// countingSink is a memSink that keeps the list counts ingest hands over.
type countingSink struct {
	*memSink
	counts []ListCount
}

func (c *countingSink) AddListCounts(_ context.Context, cs []ListCount) error {
	c.counts = append(c.counts, cs...)
	return nil
}

// Three records of H1 discharged in 2024-03 (one rejected for a bad ICD-10 code and a total
// mismatch: one record, two reasons), one of H2, and one whose hospital code is not a
// plausible code: counted per hospital and month, the bad code under "?".
func TestIngestKeepsListCountsPerHospital(t *testing.T) {
	flat := strings.ReplaceAll(goodDoc, "\n", "")
	docs := []string{
		strings.Replace(flat, `"S1"`, `"S2"`, 1),
		strings.Replace(flat, `"S1"`, `"S3"`, 1),
		strings.Replace(strings.Replace(strings.Replace(flat, `"S1"`, `"S4"`, 1), `"diag_code":"K35.800x001"`, `"diag_code":"k35.8"`, 1), `"medfee_sumamt":420.50`, `"medfee_sumamt":400.50`, 1),
		strings.Replace(strings.Replace(flat, `"S1"`, `"S5"`, 1), `"fixmedins_code":"H1"`, `"fixmedins_code":"H2"`, 1),
		strings.Replace(strings.Replace(flat, `"S1"`, `"S6"`, 1), `"fixmedins_code":"H1"`, `"fixmedins_code":"<b>x</b>"`, 1),
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "a.ndjson")
	if err := os.WriteFile(p, []byte(strings.Join(docs, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sink := &countingSink{memSink: newMemSink()}
	ps, _ := NewPseudonymiser([]byte("0123456789abcdef0123456789abcdef"))
	var rejects bytes.Buffer
	if _, err := Run(context.Background(), sink, []string{p}, Options{Pseudonymiser: ps, Rejects: &rejects}); err != nil {
		t.Fatal(err)
	}
	by := map[string]ListCount{}
	for _, c := range sink.counts {
		by[c.Hospital+" "+c.Month] = c
	}
	h1 := by["H1 2024-03"]
	if h1.Read != 3 || h1.Rejected != 1 || h1.Reasons["bad_icd10"] != 1 || h1.Reasons["total_mismatch"] != 1 {
		t.Errorf("H1 %+v (all %+v)", h1, sink.counts)
	}
	if h2 := by["H2 2024-03"]; h2.Read != 1 || h2.Rejected != 0 {
		t.Errorf("H2 %+v", h2)
	}
	if q := by["? 2024-03"]; q.Read != 1 {
		t.Errorf("implausible code %+v (all %+v)", q, sink.counts)
	}
}
