// Package ingest reads settlement documents (canonical JSON or NDJSON, the analysts' CSV
// pair) and the hospital registry, validates every record, pseudonymises personal data and
// hands good records to a Sink. Bad records go to a rejects stream with their reasons.
package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/valyala/fastjson"
	"github.com/yibao-dev/yibao"
)

// Outcome is what the store did with one settlement.
type Outcome uint8

const (
	Loaded     Outcome = iota // first version of this setl_id
	NewVersion                // same setl_id, changed content: stored as the new current version
	Duplicate                 // identical to the current version: nothing written
	// RefusedOtherHospital: the setl_id belongs to another hospital's settlement; the
	// document is recorded, not stored as a version (identity includes the hospital).
	RefusedOtherHospital
	// RefusedOlder: the document repeats an earlier version or was settled before the
	// current one; versions only move forward.
	RefusedOlder
	outcomes // number of outcomes
)

// String is the outcome's stable code.
func (o Outcome) String() string {
	switch o {
	case Loaded:
		return "loaded"
	case NewVersion:
		return "new_version"
	case Duplicate:
		return "duplicate"
	case RefusedOtherHospital:
		return "other_hospital"
	case RefusedOlder:
		return "older_version"
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Sink stores what ingest produced. PutSettlements must treat the slice in order (a later
// element with the same setl_id is a later version) and store each settlement whole or not
// at all.
type Sink interface {
	PutHospitals(ctx context.Context, hs []yibao.Hospital) error
	PutSettlements(ctx context.Context, ss []*yibao.Settlement) ([]Outcome, error)
}

// FileSink is a Sink that records the files settlements come from (lineage): BeginFile
// before the first settlement of a file reaches PutSettlements, EndFile after the last.
type FileSink interface {
	BeginFile(ctx context.Context, path, operator string) error
	EndFile(ctx context.Context, path string, f FileSummary) error
}

// FileSummary is what one file brought.
type FileSummary struct {
	SHA256   string `json:"sha256"`
	Bytes    int64  `json:"bytes"`
	Read     int    `json:"read"`
	Loaded   int    `json:"loaded"` // new settlements and new versions
	Rejected int    `json:"rejected"`
}

// Options tune a run. Zero values pick sensible defaults.
type Options struct {
	Pseudonymiser *Pseudonymiser // required
	Rejects       io.Writer      // NDJSON; nil discards
	Workers       int            // parsing workers; default GOMAXPROCS
	BatchSize     int            // settlements per store transaction; default 2000
	Progress      func(Progress) // called about every 250 ms
	// Tolerate lists problem codes that do not reject a record. The stateless audit
	// tolerates sex_specific_diagnosis, which it reports as a finding instead.
	Tolerate map[string]bool
	// Operator names who loaded the files, for the lineage of a FileSink.
	Operator string
}

// Progress is a snapshot of a running ingest.
type Progress struct {
	Read       int
	BytesDone  int64
	BytesTotal int64
	Elapsed    time.Duration
}

// Summary counts what a run did.
type Summary struct {
	Files             int `json:"files"`
	Read              int `json:"read"`
	Loaded            int `json:"loaded"`
	NewVersions       int `json:"new_versions"`
	Duplicates        int `json:"duplicates"`
	Refused           int `json:"refused"` // versions refused: another hospital's setl_id, or older than the current
	Rejected          int `json:"rejected"`
	Hospitals         int `json:"hospitals"`
	HospitalsRejected int `json:"hospitals_rejected"`
	Contracts         int `json:"contracts"`
	ContractsRejected int `json:"contracts_rejected"`
}

// Reject is one line of the rejects file.
type Reject struct {
	File     string          `json:"file"`
	Record   int             `json:"record"` // 1-based position in the file (CSV: data row)
	SetlID   string          `json:"setl_id,omitempty"`
	Reasons  []Problem       `json:"reasons"`
	Original json.RawMessage `json:"original"` // personal identifiers masked
}

type run struct {
	lists    map[[2]string]*ListCount
	ctx      context.Context
	sink     Sink
	opt      Options
	sum      Summary
	rejects  *json.Encoder
	start    time.Time
	total    int64
	doneBase int64
	lastProg time.Time
	fileSHA  string // of the JSON file just read, hashed as it streamed
}

// Run ingests every path (files, or directories whose files are taken in name order with
// hospital registries first).
func Run(ctx context.Context, sink Sink, paths []string, opt Options) (Summary, error) {
	if opt.Pseudonymiser == nil {
		return Summary{}, errors.New("ingest: a pseudonymiser is required")
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 2000
	}
	if opt.Rejects == nil {
		opt.Rejects = io.Discard
	}
	files, err := classify(paths)
	if err != nil {
		return Summary{}, err
	}
	r := &run{ctx: ctx, sink: sink, opt: opt, rejects: json.NewEncoder(opt.Rejects), start: time.Now()}
	r.rejects.SetEscapeHTML(false)
	for _, f := range files {
		if st, err := os.Stat(f.path); err == nil {
			r.total += st.Size()
		}
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return r.sum, err
		}
		r.sum.Files++
		fs, lineage := r.sink.(FileSink)
		before := r.sum
		if lineage && (f.kind == kindJSON || f.kind == kindSettlementCSV) {
			if err := fs.BeginFile(ctx, f.path, r.opt.Operator); err != nil {
				return r.sum, fmt.Errorf("ingest %s: lineage: %w", f.path, err)
			}
		} else {
			lineage = false
		}
		r.fileSHA = ""
		var err error
		switch f.kind {
		case kindHospitals:
			err = r.hospitals(f.path)
		case kindJSON:
			err = r.jsonFile(f.path)
		case kindSettlementCSV:
			err = r.csvPair(f.path, f.fees)
		case kindContracts:
			err = r.contracts(f.path)
		}
		if err != nil {
			return r.sum, err
		}
		var size int64
		if st, err := os.Stat(f.path); err == nil {
			size = st.Size()
			r.doneBase += size
		}
		if lineage {
			if r.fileSHA == "" {
				if r.fileSHA, err = fileSHA256(f.path); err != nil {
					return r.sum, fmt.Errorf("ingest %s: lineage: %w", f.path, err)
				}
			}
			sum := FileSummary{SHA256: r.fileSHA, Bytes: size, Read: r.sum.Read - before.Read, Rejected: r.sum.Rejected - before.Rejected,
				Loaded: r.sum.Loaded + r.sum.NewVersions - before.Loaded - before.NewVersions}
			if err := fs.EndFile(ctx, f.path, sum); err != nil {
				return r.sum, fmt.Errorf("ingest %s: lineage: %w", f.path, err)
			}
		}
	}
	r.progress(0, true)
	if lc, ok := sink.(ListCounter); ok && len(r.lists) > 0 {
		cs := make([]ListCount, 0, len(r.lists))
		for _, c := range r.lists {
			cs = append(cs, *c)
		}
		if err := lc.AddListCounts(ctx, cs); err != nil {
			return r.sum, fmt.Errorf("ingest: store list counts: %w", err)
		}
	}
	return r.sum, nil
}

type fileKind int

const (
	kindJSON fileKind = iota
	kindHospitals
	kindSettlementCSV
	kindContracts
)

type inputFile struct {
	path string
	kind fileKind
	fees string // for kindSettlementCSV
}

// classify expands directories and decides each file's kind from its name and header.
func classify(paths []string) ([]inputFile, error) {
	var all []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("ingest %s: %w", p, err)
		}
		if !st.IsDir() {
			all = append(all, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("ingest %s: %w", p, err)
		}
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !e.IsDir() && (ext == ".json" || ext == ".ndjson" || ext == ".jsonl" || ext == ".csv") {
				all = append(all, filepath.Join(p, e.Name()))
			}
		}
	}
	var out, hosp []inputFile
	var settlementCSVs []string
	feesByDir := map[string][]string{}
	for _, p := range all {
		switch strings.ToLower(filepath.Ext(p)) {
		case ".json", ".ndjson", ".jsonl":
			out = append(out, inputFile{path: p, kind: kindJSON})
		case ".csv":
			header, err := csvHeader(p)
			if err != nil {
				return nil, fmt.Errorf("ingest %s: %w", p, err)
			}
			switch {
			case header["feedetl_sn"] && header["setl_id"] && header["med_list_codg"]:
				feesByDir[filepath.Dir(p)] = append(feesByDir[filepath.Dir(p)], p)
			case header["setl_id"] && header["psn_no"]:
				settlementCSVs = append(settlementCSVs, p)
			case header["code"] && header["level"]:
				hosp = append(hosp, inputFile{path: p, kind: kindHospitals})
			case header["psn_no"] && header["institution"] && header["start"]:
				out = append(out, inputFile{path: p, kind: kindContracts})
			default:
				// Other CSVs (labels, knowledge-base tables) are not ingest input; skip them
				// when a directory was given, refuse them when named.
				if contains(paths, p) {
					return nil, fmt.Errorf("ingest %s: not a settlements, fees or hospital registry CSV (want setl_id+psn_no, setl_id+feedetl_sn+med_list_codg, code+level, or psn_no+institution+start for contracts)", p)
				}
			}
		default:
			return nil, fmt.Errorf("ingest %s: unknown file type (want .json, .ndjson, .jsonl or .csv)", p)
		}
	}
	for _, p := range settlementCSVs {
		fees := feesByDir[filepath.Dir(p)]
		if len(fees) > 1 {
			return nil, fmt.Errorf("ingest %s: several fee files beside it (%s); give one pair per directory", p, strings.Join(fees, ", "))
		}
		f := ""
		if len(fees) == 1 {
			f = fees[0]
			delete(feesByDir, filepath.Dir(p))
		}
		out = append(out, inputFile{path: p, kind: kindSettlementCSV, fees: f})
	}
	for dir, fees := range feesByDir {
		return nil, fmt.Errorf("ingest %s: fee lines without a settlements CSV in %s", fees[0], dir)
	}
	return append(hosp, out...), nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func csvHeader(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := newCSVTable(bufio.NewReader(f))
	if err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for k := range t.index {
		m[k] = true
	}
	return m, nil
}

func (r *run) progress(read int, final bool) {
	if r.opt.Progress == nil {
		return
	}
	now := time.Now()
	if !final && now.Sub(r.lastProg) < 250*time.Millisecond {
		return
	}
	r.lastProg = now
	r.opt.Progress(Progress{Read: r.sum.Read, BytesDone: r.doneBase + int64(read), BytesTotal: r.total, Elapsed: now.Sub(r.start)})
}

func (r *run) reject(file string, record int, setlID string, reasons []Problem, original json.RawMessage) error {
	if original == nil {
		original = json.RawMessage("null")
	}
	if err := r.rejects.Encode(Reject{File: file, Record: record, SetlID: setlID, Reasons: reasons, Original: original}); err != nil {
		return fmt.Errorf("write rejects: %w", err)
	}
	return nil
}

// openCSV opens a CSV file and reads its header; the caller closes the file.
func openCSV(path string) (*os.File, *csvTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("ingest %s: %w", path, err)
	}
	t, err := newCSVTable(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("ingest %s: %w", path, err)
	}
	return f, t, nil
}

func (r *run) hospitals(path string) error {
	f, t, err := openCSV(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var hs []yibao.Hospital
	for n := 1; ; n++ {
		row, err := t.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			r.sum.HospitalsRejected++
			if err := r.rejectRow(path, n, "", []Problem{{Code: "bad_csv", EN: err.Error(), ZH: "CSV 格式错误：" + err.Error()}}, nil); err != nil {
				return err
			}
			continue
		}
		h, ps := parseHospitalRow(row)
		if len(ps) > 0 {
			r.sum.HospitalsRejected++
			if err := r.rejectRow(path, n, "", ps, row); err != nil {
				return err
			}
			continue
		}
		hs = append(hs, h)
	}
	if err := r.sink.PutHospitals(r.ctx, hs); err != nil {
		return fmt.Errorf("ingest %s: store hospitals: %w", path, err)
	}
	r.sum.Hospitals += len(hs)
	return nil
}

// rejectRow writes a CSV reject; the row is masked before it leaves.
func (r *run) rejectRow(path string, n int, setlID string, ps []Problem, row map[string]string) error {
	var orig json.RawMessage
	if row != nil {
		masked := make(map[string]string, len(row))
		for k, v := range row {
			if !strings.HasPrefix(k, "\x00") {
				masked[k] = v
			}
		}
		maskRow(masked)
		orig, _ = json.Marshal(masked)
	}
	return r.reject(path, n, setlID, ps, orig)
}

// personal identifiers never leave ingest in clear, not even in the rejects file: the
// personal columns are masked, and their values wherever else they appear in the row.
func maskRow(row map[string]string) {
	var values []string
	for k, v := range row {
		if personalKey(k) {
			values = append(values, v)
		}
	}
	for k, v := range row {
		switch {
		case personalKey(k) && personalKeyName(k) == "psnname":
			delete(row, k)
		case personalKey(k):
			if v != "" {
				row[k] = "***"
			}
		default:
			row[k] = scrub(v, values)
		}
	}
}

// personalKeys are the fields of a settlement document that identify a person
// (../shared/formats/settlement.md): never written anywhere in clear. Keys are compared
// by their letters alone, folded (personalKeyName), so that case, escapes, separators,
// control characters and look-alikes such as ſ (U+017F) for s do not hide one.
var personalKeys = map[string]bool{"psnno": true, "certno": true, "psnname": true}

func personalKeyName(k string) string {
	var b strings.Builder
	for _, r := range k {
		r = unicode.ToLower(unicode.ToUpper(r)) // ſ → S → s, K (Kelvin) → k
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func personalKey(k string) bool { return personalKeys[personalKeyName(k)] }

// minScrubLen keeps a one-letter value from masking every string of a record.
const minScrubLen = 4

// scrub masks every occurrence of the record's personal values in s: a sender may repeat a
// patient's certificate number or name in a free-text field.
func scrub(s string, values []string) string {
	for _, v := range values {
		if len(v) >= minScrubLen && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return s
}

// Unparsed stands in the rejects file for a record that could not be read as a settlement
// document: where it is and a hash to find it by, but none of its bytes, which may hold
// personal data in a shape the masking cannot see (issue 10 finding 7).
type Unparsed struct {
	Unparsed bool     `json:"unparsed"`
	Bytes    [2]int64 `json:"bytes"` // [start, end) offsets in the file
	SHA256   string   `json:"sha256"`
}

// maskJSON returns what the rejects file keeps of a rejected record. A document of the
// expected shape (an object whose setlinfo is an object) is kept with every personal field
// masked, at any depth, whatever escapes spell its key (a duplicate key decodes to one
// masked value). Anything else keeps only its byte range and SHA-256.
func maskJSON(raw []byte, offset int64) json.RawMessage {
	unparsed := func() json.RawMessage {
		sum := sha256.Sum256(raw)
		b, _ := json.Marshal(Unparsed{Unparsed: true, Bytes: [2]int64{offset, offset + int64(len(raw))}, SHA256: hex.EncodeToString(sum[:])})
		return b
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return unparsed()
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return unparsed()
	}
	if _, ok := doc["setlinfo"].(map[string]any); !ok {
		return unparsed()
	}
	var values []string
	personalValues(v, &values)
	v = maskValue(v, values)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return unparsed()
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// personalValues collects the values of personal fields anywhere in v.
func personalValues(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if personalKey(k) {
				switch y := e.(type) {
				case string:
					*out = append(*out, y)
				case json.Number:
					*out = append(*out, y.String())
				default:
					personalValues(e, out) // an object under a personal key: its strings
					collectStrings(e, out)
				}
				continue
			}
			personalValues(e, out)
		}
	case []any:
		for _, e := range x {
			personalValues(e, out)
		}
	}
}

func collectStrings(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, x)
	case json.Number:
		*out = append(*out, x.String())
	case map[string]any:
		for _, e := range x {
			collectStrings(e, out)
		}
	case []any:
		for _, e := range x {
			collectStrings(e, out)
		}
	}
}

// maskValue masks personal fields at any depth (names removed, numbers as ***) and the
// personal values wherever else they appear, in keys as in values.
func maskValue(v any, values []string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if personalKey(k) {
				if personalKeyName(k) != "psnname" {
					out[scrub(k, values)] = "***"
				}
				continue
			}
			out[scrub(k, values)] = maskValue(e, values)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = maskValue(e, values)
		}
		return x
	case string:
		return scrub(x, values)
	case json.Number:
		if s := scrub(x.String(), values); s != x.String() {
			return s
		}
	}
	return v
}

// work is a chunk of records for the parallel workers, tagged for reordering.
type work struct {
	seq   int
	first int // record number of recs[0]
	recs  [][]byte
	offs  []int64 // stream offset of each record
	trunc bool    // the last record was cut off by the end of the file
	slab  []byte
	out   []result
}

type result struct {
	s       *yibao.Settlement
	setlID  string
	reasons []Problem
	orig    json.RawMessage
	// hospital and month (of discharge) the record claims, for the list counts.
	hospital, month string
}

func (r *run) jsonFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	sp := newRecordSplitter(io.TeeReader(f, h))
	var consumed atomic.Int64
	in := make(chan *work, r.opt.Workers*4)
	done := make(chan *work, r.opt.Workers*4)
	var wg sync.WaitGroup
	for i := 0; i < r.opt.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker(r.opt.Pseudonymiser, r.opt.Tolerate)
			for job := range in {
				job.out = make([]result, len(job.recs))
				for i, rec := range job.recs {
					job.out[i] = w.processJSON(rec, job.offs[i], job.trunc && i == len(job.recs)-1)
				}
				done <- job
			}
		}()
	}
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	readErr := make(chan error, 1)
	go func() {
		defer close(in)
		seq, n := 0, 0
		const chunk = 256
		job := &work{first: 1}
		send := func() bool {
			if len(job.recs) == 0 {
				return true
			}
			select {
			case in <- job:
			case <-ctx.Done():
				return false
			}
			seq++
			job = &work{seq: seq, first: n + 1, slab: job.slab[len(job.slab):]}
			return true
		}
		for {
			rec, err := sp.Next()
			consumed.Store(sp.Consumed()) // the collector reports progress from another goroutine
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil && !errors.Is(err, errTruncated) {
				readErr <- fmt.Errorf("ingest %s: %w", path, err)
				return
			}
			if rec == nil && errors.Is(err, errTruncated) { // array never closed, no partial record
				break
			}
			n++
			// Records of a chunk share one slab: one allocation per 256 documents.
			if cap(job.slab)-len(job.slab) < len(rec) {
				job.slab = make([]byte, 0, max(4<<20, len(rec)))
			}
			start := len(job.slab)
			job.slab = append(job.slab, rec...)
			job.recs = append(job.recs, job.slab[start:len(job.slab):len(job.slab)])
			job.offs = append(job.offs, sp.RecordStart())
			if errors.Is(err, errTruncated) {
				job.trunc = true
				break
			}
			if len(job.recs) == chunk && !send() {
				readErr <- nil
				return
			}
		}
		send()
		readErr <- nil
	}()
	go func() { wg.Wait(); close(done) }()

	pending := map[int]*work{}
	next := 0
	out := newSettlementSink(r, path)
	var storeErr error
	fail := func(err error) {
		if storeErr == nil {
			storeErr = err
			cancel()
		}
	}
	for job := range done {
		pending[job.seq] = job
		for {
			j, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			for i, res := range j.out {
				r.sum.Read++
				r.countList(res)
				if res.s == nil {
					r.sum.Rejected++
					if err := r.reject(path, j.first+i, res.setlID, res.reasons, res.orig); err != nil {
						fail(err)
					}
					continue
				}
				res.s.Origin = yibao.Origin{File: path, Record: j.first + i}
				if storeErr == nil {
					if err := out.add(res.s); err != nil {
						fail(fmt.Errorf("ingest %s: store: %w", path, err))
					}
				}
			}
			r.progress(int(consumed.Load()), false)
		}
	}
	if err := out.close(); err != nil {
		fail(fmt.Errorf("ingest %s: store: %w", path, err))
	}
	if storeErr != nil {
		return storeErr
	}
	if err := <-readErr; err != nil {
		return err
	}
	r.fileSHA = hex.EncodeToString(h.Sum(nil))
	return r.ctx.Err()
}

// fileSHA256 hashes a whole file (the CSV pair is read in pieces, not streamed once).
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// worker holds per-goroutine state: a parser and an HMAC are not safe to share.
type worker struct {
	parser   fastjson.Parser
	scratch  *parseScratch
	tolerate map[string]bool
	ps       *Pseudonymiser
	h        hash.Hash
}

func newWorker(p *Pseudonymiser, tolerate map[string]bool) *worker {
	return &worker{ps: p, h: p.hasher(), scratch: &parseScratch{}, tolerate: tolerate}
}

func (w *worker) processJSON(raw []byte, offset int64, truncated bool) result {
	d := parseJSONDocument(&w.parser, w.scratch, raw)
	if truncated {
		d.ps = problems{{Field: "", Code: "truncated", EN: errTruncated.Error(), ZH: "输入意外结束：文档被截断"}}
	}
	return w.finish(d, func() json.RawMessage { return maskJSON(raw, offset) })
}

// finish validates, and either pseudonymises a good record or describes a bad one.
func (w *worker) finish(d *parsedDoc, original func() json.RawMessage) result {
	if len(d.ps) == 0 || d.ps[0].Code != "bad_json" && d.ps[0].Code != "truncated" && d.ps[0].Code != "not_object" {
		validate(d)
	}
	if len(w.tolerate) > 0 {
		kept := d.ps[:0]
		for _, p := range d.ps {
			if !w.tolerate[p.Code] {
				kept = append(kept, p)
			}
		}
		d.ps = kept
	}
	hosp, month := listKey(&d.s)
	if len(d.ps) > 0 {
		return result{setlID: d.s.ID, reasons: d.ps, orig: original(), hospital: hosp, month: month}
	}
	s := d.s
	s.Patient.Pseudonym = pseudonym(w.h, "psn", d.psnNo)
	s.Patient.CertPseudonym = pseudonym(w.h, "cert", d.certNo)
	return result{s: &s, hospital: hosp, month: month}
}

// settlementSink batches good settlements into store transactions. A goroutine of its
// own writes the batches, so that parsing goes on while SQLite commits.
type settlementSink struct {
	r       *run
	path    string // the file, for refusals in the rejects file
	batch   []*yibao.Settlement
	batches chan []*yibao.Settlement
	done    chan struct{}
	err     error // set by the writer; read after done or via failed
	failed  chan struct{}
	counts  [outcomes]int // by Outcome, written by the writer
	refused []refusal     // written by the writer, reported after it finished
	closed  bool
}

func newSettlementSink(r *run, path string) *settlementSink {
	b := &settlementSink{r: r, path: path, batches: make(chan []*yibao.Settlement, 2), done: make(chan struct{}), failed: make(chan struct{})}
	go b.write()
	return b
}

func (b *settlementSink) write() {
	defer close(b.done)
	for batch := range b.batches {
		if b.err != nil {
			continue // drain after a failure
		}
		outs, err := b.r.sink.PutSettlements(b.r.ctx, batch)
		if err != nil {
			b.err = err
			close(b.failed)
			continue
		}
		for i, o := range outs {
			b.counts[o]++
			if o == RefusedOtherHospital || o == RefusedOlder {
				b.refused = append(b.refused, refusal{setlID: batch[i].ID, hospital: batch[i].Hospital, record: batch[i].Origin.Record, outcome: o})
			}
		}
	}
}

func (b *settlementSink) add(s *yibao.Settlement) error {
	b.batch = append(b.batch, s)
	if len(b.batch) >= b.r.opt.BatchSize {
		select {
		case b.batches <- b.batch:
		case <-b.failed:
			return b.err
		}
		b.batch = make([]*yibao.Settlement, 0, b.r.opt.BatchSize)
	}
	return nil
}

// close writes what is left, waits for the writer and adds its counts to the summary.
func (b *settlementSink) close() error {
	if b.closed {
		return b.err
	}
	b.closed = true
	if len(b.batch) > 0 {
		select {
		case b.batches <- b.batch:
		case <-b.failed:
		}
		b.batch = nil
	}
	close(b.batches)
	<-b.done
	b.r.sum.Loaded += b.counts[Loaded]
	b.r.sum.NewVersions += b.counts[NewVersion]
	b.r.sum.Duplicates += b.counts[Duplicate]
	b.r.sum.Refused += b.counts[RefusedOtherHospital] + b.counts[RefusedOlder]
	for _, f := range b.refused {
		if err := b.r.reject(b.path, f.record, f.setlID, []Problem{f.problem()}, nil); err != nil && b.err == nil {
			b.err = err
		}
	}
	return b.err
}

// refusal is a version the store would not make current.
type refusal struct {
	setlID, hospital string
	record           int // in the file, so that the rejects line names it
	outcome          Outcome
}

func (f refusal) problem() Problem {
	if f.outcome == RefusedOtherHospital {
		return Problem{Field: "setlinfo.setl_id", Code: f.outcome.String(),
			EN: "this setl_id belongs to another institution's settlement; a hospital cannot replace it",
			ZH: "该结算ID属于另一机构的结算，不能被替换"}
	}
	return Problem{Field: "setlinfo.setl_end_date", Code: f.outcome.String(),
		EN: "older than the current version (an earlier version again, or an earlier setl_end_date); not made current",
		ZH: "早于当前版本（重复提交旧版本或结算结束日期更早），未作为当前版本"}
}

// csvPair ingests settlements.csv with its fees.csv. Fee rows are grouped by setl_id in
// memory first, so the pair suits analyst-sized extracts; bulk loads use JSON/NDJSON, which
// streams.
func (r *run) csvPair(path, feesPath string) error {
	fees := map[string][]map[string]string{}
	feeLine := map[string][]int{}
	if feesPath != "" {
		f, t, err := openCSV(feesPath)
		if err != nil {
			return err
		}
		for n := 1; ; n++ {
			row, err := t.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				r.sum.Rejected++
				if err := r.rejectRow(feesPath, n, "", []Problem{{Code: "bad_csv", EN: err.Error(), ZH: "CSV 格式错误：" + err.Error()}}, nil); err != nil {
					f.Close()
					return err
				}
				continue
			}
			id := row["setl_id"]
			fees[id] = append(fees[id], row)
			feeLine[id] = append(feeLine[id], n)
		}
		f.Close()
	}
	f, t, err := openCSV(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := newWorker(r.opt.Pseudonymiser, r.opt.Tolerate)
	out := newSettlementSink(r, path)
	defer out.close() // on early return; the normal path closes below
	used := map[string]bool{}
	for n := 1; ; n++ {
		row, err := t.next()
		if errors.Is(err, io.EOF) {
			break
		}
		r.sum.Read++
		if err != nil {
			r.sum.Rejected++
			if err := r.rejectRow(path, n, "", []Problem{{Code: "bad_csv", EN: err.Error(), ZH: "CSV 格式错误：" + err.Error()}}, nil); err != nil {
				return err
			}
			continue
		}
		d := parseSettlementRow(row)
		id := row["setl_id"]
		if used[id] {
			d.ps.add("setl_id", "repeated_in_file", "setl_id %q appears twice in the CSV; its fee lines cannot be told apart", "结算ID %q 在 CSV 中重复，无法区分其费用明细", truncate(id))
		}
		used[id] = true
		for _, fr := range fees[id] {
			appendFeeRow(d, fr)
		}
		res := w.finish(d, func() json.RawMessage {
			masked := map[string]any{}
			for k, v := range row {
				if !strings.HasPrefix(k, "\x00") {
					masked[k] = v
				}
			}
			delete(masked, "psn_name")
			for _, k := range []string{"psn_no", "certno"} {
				if masked[k] != "" {
					masked[k] = "***"
				}
			}
			masked["fee_rows"] = feeLine[id]
			b, _ := json.Marshal(masked)
			return b
		})
		r.countList(res)
		if res.s == nil {
			r.sum.Rejected++
			if err := r.reject(path, n, res.setlID, res.reasons, res.orig); err != nil {
				return err
			}
			continue
		}
		res.s.Origin = yibao.Origin{File: path, Record: n}
		if err := out.add(res.s); err != nil {
			return fmt.Errorf("ingest %s: store: %w", path, err)
		}
		r.progress(0, false)
	}
	if err := out.close(); err != nil {
		return fmt.Errorf("ingest %s: store: %w", path, err)
	}
	for id, rows := range fees {
		if !used[id] {
			r.sum.Rejected++
			ps := []Problem{{Field: "setl_id", Code: "orphan_fee_lines", EN: fmt.Sprintf("%d fee lines name setl_id %q, which is not in %s", len(rows), truncate(id), filepath.Base(path)),
				ZH: fmt.Sprintf("%d 条费用明细的结算ID %q 不在 %s 中", len(rows), truncate(id), filepath.Base(path))}}
			if err := r.rejectRow(feesPath, feeLine[id][0], id, ps, rows[0]); err != nil {
				return err
			}
		}
	}
	return nil
}
