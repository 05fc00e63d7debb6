package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao"
)

type contractMemSink struct {
	memSink
	contracts []yibao.Contract
}

func (m *contractMemSink) PutContracts(_ context.Context, cs []yibao.Contract) error {
	m.contracts = append(m.contracts, cs...)
	return nil
}

func TestContractsCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "contracts.csv")
	os.WriteFile(path, []byte("psn_no,institution,team,start,end\n"+
		"320100000001,H1,T1,2025-01-01,\n"+
		"320100000002,H1,T2,2025-01-01,2025-06-30\n"+
		"320100000003,,T2,2025-01-01,\n"+
		"320100000004,H2,T1,2025-07-01,2025-03-01\n"+
		"320100000005,H2,T1,not-a-date,\n"), 0o644)
	p, _ := NewPseudonymiser(bytes.Repeat([]byte{7}, 32))
	sink := &contractMemSink{}
	var rejects bytes.Buffer
	sum, err := Run(context.Background(), sink, []string{path}, Options{Pseudonymiser: p, Rejects: &rejects})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Contracts != 2 || sum.ContractsRejected != 3 {
		t.Fatalf("summary %+v", sum)
	}
	if c := sink.contracts[0]; c.Person != p.Person("320100000001") || c.Institution != "H1" || !c.End.IsZero() {
		t.Fatalf("contract %+v", c)
	}
	if c := sink.contracts[1]; c.End.Format("2006-01-02") != "2025-06-30" {
		t.Fatalf("end %v", c.End)
	}
	out := rejects.String()
	for _, want := range []string{`"institution"`, `"before_start"`, `"start"`} {
		if !strings.Contains(out, want) {
			t.Errorf("rejects lack %s: %s", want, out)
		}
	}
	if strings.Contains(out, "320100000003") {
		t.Error("psn_no in clear in the rejects")
	}
	// A sink that keeps no contracts refuses the file instead of dropping it.
	if _, err := Run(context.Background(), &memSink{}, []string{path}, Options{Pseudonymiser: p}); err == nil {
		t.Error("contracts accepted by a sink that cannot keep them")
	}
}
