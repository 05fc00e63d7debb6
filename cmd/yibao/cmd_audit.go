package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/audit"
	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/store/sqlite"
)

func runAudit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit", "audit --kb DIR --in FILE... --out findings.csv | audit --db DIR --kb DIR [--evaluate labels.csv] [--confirm-definite]")
	kbDir := fs.String("kb", "", "knowledge-base directory (items.csv, exclusive.csv, bundles.csv, dx_evidence.csv, detectors.json, rules.json)")
	var inputs multiFlag
	fs.Var(&inputs, "in", "settlement documents to audit without a store (repeatable; JSON, NDJSON, CSV pair, registry)")
	out := fs.String("out", "", "findings CSV (default: standard output in file mode)")
	db := fs.String("db", "", "audit the settlements in this data directory")
	labels := fs.String("evaluate", "", "labels.csv of a synthetic region: print precision and recall per category")
	confirm := fs.Bool("confirm-definite", false, "store the definite violations of auto-confirmable rules (docs/knowledge-base.md, confirmation policy) as confirmed; all others stay open for review")
	scheme := fs.String("scheme", demoSchemeID, "scheme whose DRGs group stays for the excessive-stay detector (store mode): a scheme file, \"demo\", or a stored scheme id")
	asJSON := fs.Bool("json", false, "JSON summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if id, err := schemeIDOf(e, *scheme); err != nil {
		return err
	} else {
		*scheme = id
	}
	inputs = append(inputs, fs.Args()...)
	if *kbDir == "" {
		return usageError{msg: "--kb is required"}
	}
	if (len(inputs) == 0) == (*db == "" && e.getenv("YIBAO_DB") == "") {
		return usageError{msg: "give documents (--in) or a store (--db), not both"}
	}
	kb, err := audit.LoadKB(*kbDir)
	if err != nil {
		return err
	}
	start := time.Now()
	var findings []audit.Finding
	var audited int
	if len(inputs) > 0 {
		findings, audited, err = auditFiles(ctx, kb, inputs)
	} else {
		findings, audited, err = auditStore(ctx, e, kb, dataDir(e, *db), *scheme, *confirm)
	}
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	if *out != "" || len(inputs) > 0 {
		if err := writeFindingsCSV(e, *out, findings); err != nil {
			return err
		}
	}
	byCat := map[string]int{}
	for _, f := range findings {
		byCat[f.Category]++
	}
	var scores []audit.Score
	if *labels != "" {
		ls, err := readLabels(*labels)
		if err != nil {
			return err
		}
		scores = audit.Evaluate(findings, ls)
	}
	w := e.stdout
	if len(inputs) > 0 && *out == "" {
		w = e.stderr
	}
	if *asJSON {
		return json.NewEncoder(w).Encode(map[string]any{"kb": kb.Version, "settlements": audited, "findings": len(findings),
			"by_category": byCat, "seconds": secs, "scores": scores})
	}
	names := map[string]string{}
	for c := range byCat {
		names[c] = audit.CategoryZh(c)
	}
	fmt.Fprintf(w, "audited %d settlements with knowledge base %s in %.1fs (%.0f/s): %d findings (%s)\n",
		audited, kb.Version, secs, float64(audited)/secs, len(findings), countsLine(byCat, names))
	if len(scores) > 0 {
		fmt.Fprintf(w, "%-24s %-12s %7s %8s %6s %9s %7s\n", "category", "类别", "labels", "findings", "hits", "precision", "recall")
		for _, s := range scores {
			fmt.Fprintf(w, "%-24s %-12s %7d %8d %6d %9.4f %7.4f\n", s.Category, audit.CategoryZh(s.Category), s.Labels, s.Findings, s.Hits, s.Precision, s.Recall)
		}
	}
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// memSink collects what ingest validates, for the stateless file mode.
type memSink struct {
	settlements []*yibao.Settlement
	levels      map[string]int
}

func (m *memSink) PutHospitals(_ context.Context, hs []yibao.Hospital) error {
	for _, h := range hs {
		m.levels[h.Code] = h.Level
	}
	return nil
}

func (m *memSink) PutSettlements(_ context.Context, ss []*yibao.Settlement) ([]ingest.Outcome, error) {
	m.settlements = append(m.settlements, ss...)
	return make([]ingest.Outcome, len(ss)), nil
}

// auditFiles audits documents without a store: the documents given are the whole history.
// They are validated like ingest does (invalid ones are not audited) and pseudonymised with
// a key that lives only for this run.
func auditFiles(ctx context.Context, kb *audit.KB, paths []string) ([]audit.Finding, int, error) {
	key := make([]byte, 32)
	rand.Read(key)
	ps, _ := ingest.NewPseudonymiser(key)
	sink := &memSink{levels: map[string]int{}}
	// A diagnosis of the other sex is a finding here (SEX-002), not a reason to skip the document.
	if _, err := ingest.Run(ctx, sink, paths, ingest.Options{Pseudonymiser: ps, Tolerate: map[string]bool{"sex_specific_diagnosis": true}}); err != nil {
		return nil, 0, err
	}
	fs, err := kb.AuditAll(ctx, 0, func(yield func(audit.Input) error) error {
		for i, s := range sink.settlements {
			if err := yield(audit.Input{Settlement: s, Row: int64(i + 1), Level: sink.levels[s.Hospital]}); err != nil {
				return err
			}
		}
		return nil
	})
	return fs, len(sink.settlements), err
}

func auditStore(ctx context.Context, e *env, kb *audit.KB, dir, scheme string, confirm bool) ([]audit.Finding, int, error) {
	st, err := openStore(e, dir)
	if err != nil {
		return nil, 0, err
	}
	defer st.Close()
	levels, err := st.HospitalLevels(ctx)
	if err != nil {
		return nil, 0, err
	}
	drgs, err := st.DRGByRow(ctx, scheme)
	if err != nil {
		return nil, 0, err
	}
	n := 0
	fs, err := kb.AuditAll(ctx, 0, func(yield func(audit.Input) error) error {
		// The detail is decoded on the audit workers: one SQLite reader feeds them raw rows.
		return st.EachCurrentDetail(ctx, sqlite.Filter{}, func(row int64, detail string) error {
			n++
			return yield(audit.Input{Row: row, Group: drgs[row], Levels: levels, Decode: func(s *yibao.Settlement) error {
				return sqlite.DecodeDetailReuse(detail, s)
			}})
		})
	})
	if err != nil {
		return nil, 0, err
	}
	rows := make([]sqlite.FindingRow, len(fs))
	for i, f := range fs {
		rows[i] = sqlite.FindingRow{Row: f.Row, SetlID: f.SetlID, Hospital: f.Hospital, Serial: f.Serial, Category: f.Category, RuleID: f.RuleID,
			Severity: f.Severity, Evidence: f.Evidence, KBVersion: kb.Version, Related: f.Related, Amount: int64(f.Amount)}
		if confirm && audit.AutoConfirmable(f) {
			rows[i].Status = "confirmed"
		}
	}
	if _, err := st.PutFindings(ctx, rows); err != nil {
		return nil, 0, err
	}
	return fs, n, nil
}

func writeFindingsCSV(e *env, path string, fs []audit.Finding) error {
	var w io.Writer = e.stdout
	if path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	cw.Write([]string{"setl_id", "feedetl_sn", "category", "rule_id", "severity", "amount", "hospital", "related", "evidence"})
	for _, f := range fs {
		cw.Write([]string{f.SetlID, f.Serial, f.Category, f.RuleID, f.Severity, f.Amount.String(), f.Hospital, strings.Join(f.Related, "|"), f.Evidence})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

func readLabels(path string) ([]audit.Label, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	var out []audit.Label
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if line == 1 && rec[0] == "kind" {
			continue
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("%s line %d: want kind,setl_id,feedetl_sn", path, line)
		}
		l := audit.Label{Kind: rec[0], SetlID: rec[1]}
		if len(rec) > 2 {
			l.Serial = rec[2]
		}
		out = append(out, l)
	}
}
