package forecast

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Month is a calendar month.
type Month struct{ Year, Month int }

// ParseMonth reads YYYY-MM.
func ParseMonth(s string) (Month, error) {
	if len(s) != 7 || s[4] != '-' {
		return Month{}, fmt.Errorf("%q is not a month YYYY-MM", s)
	}
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[5:])
	if err1 != nil || err2 != nil || y < 1900 || y > 2200 || m < 1 || m > 12 || s[0] == '+' || s[5] == '+' || s[5] == '-' {
		return Month{}, fmt.Errorf("%q is not a month YYYY-MM", s)
	}
	return Month{y, m}, nil
}

func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, m.Month) }

// Add moves k months (k may be negative).
func (m Month) Add(k int) Month {
	i := m.Year*12 + m.Month - 1 + k
	return Month{i / 12, i%12 + 1}
}

// Index counts months since year 0, for differences.
func (m Month) Index() int { return m.Year*12 + m.Month - 1 }

// Series is a monthly series without gaps.
type Series struct {
	Start  Month
	Values []float64
}

// Period returns the month of value i.
func (s Series) Period(i int) Month { return s.Start.Add(i) }

// MaxSeriesLength bounds the work one request may ask for (100 years of months).
const MaxSeriesLength = 1200

// LineError names where a series file is wrong.
type LineError struct {
	File   string
	Line   int
	Field  string
	Reason string
}

func (e *LineError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s:%d: field %s: %s", e.File, e.Line, e.Field, e.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// ReadSeries reads the `period,value` CSV of the forecast contract: a header, then one row per
// month in order without gaps. name is used in error messages. It reports every bad line (up
// to 20) rather than stopping at the first, and returns no series when any line is bad: a
// forecast from a series with a hole would be silently wrong.
func ReadSeries(r io.Reader, name string) (Series, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var errs []error
	add := func(line int, field, reason string) {
		if len(errs) < 20 {
			errs = append(errs, &LineError{name, line, field, reason})
		}
	}
	head, err := cr.Read()
	if err == io.EOF {
		return Series{}, &LineError{name, 1, "", "empty file: expected header period,value"}
	}
	if err != nil {
		return Series{}, &LineError{name, 1, "", err.Error()}
	}
	if len(head) < 2 || strings.TrimSpace(strings.TrimPrefix(head[0], "\ufeff")) != "period" || strings.TrimSpace(head[1]) != "value" {
		return Series{}, &LineError{name, 1, "", "header must be period,value"}
	}
	var s Series
	var prev Month
	have := false
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				add(pe.Line, "", pe.Err.Error())
				if pe.Err == csv.ErrQuote || pe.Err == csv.ErrBareQuote {
					break // the reader cannot resynchronise after a broken quote
				}
				continue
			}
			add(0, "", err.Error())
			break
		}
		line, _ := cr.FieldPos(0) // only valid for a record read without error
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != 2 {
			add(line, "", fmt.Sprintf("%d fields, want 2 (period,value)", len(rec)))
			continue
		}
		m, err := ParseMonth(strings.TrimSpace(rec[0]))
		if err != nil {
			add(line, "period", err.Error())
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			add(line, "value", fmt.Sprintf("%q is not a finite number", rec[1]))
			continue
		}
		if have && m != prev.Add(1) {
			reason := fmt.Sprintf("period %s does not follow %s (months must be in order without gaps)", m, prev)
			add(line, "period", reason)
			prev = m
			continue
		}
		if !have {
			s.Start = m
		}
		have = true
		prev = m
		if len(s.Values) >= MaxSeriesLength {
			add(line, "", fmt.Sprintf("more than %d months", MaxSeriesLength))
			break
		}
		s.Values = append(s.Values, v)
	}
	if len(errs) > 0 {
		return Series{}, errors.Join(errs...)
	}
	if len(s.Values) == 0 {
		return Series{}, &LineError{name, 2, "", "no data rows"}
	}
	return s, nil
}
