package dip

import (
	"encoding/json"
	"fmt"
)

// Severity of a case from its secondary diagnoses, by a DRG scheme's CC/MCC tables.
const (
	SeverityNone = "none"
	SeverityCC   = "cc"
	SeverityMCC  = "mcc"
)

// SeverityTables are the MCC and CC tables of a DRG scheme with the principal-diagnosis
// exclusion map (CHS-DRG 1.1 kit README §5.1: a secondary diagnosis counts unless it belongs
// to the exclusion table of the principal diagnosis).
type SeverityTables struct {
	MCC, CC, CCE map[string]string
	Source       string
}

// ParseSeverityTables reads tables.mcc, tables.cc and tables.cce of a declarative DRG scheme
// (format 1.0 or 2.x: the tables are the same).
func ParseSeverityTables(b []byte, source string) (*SeverityTables, error) {
	var s struct {
		Tables struct {
			MCC map[string]string `json:"mcc"`
			CC  map[string]string `json:"cc"`
			CCE map[string]string `json:"cce"`
		} `json:"tables"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("severity tables from %s: %w", source, err)
	}
	if len(s.Tables.MCC) == 0 && len(s.Tables.CC) == 0 {
		return nil, fmt.Errorf("severity tables from %s: the scheme has no tables.mcc or tables.cc", source)
	}
	return &SeverityTables{MCC: s.Tables.MCC, CC: s.Tables.CC, CCE: s.Tables.CCE, Source: source}, nil
}

// Severity is none, cc or mcc for a diagnosis list whose first item is the principal.
func (t *SeverityTables) Severity(diagnoses []string) string {
	if t == nil || len(diagnoses) < 2 {
		return SeverityNone
	}
	excl, hasExcl := t.CCE[diagnoses[0]]
	sev := SeverityNone
	for _, x := range diagnoses[1:] {
		if id, ok := t.MCC[x]; ok && !(hasExcl && id == excl) {
			return SeverityMCC
		}
		if id, ok := t.CC[x]; ok && !(hasExcl && id == excl) {
			sev = SeverityCC
		}
	}
	return sev
}
