package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/grouper/casefile"
)

func runGroup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "group", "group --scheme PATH|demo (--in cases.csv --out results.csv | --db DIR) [--explain] [--workers N] [--json]")
	schemeName := fs.String("scheme", "", schemeFlagHelp+" (required)")
	in := fs.String("in", "", "cases CSV (columns id,sex,age,age_days,weight,dept,los,discharge,diagnoses,procedures[,icu_hours])")
	out := fs.String("out", "", "results CSV (default standard output)")
	db := fs.String("db", "", "group the settlements in this data directory instead of a CSV")
	explain := fs.Bool("explain", false, "add the reasoning (Chinese and English) to each result")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "grouping workers")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *schemeName == "" {
		return usageError{msg: "--scheme is required (" + schemeFlagHelp + ")"}
	}
	if (*in == "") == (*db == "") {
		return usageError{msg: "give exactly one of --in (CSV) or --db (store)"}
	}
	if *workers < 1 {
		return usageError{msg: "--workers must be at least 1"}
	}
	// Grouping allocates little that lives long (cases of one chunk at a time); a lazier
	// collector saves 10–15% of a million-case run (docs/benchmarks.md).
	debug.SetGCPercent(400)
	t0 := time.Now()
	scheme, err := openScheme(e, *schemeName)
	if err != nil {
		return err
	}
	var sum groupSummary
	if *in != "" {
		sum, err = groupCSV(ctx, e, scheme.Scheme, *in, *out, *explain, *workers, *asJSON)
	} else {
		sum, err = groupStore(ctx, e, scheme.Scheme, dataDir(e, *db), *workers, *asJSON)
	}
	if err != nil {
		return err
	}
	sum.Scheme, sum.Version, sum.LoadSeconds = scheme.ID, scheme.Version, scheme.Seconds
	sum.Format, sum.Features, sum.Digest, sum.Cached = scheme.FormatVersion(), scheme.FormatFeatures(), scheme.Digest, scheme.Cached
	sum.Seconds = time.Since(t0).Seconds()
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(sum)
	}
	w := e.stderr
	if *out != "" || *db != "" {
		w = e.stdout
	}
	how := "从 JSON 编译 compiled from JSON"
	if scheme.Cached {
		how = "读自编译缓存 from the compiled cache"
	} else if scheme.Source == "builtin" {
		how = "内置 built-in"
	}
	fmt.Fprintf(w, "分组 grouped %d 例 cases，方案 scheme %s %s（格式 format %s），载入 load %.3fs（%s），共 total %.2fs\n",
		sum.Cases, sum.Scheme, sum.Version, sum.Format, sum.LoadSeconds, how, sum.Seconds)
	for _, st := range sortedStatuses(sum.ByStatus) {
		fmt.Fprintf(w, "  %-10s %d\n", st, sum.ByStatus[st])
	}
	if sum.BadRows > 0 {
		fmt.Fprintf(w, "%d 行无法按 CSV 读取，已记为信息校验不通过 / %d rows could not be read as CSV and were reported as 信息校验不通过\n", sum.BadRows, sum.BadRows)
	}
	return nil
}

// sortedStatuses orders statuses by count, largest first, then by name.
func sortedStatuses(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	return keys
}

type groupSummary struct {
	Scheme      string         `json:"scheme"`
	Version     string         `json:"version"`
	Format      string         `json:"format_version"`
	Features    []string       `json:"format_features,omitempty"`
	Digest      string         `json:"scheme_sha256"`
	Cached      bool           `json:"loaded_from_cache"`
	Cases       int            `json:"cases"`
	BadRows     int            `json:"bad_rows"`
	ByStatus    map[string]int `json:"by_status"`
	LoadSeconds float64        `json:"load_seconds"`
	Seconds     float64        `json:"seconds"`
}

// caseChunk is a unit of work: rows read in order, then (in a worker) grouped and encoded
// as result CSV, so that the ordered writer only copies bytes. Chunks are recycled.
type caseChunk struct {
	seq      int
	rows     []casefile.Row
	bad      int // rows CSV could not parse (reported as cases that fail validation)
	out      bytes.Buffer
	byStatus map[string]int
	err      error
}

const chunkSize = 4096

// groupCSV streams cases through parallel workers and writes results in input order.
func groupCSV(ctx context.Context, e *env, s *grouper.Scheme, inPath, outPath string, explain bool, workers int, quiet bool) (groupSummary, error) {
	sum := groupSummary{ByStatus: map[string]int{}}
	f, err := os.Open(inPath)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	counter := &countingReader{r: f}
	r, err := casefile.NewReader(bufio.NewReaderSize(counter, 1<<20), s)
	if err != nil {
		return sum, fmt.Errorf("%s: %w", inPath, err)
	}
	var ow io.Writer = e.stdout
	if outPath != "" {
		of, err := os.Create(outPath)
		if err != nil {
			return sum, err
		}
		defer of.Close()
		ow = of
	}
	bw := bufio.NewWriterSize(ow, 1<<20)
	w, err := casefile.NewWriter(bw, explain)
	if err != nil {
		return sum, err
	}
	if err := w.Flush(); err != nil {
		return sum, err
	}
	nChunks := workers*2 + 2
	free := make(chan *caseChunk, nChunks)
	for i := 0; i < nChunks; i++ {
		free <- &caseChunk{rows: make([]casefile.Row, 0, chunkSize), byStatus: map[string]int{}}
	}
	jobs := make(chan *caseChunk, nChunks)
	done := make(chan *caseChunk, nChunks)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c grouper.Case
			for ch := range jobs {
				rw := casefile.NewRowsWriter(&ch.out, explain)
				for i := range ch.rows {
					ch.rows[i].Case(s, &c)
					res := s.Group(&c, explain)
					ch.byStatus[res.Status]++
					if err := rw.Write(&res); err != nil && ch.err == nil {
						ch.err = err
					}
				}
				if err := rw.Flush(); err != nil && ch.err == nil {
					ch.err = err
				}
				done <- ch
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(jobs)
		seq := 0
		var ch *caseChunk
		for {
			if ctx.Err() != nil {
				readErr <- ctx.Err()
				return
			}
			if ch == nil {
				ch = <-free
				ch.rows, ch.bad, ch.seq, ch.err = ch.rows[:0], 0, seq, nil
				ch.out.Reset()
				clear(ch.byStatus)
				seq++
			}
			ch.rows = append(ch.rows, casefile.Row{})
			row := &ch.rows[len(ch.rows)-1]
			err := r.ReadRow(row)
			if errors.Is(err, io.EOF) {
				ch.rows = ch.rows[:len(ch.rows)-1]
				break
			}
			if err != nil {
				var pe interface{ Unwrap() error }
				if !errors.As(err, &pe) {
					readErr <- fmt.Errorf("%s: %w", inPath, err)
					return
				}
				// A row CSV cannot parse still gets a result line, so that no case vanishes.
				*row = casefile.Row{}
				row[0] = fmt.Sprintf("line-%d", r.Line())
				ch.bad++
			}
			if len(ch.rows) == chunkSize {
				jobs <- ch
				ch = nil
			}
		}
		if ch != nil && len(ch.rows) > 0 {
			jobs <- ch
		}
		readErr <- nil
	}()
	go func() { wg.Wait(); close(done) }()
	prog := newProgress(e.stderr, "group: cases", quiet)
	start := time.Now()
	pending := map[int]*caseChunk{}
	next := 0
	var writeErr error
	for ch := range done {
		pending[ch.seq] = ch
		for {
			c, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			sum.Cases += len(c.rows)
			sum.BadRows += c.bad
			for st, n := range c.byStatus {
				sum.ByStatus[st] += n
			}
			if writeErr == nil {
				writeErr = c.err
			}
			if writeErr == nil {
				_, writeErr = bw.Write(c.out.Bytes())
			}
			free <- c
			frac := 0.0
			if size > 0 {
				frac = float64(counter.n) / float64(size)
			}
			prog.update(sum.Cases, frac, time.Since(start))
		}
	}
	prog.done()
	if err := <-readErr; err != nil {
		return sum, err
	}
	if writeErr != nil {
		return sum, writeErr
	}
	return sum, bw.Flush()
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
