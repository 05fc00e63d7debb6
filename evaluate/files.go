package evaluate

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ReadMatrix reads matrix.csv: a header `hospital,<indicator>…` and one row per
// alternative. Errors name the line and column.
func ReadMatrix(r io.Reader) (names, indicators []string, x [][]float64, err error) {
	rows, err := readAll(r)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(rows) < 2 || len(rows[0]) < 2 {
		return nil, nil, nil, fmt.Errorf("matrix: need a header and at least one row with one indicator")
	}
	indicators = rows[0][1:]
	for i, row := range rows[1:] {
		if len(row) != len(rows[0]) {
			return nil, nil, nil, fmt.Errorf("matrix line %d: %d fields, header has %d", i+2, len(row), len(rows[0]))
		}
		vals := make([]float64, len(indicators))
		for j, cell := range row[1:] {
			v, err := number(cell)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("matrix line %d column %s: %v", i+2, indicators[j], err)
			}
			vals[j] = v
		}
		names = append(names, row[0])
		x = append(x, vals)
	}
	return names, indicators, x, nil
}

// ReadWeights reads weights.csv (`indicator,weight,direction`) and orders it like the
// matrix's indicators; every matrix indicator needs a row.
func ReadWeights(r io.Reader, indicators []string) ([]float64, []Direction, error) {
	rows, err := readAll(r)
	if err != nil {
		return nil, nil, err
	}
	type wd struct {
		w float64
		d Direction
	}
	by := map[string]wd{}
	for i, row := range rows {
		if i == 0 && strings.EqualFold(strings.TrimSpace(row[0]), "indicator") {
			continue
		}
		if len(row) < 3 {
			return nil, nil, fmt.Errorf("weights line %d: want indicator,weight,direction", i+1)
		}
		w, err := number(row[1])
		if err != nil || w < 0 {
			return nil, nil, fmt.Errorf("weights line %d column weight: %q is not a non-negative number", i+1, row[1])
		}
		d := Direction(strings.ToLower(strings.TrimSpace(row[2])))
		if d != Max && d != Min {
			return nil, nil, fmt.Errorf("weights line %d column direction: %q is not max or min", i+1, row[2])
		}
		by[strings.TrimSpace(row[0])] = wd{w, d}
	}
	w := make([]float64, len(indicators))
	dir := make([]Direction, len(indicators))
	for j, ind := range indicators {
		x, ok := by[strings.TrimSpace(ind)]
		if !ok {
			return nil, nil, fmt.Errorf("weights: no row for indicator %q", ind)
		}
		w[j], dir[j] = x.w, x.d
	}
	return w, dir, nil
}

// ReadPairwise reads a square comparison matrix with a header row and a first column of
// criterion names; entries are numbers or fractions such as 1/3.
func ReadPairwise(r io.Reader) ([]string, [][]float64, error) {
	rows, err := readAll(r)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) < 2 {
		return nil, nil, fmt.Errorf("pairwise: need a header and rows")
	}
	names := rows[0][1:]
	if len(rows)-1 != len(names) {
		return nil, nil, fmt.Errorf("pairwise: %d rows for %d criteria; the matrix must be square", len(rows)-1, len(names))
	}
	a := make([][]float64, len(names))
	for i, row := range rows[1:] {
		if len(row) != len(names)+1 {
			return nil, nil, fmt.Errorf("pairwise line %d: %d entries, want %d", i+2, len(row)-1, len(names))
		}
		a[i] = make([]float64, len(names))
		for j, cell := range row[1:] {
			v, err := number(cell)
			if err != nil {
				return nil, nil, fmt.Errorf("pairwise line %d column %s: %v", i+2, names[j], err)
			}
			a[i][j] = v
		}
	}
	return names, a, nil
}

func readAll(r io.Reader) ([][]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) > 0 && len(rows[0]) > 0 {
		rows[0][0] = strings.TrimPrefix(rows[0][0], "\ufeff")
	}
	return rows, nil
}

// number parses a decimal or a fraction a/b.
func number(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if a, b, ok := strings.Cut(s, "/"); ok {
		x, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
		y, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
		if err1 != nil || err2 != nil || y == 0 {
			return 0, fmt.Errorf("%q is not a number or fraction", s)
		}
		return x / y, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return v, nil
}
