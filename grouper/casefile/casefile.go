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

// Row is one row's raw fields in Columns order (absent columns empty). Reading rows is
// the serial part of a pipeline; turning them into cases (splitting the code lists) can be
// done by parallel workers with Case.
type Row [11]string

// ReadRow fills row with the next row's fields. It returns io.EOF at the end, or an error
// naming the line for a row CSV cannot parse (the caller may report it and go on).
func (cf *Reader) ReadRow(row *Row) error {
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
	// encoding/csv makes one fresh string per record and slices the fields out of it, so
	// the fields outlive the reused record slice without copying.
	for j, i := range cf.idx {
		if i >= 0 && i < len(rec) {
			row[j] = rec[i]
		} else {
			row[j] = ""
		}
	}
	return nil
}

// Case fills c from the row, splitting the code lists as s says.
func (row *Row) Case(s *grouper.Scheme, c *grouper.Case) {
	*c = grouper.Case{ID: row[0], Sex: row[1], Age: row[2], AgeDays: row[3], Weight: row[4], Dept: row[5], LOS: row[6], Discharge: row[7],
		ICUHours: row[10], Diagnoses: s.SplitCodes(row[8]), Procedures: s.SplitCodes(row[9])}
}

// Read fills c with the next case. It returns io.EOF at the end, or an error naming the
// line for a row CSV cannot parse (the caller may report it and go on).
func (cf *Reader) Read(c *grouper.Case) error {
	var row Row
	if err := cf.ReadRow(&row); err != nil {
		return err
	}
	row.Case(cf.scheme, c)
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
	rw := NewRowsWriter(w, explain)
	h := []string{"id", "status", "mdc", "adrg", "drg", "drg_name", "scheme", "version"}
	if explain {
		h = append(h, "failed_rule", "explanation_zh", "explanation_en")
	}
	return rw, rw.w.Write(h)
}

// NewRowsWriter writes result rows without a header, so that parallel workers can each
// encode a chunk of a file whose header NewWriter wrote.
func NewRowsWriter(w io.Writer, explain bool) *Writer {
	return &Writer{w: csv.NewWriter(w), explain: explain}
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
