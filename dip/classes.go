package dip

import (
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Treatment classes of a case (and of the groups of the catalogue), in rank order: a case's
// class is the highest class among its classified procedures (医保办发〔2024〕9号 DIP 2.0:
// 综合病种按保守治疗、诊断性操作、治疗性操作、相关手术分类).
const (
	ClassConservative = "保守治疗"
	ClassDiagnostic   = "诊断性操作"
	ClassTherapeutic  = "治疗性操作"
	ClassSurgery      = "相关手术"
	// ClassAncillary marks a procedure that does not enter a combination (辅助操作, 不计入).
	ClassAncillary = "不计入"
)

// Classes lists the treatment classes from lowest to highest rank.
var Classes = []string{ClassConservative, ClassDiagnostic, ClassTherapeutic, ClassSurgery}

func classRank(c string) int {
	for i, x := range Classes {
		if x == c {
			return i
		}
	}
	return -1
}

//go:embed procedure_classes.csv
var builtinClasses []byte

// ClassTable classes ICD-9-CM-3 procedure codes by longest matching prefix: the full code,
// then its first 5 characters (subcategory, "47.09"), 4 ("47.0") and 2 (chapter, "47"). A
// code matching no row is ancillary (it cannot be classed, so it does not count).
type ClassTable struct {
	rows map[string]string
}

// BuiltinClasses is the shipped table (dip/procedure_classes.csv, derivation in docs/dip.md).
func BuiltinClasses() *ClassTable {
	t, err := ParseClassTable(strings.NewReader(string(builtinClasses)))
	if err != nil {
		panic("dip: built-in procedure classes: " + err.Error()) // a build defect, caught by the tests
	}
	return t
}

// ParseClassTable reads a CSV with the header prefix,class[,…]; class is one of 相关手术,
// 治疗性操作, 诊断性操作 or 不计入.
func ParseClassTable(r io.Reader) (*ClassTable, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	h, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("procedure classes: header: %w", err)
	}
	if len(h) < 2 || strings.TrimPrefix(h[0], "\ufeff") != "prefix" || h[1] != "class" {
		return nil, errors.New("procedure classes: header must start with prefix,class")
	}
	t := &ClassTable{rows: map[string]string{}}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("procedure classes: line %d: %w", line, err)
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("procedure classes: line %d: need prefix and class", line)
		}
		switch rec[1] {
		case ClassSurgery, ClassTherapeutic, ClassDiagnostic, ClassAncillary:
		default:
			return nil, fmt.Errorf("procedure classes: line %d: class %q is not 相关手术, 治疗性操作, 诊断性操作 or 不计入", line, rec[1])
		}
		if rec[0] == "" {
			return nil, fmt.Errorf("procedure classes: line %d: empty prefix", line)
		}
		if _, dup := t.rows[rec[0]]; dup {
			return nil, fmt.Errorf("procedure classes: line %d: prefix %s listed twice", line, rec[0])
		}
		t.rows[rec[0]] = rec[1]
	}
	return t, nil
}

// Class is the class of one procedure code.
func (t *ClassTable) Class(code string) string {
	if c, ok := t.rows[code]; ok {
		return c
	}
	for _, n := range [...]int{5, 4, 2} {
		if len(code) > n {
			if c, ok := t.rows[code[:n]]; ok {
				return c
			}
		}
	}
	return ClassAncillary
}

// Len is the number of rows.
func (t *ClassTable) Len() int { return len(t.rows) }
