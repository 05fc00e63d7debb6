package value

import (
	"context"
	"fmt"
	"strconv"

	"github.com/yibao-dev/yibao"
)

// Source is what the engine reads from a store: the contracts and every current settlement.
type Source interface {
	Contracts(ctx context.Context) ([]yibao.Contract, error)
	EachSettlement(ctx context.Context, inpatientOnly bool, fn func(*yibao.Settlement) error) error
}

// Load reads the contracted persons with all their encounters (of every period: measures
// look back, readmissions look past the period's end, expected spending reads the prior
// year).
func Load(ctx context.Context, src Source) ([]*Person, error) {
	contracts, err := src.Contracts(ctx)
	if err != nil {
		return nil, fmt.Errorf("value: read contracts: %w", err)
	}
	contracted := make(map[string]bool, len(contracts))
	for _, c := range contracts {
		contracted[c.Person] = true
	}
	var encs []Encounter
	err = src.EachSettlement(ctx, false, func(s *yibao.Settlement) error {
		if contracted[s.Patient.Pseudonym] {
			encs = append(encs, EncounterOf(s))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("value: read settlements: %w", err)
	}
	return Group(contracts, encs), nil
}

// EncounterOf copies what the measures need out of a settlement (which the store reuses).
func EncounterOf(s *yibao.Settlement) Encounter {
	e := Encounter{
		SetlID: s.ID, Person: s.Patient.Pseudonym, Hospital: s.Hospital, Inpatient: s.Inpatient,
		Admission: s.Admission, Discharge: s.Discharge, Age: s.Patient.Age, Sex: s.Patient.Sex,
		Disposition: s.Disposition, PlannedReadmission: s.PlannedReadmission, Fund: s.Pay.Fund,
	}
	if e.Admission.IsZero() && len(s.Fees) > 0 {
		e.Admission = s.Fees[0].Time // outpatient visits may come without stay times
	}
	if !s.Inpatient && e.Discharge.IsZero() {
		e.Discharge = e.Admission
	}
	if p := s.PrincipalDiagnosis(); p != "" {
		e.Diagnoses = append(e.Diagnoses, p)
	}
	for _, d := range s.Diagnoses {
		if !d.Principal {
			e.Diagnoses = append(e.Diagnoses, d.Code)
		}
	}
	for _, m := range s.Measurements {
		v, err := strconv.ParseFloat(m.Value.String(), 64)
		if err == nil {
			e.Readings = append(e.Readings, Reading{Item: m.Item, Value: v})
		}
	}
	return e
}
