package dip

import (
	"bytes"
	"fmt"

	"github.com/yibao-dev/yibao/schemes"
)

// BuiltinSeverity is the CC/MCC tables of the built-in demo DRG scheme.
func BuiltinSeverity() *SeverityTables {
	t, err := ParseSeverityTables(schemes.DemoDRG, "builtin:demo-drg")
	if err != nil {
		panic("dip: " + err.Error()) // a build defect, caught by the tests
	}
	return t
}

// Files reads the files a policy names (procedure class table, DRG scheme); the caller
// supplies it so that this package does no I/O.
type Files func(path string) ([]byte, error)

// NewEngine resolves the policy's procedure class table and severity scheme: "builtin" /
// "builtin:demo-drg" for the shipped ones, otherwise a path read through files.
func NewEngine(p *Policy, files Files) (*Engine, error) {
	e := &Engine{Policy: p}
	switch src := p.Rules.ProcedureClasses.Value; src {
	case "", "builtin":
		e.Classes = BuiltinClasses()
	default:
		b, err := files(src)
		if err != nil {
			return nil, fmt.Errorf("procedure classes %s: %w", src, err)
		}
		if e.Classes, err = ParseClassTable(bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
	}
	switch src := p.Rules.SeverityScheme.Value; src {
	case "", "builtin:demo-drg":
		e.Severity = BuiltinSeverity()
	default:
		b, err := files(src)
		if err != nil {
			return nil, fmt.Errorf("severity scheme %s: %w", src, err)
		}
		if e.Severity, err = ParseSeverityTables(b, src); err != nil {
			return nil, err
		}
	}
	return e, nil
}
