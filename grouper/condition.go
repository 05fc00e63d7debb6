package grouper

import (
	"encoding/json"
	"fmt"
	"strconv"
)

type opcode uint8

const (
	opTrue opcode = iota
	opFalse
	opAll
	opAny
	opNot
	opPrincipalDxIn
	opAnyDxIn
	opPrincipalProcIn
	opAnyProcIn
	opPrincipalProcValid
	opAnyProcValid
	opProcTag
	opAgeYears
	opAgeDays
	opBirthWeight
	opSex
	opHasMCC
	opHasCC
	opMultiTrauma
	// format 2.0 predicates (scheme-format-v2.md §4)
	opSecondaryDxIn
	opSecondaryProcIn
	opLOS
	opICUHours
	opDischargeIn
	opDeptIn
	opProcCount
	// validation-only field predicates
	opFieldEmpty
	opFieldNotIn
	opFieldNotInteger
	opFieldNotNumber
	opPrincipalDxEmpty
)

type cmpop uint8

const (
	cmpEQ cmpop = iota
	cmpNE
	cmpLT
	cmpLE
	cmpGT
	cmpGE
)

// cond is a compiled condition node.
type cond struct {
	op     opcode
	args   []*cond
	list   *bitset
	name   string // list, tag-map or region-map name, or field
	cmp    cmpop
	num    float64
	str    string
	values []string
	tags   map[int32]string
	region *regionMap
	min    int
}

type rawCond struct {
	Op        string            `json:"op"`
	Args      []json.RawMessage `json:"args"`
	Arg       json.RawMessage   `json:"arg"`
	List      string            `json:"list"`
	Tags      string            `json:"tags"`
	Tag       string            `json:"tag"`
	Cmp       string            `json:"cmp"`
	Value     json.RawMessage   `json:"value"`
	Field     string            `json:"field"`
	Values    []string          `json:"values"`
	Regions   string            `json:"regions"`
	MinRegion int               `json:"min_regions"`
}

var fields = map[string]bool{"id": true, "sex": true, "age": true, "age_days": true, "weight": true, "dept": true,
	"los": true, "discharge": true, "diagnoses": true, "procedures": true, "icu_hours": true}

// cond compiles one condition; field predicates are allowed only in validation rules.
func (c *compiler) cond(raw json.RawMessage, validation bool) (*cond, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("condition missing")
	}
	var r rawCond
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("condition %s: %w", clip(raw), err)
	}
	n := &cond{}
	list := func() error {
		b, ok := c.s.lists[r.List]
		if !ok {
			return fmt.Errorf("%s names list %q, which lists does not define", r.Op, r.List)
		}
		n.list, n.name = b, r.List
		return nil
	}
	numeric := func() error {
		var err error
		if n.cmp, err = parseCmp(r.Cmp); err != nil {
			return fmt.Errorf("%s: %w", r.Op, err)
		}
		if err := json.Unmarshal(r.Value, &n.num); err != nil {
			return fmt.Errorf("%s: value must be a number", r.Op)
		}
		return nil
	}
	field := func() error {
		if !fields[r.Field] {
			return fmt.Errorf("%s: unknown field %q", r.Op, r.Field)
		}
		if !validation {
			return fmt.Errorf("%s is allowed only in validation rules", r.Op)
		}
		n.name = r.Field
		return nil
	}
	var err error
	switch r.Op {
	case "true":
		n.op = opTrue
	case "false":
		n.op = opFalse
	case "all", "any":
		n.op = opAll
		if r.Op == "any" {
			n.op = opAny
		}
		for _, a := range r.Args {
			sub, err := c.cond(a, validation)
			if err != nil {
				return nil, err
			}
			n.args = append(n.args, sub)
		}
	case "not":
		n.op = opNot
		sub, err := c.cond(r.Arg, validation)
		if err != nil {
			return nil, err
		}
		n.args = []*cond{sub}
	case "principal_dx_in":
		n.op, err = opPrincipalDxIn, list()
	case "any_dx_in":
		n.op, err = opAnyDxIn, list()
	case "principal_proc_in":
		n.op, err = opPrincipalProcIn, list()
	case "any_proc_in":
		n.op, err = opAnyProcIn, list()
	case "principal_proc_valid":
		n.op = opPrincipalProcValid
	case "any_proc_valid":
		n.op = opAnyProcValid
	case "proc_tag":
		n.op = opProcTag
		tm, ok := c.s.tagMaps[r.Tags]
		if !ok {
			return nil, fmt.Errorf("proc_tag names tag map %q, which tag_maps does not define", r.Tags)
		}
		n.tags, n.name, n.str = tm, r.Tags, r.Tag
	case "age_years":
		n.op, err = opAgeYears, numeric()
	case "age_days":
		n.op, err = opAgeDays, numeric()
	case "birth_weight":
		n.op, err = opBirthWeight, numeric()
	case "sex":
		n.op = opSex
		var v any
		if err := json.Unmarshal(r.Value, &v); err != nil {
			return nil, fmt.Errorf("sex: bad value")
		}
		switch x := v.(type) {
		case string:
			n.str = x
		case float64:
			n.str = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return nil, fmt.Errorf("sex: value must be 1 or 2")
		}
	case "secondary_dx_in":
		n.op, err = opSecondaryDxIn, list()
		c.used[r.Op] = true
	case "secondary_proc_in":
		n.op, err = opSecondaryProcIn, list()
		c.used[r.Op] = true
	case "los":
		n.op, err = opLOS, numeric()
		c.used[r.Op] = true
	case "icu_hours":
		n.op, err = opICUHours, numeric()
		c.used[r.Op] = true
	case "procedure_count":
		n.op, err = opProcCount, numeric()
		c.used[r.Op] = true
	case "discharge_in", "dept_in":
		n.op = opDischargeIn
		if r.Op == "dept_in" {
			n.op = opDeptIn
		}
		c.used[r.Op] = true
		if len(r.Values) == 0 {
			return nil, fmt.Errorf("%s needs a non-empty values array", r.Op)
		}
		for _, v := range r.Values {
			if v == "" {
				return nil, fmt.Errorf("%s: values must be non-empty strings", r.Op)
			}
		}
		n.values = r.Values
	case "has_mcc":
		n.op = opHasMCC
	case "has_cc":
		n.op = opHasCC
	case "multi_trauma":
		n.op = opMultiTrauma
		rm, ok := c.s.regionMap[r.Regions]
		if !ok {
			return nil, fmt.Errorf("multi_trauma names region map %q, which region_maps does not define", r.Regions)
		}
		n.region, n.name, n.min = rm, r.Regions, r.MinRegion
	case "field_empty":
		n.op, err = opFieldEmpty, field()
	case "field_not_in":
		n.op, err = opFieldNotIn, field()
		n.values = r.Values
	case "field_not_integer":
		n.op, err = opFieldNotInteger, field()
	case "field_not_number":
		n.op, err = opFieldNotNumber, field()
	case "principal_dx_empty":
		n.op = opPrincipalDxEmpty
	default:
		return nil, fmt.Errorf("unknown op %q in %s", r.Op, clip(raw))
	}
	if err != nil {
		return nil, err
	}
	return n, nil
}

func parseCmp(s string) (cmpop, error) {
	switch s {
	case "==":
		return cmpEQ, nil
	case "!=":
		return cmpNE, nil
	case "<":
		return cmpLT, nil
	case "<=":
		return cmpLE, nil
	case ">":
		return cmpGT, nil
	case ">=":
		return cmpGE, nil
	}
	return 0, fmt.Errorf("unknown comparison %q", s)
}

func (c cmpop) apply(a, b float64) bool {
	switch c {
	case cmpEQ:
		return a == b
	case cmpNE:
		return a != b
	case cmpLT:
		return a < b
	case cmpLE:
		return a <= b
	case cmpGT:
		return a > b
	default:
		return a >= b
	}
}

func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}
