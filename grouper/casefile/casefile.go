// Package casefile reads grouping cases from CSV (the columns of the CHS-DRG conformance
// kit) and writes grouping results as CSV.
package casefile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/yibao-dev/yibao/grouper"
)

// Columns are the input columns, in the kit's order; icu_hours is the optional column of
// format 2.0 (scheme-format-v2.md §3.1).
var Columns = []string{"id", "sex", "age", "age_days", "weight", "dept", "los", "discharge", "diagnoses", "procedures", "icu_hours"}

// Reader streams cases from a CSV with a header row. Columns are found by name, so extra
// columns and another order are fine; missing optional columns read as empty.
type Reader struct {
	r      *csv.Reader
	scheme *grouper.Scheme
	idx    [11]int
	line   int
}

// NewReader reads the header; id and diagnoses are required columns.
func NewReader(r io.Reader, scheme *grouper.Scheme) (*Reader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	h, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file: no header row")
		}
		return nil, fmt.Errorf("header: %w", err)
	}
	cf := &Reader{r: cr, scheme: scheme, line: 1}
	for i := range cf.idx {
		cf.idx[i] = -1
	}
	for i, name := range h {
		name = strings.TrimPrefix(name, "\ufeff")
		for j, col := range Columns {
			if name == col {
				cf.idx[j] = i
			}
		}
	}
	if cf.idx[0] < 0 || cf.idx[8] < 0 {
		return nil, fmt.Errorf("header must name at least the columns id and diagnoses (got %s)", strings.Join(h, ","))
	}
	return cf, nil
}

// Line is the line number of the last row read.
func (cf *Reader) Line() int { return cf.line }

// Read fills c with the next case. It returns io.EOF at the end, or an error naming the
// line for a row CSV cannot parse (the caller may report it and go on).
func (cf *Reader) Read(c *grouper.Case) error {
	rec, err := cf.r.Read()
	cf.line++
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			cf.line = pe.Line
			return fmt.Errorf("line %d: %w", pe.Line, pe.Err)
		}
		return err
	}
	get := func(j int) string {
		if i := cf.idx[j]; i >= 0 && i < len(rec) {
			return strings.Clone(rec[i])
		}
		return ""
	}
	*c = grouper.Case{ID: get(0), Sex: get(1), Age: get(2), AgeDays: get(3), Weight: get(4), Dept: get(5), LOS: get(6), Discharge: get(7), ICUHours: get(10)}
	c.Diagnoses = cf.scheme.SplitCodes(get(8))
	c.Procedures = cf.scheme.SplitCodes(get(9))
	return nil
}

// Writer writes results: id,status,mdc,adrg,drg then scheme,version (and explanation when
// asked for).
type Writer struct {
	w       *csv.Writer
	explain bool
	rec     []string
}

// NewWriter writes the header.
func NewWriter(w io.Writer, explain bool) (*Writer, error) {
	rw := &Writer{w: csv.NewWriter(w), explain: explain}
	h := []string{"id", "status", "mdc", "adrg", "drg", "drg_name", "scheme", "version"}
	if explain {
		h = append(h, "failed_rule", "explanation_zh", "explanation_en")
	}
	return rw, rw.w.Write(h)
}

// Write writes one result.
func (rw *Writer) Write(r *grouper.Result) error {
	rw.rec = append(rw.rec[:0], r.ID, r.Status, r.MDC, r.ADRG, r.DRG, r.DRGName, r.Scheme, r.Version)
	if rw.explain {
		zh := make([]string, len(r.Explanation))
		en := make([]string, len(r.Explanation))
		for i, s := range r.Explanation {
			zh[i], en[i] = s.ZH, s.EN
		}
		rw.rec = append(rw.rec, r.Failed, strings.Join(zh, "；"), strings.Join(en, "; "))
	}
	return rw.w.Write(rw.rec)
}

// Flush flushes and reports any write error.
func (rw *Writer) Flush() error {
	rw.w.Flush()
	return rw.w.Error()
}
