package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/grouper/casefile"
)

func runGroup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "group", "group --scheme PATH (--in cases.csv --out results.csv | --db DIR) [--explain] [--workers N] [--json]")
	schemePath := fs.String("scheme", "", "DRG scheme file (required)")
	in := fs.String("in", "", "cases CSV (columns id,sex,age,age_days,weight,dept,los,discharge,diagnoses,procedures)")
	out := fs.String("out", "", "results CSV (default standard output)")
	db := fs.String("db", "", "group the settlements in this data directory instead of a CSV")
	explain := fs.Bool("explain", false, "add the reasoning (Chinese and English) to each result")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "grouping workers")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *schemePath == "" {
		return usageError{msg: "--scheme is required"}
	}
	if (*in == "") == (*db == "") {
		return usageError{msg: "give exactly one of --in (CSV) or --db (store)"}
	}
	if *workers < 1 {
		return usageError{msg: "--workers must be at least 1"}
	}
	t0 := time.Now()
	scheme, err := grouper.Load(*schemePath)
	if err != nil {
		return err
	}
	loadTime := time.Since(t0)
	var sum groupSummary
	if *in != "" {
		sum, err = groupCSV(ctx, e, scheme, *in, *out, *explain, *workers, *asJSON)
	} else {
		sum, err = groupStore(ctx, e, scheme, dataDir(e, *db), *workers, *asJSON)
	}
	if err != nil {
		return err
	}
	sum.Scheme, sum.Version, sum.LoadSeconds = scheme.ID, scheme.Version, loadTime.Seconds()
	sum.Seconds = time.Since(t0).Seconds()
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(sum)
	}
	w := e.stderr
	if *out != "" || *db != "" {
		w = e.stdout
	}
	fmt.Fprintf(w, "grouped %d cases with %s %s in %.2fs: %v\n", sum.Cases, sum.Scheme, sum.Version, sum.Seconds, sum.ByStatus)
	if sum.BadRows > 0 {
		fmt.Fprintf(w, "%d rows could not be read as CSV and were reported as 信息校验不通过\n", sum.BadRows)
	}
	return nil
}

type groupSummary struct {
	Scheme      string         `json:"scheme"`
	Version     string         `json:"version"`
	Cases       int            `json:"cases"`
	BadRows     int            `json:"bad_rows"`
	ByStatus    map[string]int `json:"by_status"`
	LoadSeconds float64        `json:"load_seconds"`
	Seconds     float64        `json:"seconds"`
}

type caseChunk struct {
	seq     int
	cases   []grouper.Case
	results []grouper.Result
}

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
	const chunkSize = 4096
	jobs := make(chan *caseChunk, workers*2)
	done := make(chan *caseChunk, workers*2)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ch := range jobs {
				ch.results = make([]grouper.Result, len(ch.cases))
				for i := range ch.cases {
					ch.results[i] = s.Group(&ch.cases[i], explain)
				}
				done <- ch
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(jobs)
		seq := 0
		ch := &caseChunk{}
		for {
			if ctx.Err() != nil {
				readErr <- ctx.Err()
				return
			}
			var c grouper.Case
			err := r.Read(&c)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var pe interface{ Unwrap() error }
				if !errors.As(err, &pe) {
					readErr <- fmt.Errorf("%s: %w", inPath, err)
					return
				}
				// A row CSV cannot parse still gets a result line, so that no case vanishes.
				c = grouper.Case{ID: fmt.Sprintf("line-%d", r.Line())}
			}
			ch.cases = append(ch.cases, c)
			if len(ch.cases) == chunkSize {
				ch.seq = seq
				seq++
				jobs <- ch
				ch = &caseChunk{}
			}
		}
		if len(ch.cases) > 0 {
			ch.seq = seq
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
			for i := range c.results {
				sum.Cases++
				sum.ByStatus[c.results[i].Status]++
				if writeErr == nil {
					writeErr = w.Write(&c.results[i])
				}
			}
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
	if err := w.Flush(); err != nil {
		return sum, err
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
