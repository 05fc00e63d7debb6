package indicators

import (
	"context"
	"fmt"

	"github.com/yibao-dev/yibao"
)

// TechCase is a grouped stay with what the technology comparison (技术评价) needs.
type TechCase struct {
	SetlID     string
	Hospital   string
	DRG        string
	Procedures []string
	Items      []string // fee-line list codes
	LOS        int
	Cost       float64 // yuan
	// Complication: a secondary diagnosis NOT present on admission (adm_cond_type 4 无),
	// i.e. arising during the stay. Codes 2 (uncertain) and 3 (unknown) are not counted:
	// the rate is a lower bound, and a hospital cannot raise it by leaving the field vague
	// because such stays are counted in TechStats.UnknownPOA.
	Complication bool
	UnknownPOA   bool // a secondary diagnosis with adm_cond_type 2 or 3
	Readmitted   bool // unplanned readmission within the policy window (readmission_31's definition)
	Died         bool // dscg_way 5
}

// HospitalAcquired reports whether a settlement has a secondary diagnosis not present on
// admission, and whether one is of uncertain or unknown status.
func HospitalAcquired(s *yibao.Settlement) (acquired, unknown bool) {
	for _, d := range s.Diagnoses {
		if d.Principal {
			continue
		}
		switch d.AdmCond {
		case "4":
			acquired = true
		case "2", "3":
			unknown = true
		}
	}
	return acquired, unknown
}

// TechnologyCases reads the period's grouped stays with their procedures, fee items,
// hospital-acquired complications, unplanned readmissions and deaths.
func TechnologyCases(ctx context.Context, src Source, q Query) ([]TechCase, error) {
	p := q.Policy
	if p.ReadmitDays == 0 {
		p = DefaultPolicy()
	}
	stays, err := src.Stays(ctx, q.Scheme, q.From, q.To.AddDate(0, 0, p.LookAheadDays))
	if err != nil {
		return nil, fmt.Errorf("read stays: %w", err)
	}
	byID := map[string]*Stay{}
	for i := range stays {
		s := &stays[i]
		if s.Discharge.Before(q.To) && s.Grouped {
			byID[s.SetlID] = s
		}
	}
	planned := map[string]bool{}
	var cases []TechCase
	err = src.EachSettlement(ctx, q.From, q.To, func(st *yibao.Settlement) error {
		s := byID[st.ID]
		if s == nil {
			return nil
		}
		planned[st.ID] = st.PlannedReadmission
		c := TechCase{SetlID: st.ID, Hospital: s.Hospital, DRG: s.DRG, LOS: s.LOS, Cost: float64(s.CostFen) / 100, Died: s.Disposition == Death}
		c.Complication, c.UnknownPOA = HospitalAcquired(st)
		for _, pr := range st.Procedures {
			c.Procedures = append(c.Procedures, pr.Code)
		}
		for _, f := range st.Fees {
			c.Items = append(c.Items, f.ListCode)
		}
		cases = append(cases, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read settlements: %w", err)
	}
	var index []*Stay
	for i := range cases {
		if s := byID[cases[i].SetlID]; s != nil && !cases[i].Died {
			index = append(index, s)
		}
	}
	readm := FindReadmissions(index, stays, planned, p)
	for i := range cases {
		cases[i].Readmitted = readm[cases[i].SetlID].Outcome == "unplanned"
	}
	return cases, nil
}
