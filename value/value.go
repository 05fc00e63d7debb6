// Package value pays primary care for health rather than volume (价值医疗): family-doctor
// contracts (签约), a chronic-condition registry derived from diagnoses, quality measures
// with care gaps specified like HEDIS measures, and payment models — risk-adjusted
// capitation with a withhold, pay-for-outcome tiers and shared savings on total cost.
//
// It takes and returns values: the store adapter supplies contracts and encounters, the
// CLI and the cockpit print what it returns. Definitions are data (data.json, policy.json)
// and docs/value.md names the source of each.
package value

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
)

// Contract is one family-doctor contract (签约); see yibao.Contract.
type Contract = yibao.Contract

// covers reports whether the contract is in force on day d.
func covers(c Contract, d time.Time) bool {
	d = day(d)
	return !d.Before(c.Start) && (c.End.IsZero() || !d.After(c.End))
}

// Reading is one clinical measurement (SBP, DBP, HBA1C, LDL…) from ext_measurements.
type Reading struct {
	Item  string
	Value float64
}

// Encounter is what the measures and payments read of a settlement.
type Encounter struct {
	SetlID      string
	Person      string
	Hospital    string
	Inpatient   bool
	Admission   time.Time
	Discharge   time.Time
	Age         int // completed years at admission
	Sex         yibao.Sex
	Diagnoses   []string // principal first
	Disposition string   // dscg_way
	// PlannedReadmission is days_rinp_flag_31 = 2 on THIS stay: a readmission within 31 days
	// of its discharge is planned.
	PlannedReadmission bool
	Readings           []Reading
	Fund               yibao.Fen // pooled-fund payment
}

// Period is a measurement period [From, To) — a calendar year by default.
type Period struct {
	Name     string
	From, To time.Time
}

// YearPeriod returns the calendar year y as a period.
func YearPeriod(y int) Period {
	return Period{Name: fmt.Sprint(y), From: time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// ParsePeriod reads YYYY.
func ParsePeriod(s string) (Period, error) {
	t, err := time.Parse("2006", s)
	if err != nil {
		return Period{}, fmt.Errorf("period %q: want a year, YYYY", s)
	}
	return YearPeriod(t.Year()), nil
}

func (p Period) contains(t time.Time) bool { return !t.Before(p.From) && t.Before(p.To) }

// last is the period's last day.
func (p Period) last() time.Time { return p.To.AddDate(0, 0, -1) }

func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Condition is a chronic condition of the registry.
type Condition struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	NameEN string   `json:"name_en"`
	Codes  []string `json:"codes"` // ICD-10 prefixes
	Source string   `json:"source"`
}

// ReadingRule is a threshold on one reading: Lt (value < Lt) or Ge (value ≥ Ge).
type ReadingRule struct {
	Item string   `json:"item"`
	Lt   *float64 `json:"lt,omitempty"`
	Ge   *float64 `json:"ge,omitempty"`
}

func (r ReadingRule) holds(v float64) bool {
	if r.Lt != nil && !(v < *r.Lt) {
		return false
	}
	if r.Ge != nil && !(v >= *r.Ge) {
		return false
	}
	return true
}

// PathwayRule says what managing one condition to its pathway takes besides the visits:
// a reading at every counted visit (PerVisit) or at least once in the period (Yearly).
type PathwayRule struct {
	PerVisit string `json:"per_visit,omitempty"`
	Yearly   string `json:"yearly,omitempty"`
}

// Measure is a quality measure: who is in the denominator (contracted persons with one of
// the conditions, within the ages, without an exclusion), what puts them in the numerator,
// and where the definition comes from.
type Measure struct {
	ID                 string                 `json:"id"`
	Name               string                 `json:"name"`
	NameEN             string                 `json:"name_en"`
	Kind               string                 `json:"kind"`
	Conditions         []string               `json:"conditions"`
	MinAge             int                    `json:"min_age,omitempty"`
	MaxAge             int                    `json:"max_age,omitempty"`
	ExcludeCodes       []string               `json:"exclude_codes,omitempty"`
	Readings           []ReadingRule          `json:"readings,omitempty"`
	Inverse            bool                   `json:"inverse,omitempty"` // lower is better
	MissingInNumerator bool                   `json:"missing_in_numerator,omitempty"`
	Item               string                 `json:"item,omitempty"`
	MinCount           int                    `json:"min_count,omitempty"`
	Pathway            map[string]PathwayRule `json:"pathway,omitempty"`
	ComplicationCodes  []string               `json:"complication_codes,omitempty"`
	WindowDays         int                    `json:"window_days,omitempty"`
	Source             string                 `json:"source"`
}

// Measure kinds.
const (
	KindLastReading        = "last_reading"
	KindTestCount          = "test_count"
	KindVisitCount         = "visit_count"
	KindStandardManagement = "standard_management"
	KindAdmissionsPer1000  = "admissions_per_1000"
	KindReadmission        = "readmission"
)

// Definitions are the condition registry and the measures, versioned together.
type Definitions struct {
	Version        string      `json:"version"`
	LookbackMonths int         `json:"lookback_months"`
	LookbackSource string      `json:"lookback_source"`
	Conditions     []Condition `json:"conditions"`
	Measures       []Measure   `json:"measures"`
}

//go:embed data.json
var defaultDefinitions []byte

// DefaultDefinitions returns the shipped registry and measures.
func DefaultDefinitions() *Definitions {
	d, err := ParseDefinitions(defaultDefinitions)
	if err != nil {
		panic("value: shipped data.json is invalid: " + err.Error())
	}
	return d
}

// LoadDefinitions reads a definitions file.
func LoadDefinitions(path string) (*Definitions, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d, err := ParseDefinitions(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// ParseDefinitions decodes and checks definitions: every measure names known conditions
// and a known kind with the fields that kind needs.
func ParseDefinitions(b []byte) (*Definitions, error) {
	var d Definitions
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("definitions: %w", err)
	}
	if d.LookbackMonths < 0 {
		return nil, fmt.Errorf("lookback_months: must not be negative")
	}
	known := map[string]bool{}
	for _, c := range d.Conditions {
		if c.ID == "" || len(c.Codes) == 0 {
			return nil, fmt.Errorf("condition %q: needs an id and codes", c.ID)
		}
		known[c.ID] = true
	}
	ids := map[string]bool{}
	for _, m := range d.Measures {
		if m.ID == "" || ids[m.ID] {
			return nil, fmt.Errorf("measure %q: missing or repeated id", m.ID)
		}
		ids[m.ID] = true
		if len(m.Conditions) == 0 {
			return nil, fmt.Errorf("measure %s: no conditions", m.ID)
		}
		for _, c := range m.Conditions {
			if !known[c] {
				return nil, fmt.Errorf("measure %s: unknown condition %q", m.ID, c)
			}
		}
		var bad string
		switch m.Kind {
		case KindLastReading:
			if len(m.Readings) == 0 {
				bad = "readings"
			}
		case KindTestCount:
			if m.Item == "" || m.MinCount < 1 {
				bad = "item and min_count"
			}
		case KindVisitCount, KindStandardManagement:
			if m.MinCount < 1 {
				bad = "min_count"
			}
		case KindAdmissionsPer1000:
			if len(m.ComplicationCodes) == 0 {
				bad = "complication_codes"
			}
		case KindReadmission:
			if m.WindowDays < 1 {
				bad = "window_days"
			}
		default:
			return nil, fmt.Errorf("measure %s: unknown kind %q", m.ID, m.Kind)
		}
		if bad != "" {
			return nil, fmt.Errorf("measure %s (%s): needs %s", m.ID, m.Kind, bad)
		}
		if m.Source == "" {
			return nil, fmt.Errorf("measure %s: no source", m.ID)
		}
	}
	return &d, nil
}

// Measure returns the measure with the given id.
func (d *Definitions) Measure(id string) (*Measure, bool) {
	for i := range d.Measures {
		if d.Measures[i].ID == id {
			return &d.Measures[i], true
		}
	}
	return nil, false
}

// matchCode reports whether an ICD code starts with one of the prefixes, comparing without
// the dot ("I10.x00" matches "I10", "E11.2" matches "E11.200").
func matchCode(code string, prefixes []string) bool {
	c := strings.ReplaceAll(strings.ToUpper(code), ".", "")
	for _, p := range prefixes {
		if strings.HasPrefix(c, strings.ReplaceAll(strings.ToUpper(p), ".", "")) {
			return true
		}
	}
	return false
}

// conditionsOf returns the set of condition ids diagnosed on the encounters dated within
// [from, to).
func (d *Definitions) conditionsOf(encs []Encounter, from, to time.Time) map[string]bool {
	out := map[string]bool{}
	for i := range encs {
		e := &encs[i]
		t := e.date()
		if t.Before(from) || !t.Before(to) {
			continue
		}
		for _, c := range d.Conditions {
			if out[c.ID] {
				continue
			}
			for _, code := range e.Diagnoses {
				if matchCode(code, c.Codes) {
					out[c.ID] = true
					break
				}
			}
		}
	}
	return out
}

// date is when the encounter counts: the discharge (or visit) day.
func (e *Encounter) date() time.Time {
	if !e.Discharge.IsZero() {
		return e.Discharge
	}
	return e.Admission
}

// Person is everything the engine knows of one pseudonymised person.
type Person struct {
	ID         string
	Contracts  []Contract  // in start order
	Encounters []Encounter // in admission order
}

// Group arranges contracts and encounters by person, each in time order. Encounters of
// persons who never held a contract are dropped: the measures and payments are about
// contracted populations.
func Group(contracts []Contract, encounters []Encounter) []*Person {
	by := map[string]*Person{}
	for _, c := range contracts {
		p := by[c.Person]
		if p == nil {
			p = &Person{ID: c.Person}
			by[c.Person] = p
		}
		p.Contracts = append(p.Contracts, c)
	}
	for _, e := range encounters {
		if p := by[e.Person]; p != nil {
			p.Encounters = append(p.Encounters, e)
		}
	}
	out := make([]*Person, 0, len(by))
	for _, p := range by {
		sort.SliceStable(p.Contracts, func(i, j int) bool { return p.Contracts[i].Start.Before(p.Contracts[j].Start) })
		sort.SliceStable(p.Encounters, func(i, j int) bool { return p.Encounters[i].Admission.Before(p.Encounters[j].Admission) })
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// contractOn returns the contract in force on day d (the latest started, if several).
func (p *Person) contractOn(d time.Time) (Contract, bool) {
	var found Contract
	ok := false
	for _, c := range p.Contracts {
		if covers(c, d) {
			found, ok = c, true
		}
	}
	return found, ok
}

// endContract is where a person without a deciding measurement counts: the contract in
// force on the period's last day, else the last contract that ended within the period.
func (p *Person) endContract(per Period) (Contract, bool) {
	if c, ok := p.contractOn(per.last()); ok {
		return c, true
	}
	var found Contract
	ok := false
	for _, c := range p.Contracts {
		if !c.End.IsZero() && per.contains(c.End) && !c.Start.After(per.last()) {
			if !ok || c.End.After(found.End) {
				found, ok = c, true
			}
		}
	}
	return found, ok
}

// contractedIn reports whether any contract of the person overlaps the period.
func (p *Person) contractedIn(per Period) bool {
	for _, c := range p.Contracts {
		if c.Start.Before(per.To) && (c.End.IsZero() || !c.End.Before(per.From)) {
			return true
		}
	}
	return false
}

// ageAt estimates the person's age on day d from the encounter nearest before it (ages
// are recorded at admission); -1 when unknown.
func (p *Person) ageAt(d time.Time) int {
	age, when := -1, time.Time{}
	for _, e := range p.Encounters {
		if e.Admission.After(d) && age >= 0 {
			break
		}
		age, when = e.Age, e.Admission
	}
	if age < 0 {
		return -1
	}
	if when.Before(d) {
		age += int(d.Sub(when).Hours() / 24 / 365.25)
	} else {
		age -= int(when.Sub(d).Hours() / 24 / 365.25)
	}
	return max(age, 0)
}

func (p *Person) sex() yibao.Sex {
	for _, e := range p.Encounters {
		if e.Sex != yibao.SexUnknown {
			return e.Sex
		}
	}
	return yibao.SexUnknown
}
