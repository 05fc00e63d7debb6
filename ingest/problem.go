package ingest

import "fmt"

// Problem is one reason a record was rejected, or a warning about a loaded one.
type Problem struct {
	Field string `json:"field"` // dotted path, e.g. feedetl[3].cnt
	Code  string `json:"code"`  // stable machine-readable reason
	EN    string `json:"en"`
	ZH    string `json:"zh"`
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s (%s)", p.Field, p.EN, p.ZH) }

// problems collects the reasons found while reading or validating one record.
type problems []Problem

func (ps *problems) add(field, code, en, zh string, args ...any) {
	if len(args) > 0 {
		en = fmt.Sprintf(en, args...)
		zh = fmt.Sprintf(zh, args...)
	}
	*ps = append(*ps, Problem{Field: field, Code: code, EN: en, ZH: zh})
}

func (ps *problems) missing(field string) {
	ps.add(field, "missing", "required field is missing or empty", "必填字段缺失或为空")
}
