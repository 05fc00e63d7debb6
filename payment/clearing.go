package payment

import (
	"fmt"

	"github.com/yibao-dev/yibao"
)

// HospitalClearing is one hospital's year: twelve monthly prepayments with the quality
// deposit withheld, and the year-end clearing (年终清算).
type HospitalClearing struct {
	Hospital    string       `json:"hospital"`
	Grade       string       `json:"grade"`
	ReturnShare Ratio        `json:"deposit_return_share"`
	Months      []Prepayment `json:"months"`
	Clearing
}

// ClearYear computes the monthly prepayments and the year-end clearing of a year's
// payment run. The month's expected fund payment of a hospital is what that month's
// cases would be paid with a twelfth of B (apportioned by largest remainder) at that
// month's point value (rate mode: at the rate); the advance is policy.prepayment.share of
// it and the deposit policy.prepayment.deposit. The clearing is Clear(F_h, Σ advances,
// Σ deposits, return share of the hospital's grade).
func ClearYear(res *Result, pol *Policy, grades map[string]string) ([]HospitalClearing, error) {
	monthBudget, err := Apportion(res.Budget, []int64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, nil)
	if err != nil {
		return nil, err
	}
	type key struct {
		h string
		m int
	}
	accs := map[key]*PointAccount{}
	fundAtRate := map[key]yibao.Fen{}
	for i := range res.Cases {
		c := &res.Cases[i]
		if c.Month < 1 || c.Month > 12 {
			return nil, fmt.Errorf("case %s: discharge month %d is not 1–12: prepayment needs it", c.ID, c.Month)
		}
		k := key{c.Hospital, c.Month}
		a := accs[k]
		if a == nil {
			a = &PointAccount{Hospital: c.Hospital}
			accs[k] = a
		}
		a.Cases++
		a.Points += c.Points
		a.PatientPaid += c.CountedPatientPaid()
		a.Deduction += c.Deductions()
		fundAtRate[k] += c.FundPaid
	}
	expected := map[key]yibao.Fen{}
	for m := 1; m <= 12; m++ {
		var list []PointAccount
		for _, h := range res.Hospitals {
			if a := accs[key{h.Hospital, m}]; a != nil {
				list = append(list, *a)
			}
		}
		if len(list) == 0 {
			continue
		}
		if res.Rate != nil {
			for _, a := range list {
				expected[key{a.Hospital, m}] = fundAtRate[key{a.Hospital, m}]
			}
			continue
		}
		var pts Points
		for _, a := range list {
			pts += a.Points
		}
		if pts == 0 {
			continue // nothing earned this month yet: nothing to prepay
		}
		s, err := SettlePoints(list, monthBudget[m-1])
		if err != nil {
			return nil, fmt.Errorf("month %d: %w", m, err)
		}
		for _, h := range s.Hospitals {
			expected[key{h.Hospital, m}] = h.FundPaid
		}
	}
	out := make([]HospitalClearing, 0, len(res.Hospitals))
	for _, h := range res.Hospitals {
		hc := HospitalClearing{Hospital: h.Hospital, Grade: grades[h.Hospital], ReturnShare: pol.ReturnShare(grades[h.Hospital])}
		var prepaid, withheld yibao.Fen
		for m := 1; m <= 12; m++ {
			p := Prepay(expected[key{h.Hospital, m}], pol.Prepayment.Share, pol.Prepayment.Deposit)
			hc.Months = append(hc.Months, p)
			prepaid += p.Advance
			withheld += p.Withheld
		}
		hc.Clearing = Clear(h.FundPaid, prepaid, withheld, hc.ReturnShare)
		out = append(out, hc)
	}
	return out, nil
}
