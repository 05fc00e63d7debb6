package dip

import (
	"fmt"
	"sort"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/payment"
)

// Paid is a priced case with its share of its hospital's amount.
type Paid struct {
	Priced
	Amount   yibao.Fen // the case's share of A_h (largest remainder within the hospital)
	FundPaid yibao.Fen // Amount − patient's payment (earning cases) − deduction
}

// CountedPaid is the patient's payment counted in P: the settlement's payment on a case that
// earns points, zero on one that does not (pending special review). payments.csv shows this
// value, as the DRG contract does, so that every row keeps fund_paid = amount − patient_paid −
// deduction and the rows of a hospital add up to its line in hospitals.csv.
func (c *Paid) CountedPaid() yibao.Fen {
	if c.Earning {
		return c.Case.Paid
	}
	return 0
}

// Settlement is the point-value settlement of a period.
type Settlement struct {
	Points payment.PointSettlement
	Cases  []Paid
	// Counts by case kind and by route.
	Kinds  map[string]int
	Routes map[string]int
}

// Settle computes PV = (B + P) / T on the pooled-fund basis with payment.SettlePoints: B the
// fund's DIP budget, P the patients' actual payments on the cases that earn points, T their
// points. A_h is shared among the hospital's cases by points (largest remainder), so the
// cases' amounts add up to B + P exactly. A pending special-review case earns nothing yet:
// amount 0, its patient payment outside P, fund payment −deduction.
func Settle(priced []Priced, budget yibao.Fen) (*Settlement, error) {
	type acc struct {
		payment.PointAccount
		idx []int
	}
	by := map[string]*acc{}
	var order []string
	out := &Settlement{Cases: make([]Paid, len(priced)), Kinds: map[string]int{}, Routes: map[string]int{}}
	for i := range priced {
		p := &priced[i]
		out.Cases[i].Priced = *p
		out.Kinds[p.Kind]++
		out.Routes[p.Route]++
		a := by[p.Case.Hospital]
		if a == nil {
			a = &acc{PointAccount: payment.PointAccount{Hospital: p.Case.Hospital}}
			by[p.Case.Hospital] = a
			order = append(order, p.Case.Hospital)
		}
		a.Cases++
		a.Deduction += p.Case.Deduction
		a.idx = append(a.idx, i)
		if p.Earning {
			a.Points += p.Points
			a.PatientPaid += p.Case.Paid
		}
	}
	sort.Strings(order)
	accounts := make([]payment.PointAccount, len(order))
	for i, h := range order {
		accounts[i] = by[h].PointAccount
	}
	ps, err := payment.SettlePoints(accounts, budget)
	if err != nil {
		return nil, fmt.Errorf("DIP point value: %w", err)
	}
	out.Points = ps
	for _, hp := range ps.Hospitals {
		a := by[hp.Hospital]
		w := make([]int64, len(a.idx))
		keys := make([]string, len(a.idx))
		for j, i := range a.idx {
			if priced[i].Earning {
				w[j] = int64(priced[i].Points)
			}
			keys[j] = priced[i].Case.ID
		}
		var amounts []yibao.Fen
		if hp.Points == 0 {
			amounts = make([]yibao.Fen, len(a.idx)) // nothing earned: A_h is 0 too
		} else if amounts, err = payment.Apportion(hp.Amount, w, keys); err != nil {
			return nil, fmt.Errorf("DIP hospital %s: %w", hp.Hospital, err)
		}
		for j, i := range a.idx {
			c := &out.Cases[i]
			c.Amount = amounts[j]
			c.FundPaid = c.Amount - c.CountedPaid() - c.Case.Deduction
		}
	}
	return out, nil
}

// HospitalClearing is a hospital's DIP year: monthly prepayments with the deposit withheld,
// and the year-end clearing.
type HospitalClearing struct {
	Hospital string                 `json:"hospital"`
	Grade    string                 `json:"grade"`
	Monthly  []payment.Prepayment   `json:"monthly"`
	Clearing payment.Clearing       `json:"clearing"`
	Points   payment.HospitalPoints `json:"settlement"`
}

// MonthPoints is what a hospital earned in one month (for the prepayment).
type MonthPoints struct {
	Hospital string
	Month    int // 1–months
	Points   payment.Points
}

// Clear computes monthly prepayments and the year-end clearing on the fund basis: the month's
// expected fund payment of a hospital is the month's share of the fund budget (B / months)
// apportioned by the month's points (largest remainder); the advance and the deposit follow
// payment.Prepay with the policy's shares; the clearing follows payment.Clear with the share
// of the deposit that the hospital's grade returns.
func (p *Policy) Clear(s *Settlement, months int, monthly []MonthPoints, grades map[string]string) ([]HospitalClearing, error) {
	if months < 1 {
		return nil, fmt.Errorf("months must be at least 1")
	}
	b := s.Points.Budget
	monthBudget, err := payment.Apportion(b, ones(months), nil)
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	out := make([]HospitalClearing, len(s.Points.Hospitals))
	for i, h := range s.Points.Hospitals {
		idx[h.Hospital] = i
		g := grades[h.Hospital]
		if g == "" {
			g = p.Rules.DefaultGrade.Value
		}
		out[i] = HospitalClearing{Hospital: h.Hospital, Grade: g, Monthly: make([]payment.Prepayment, months), Points: h}
	}
	for m := 1; m <= months; m++ {
		w := make([]int64, len(out))
		keys := make([]string, len(out))
		for i := range out {
			keys[i] = out[i].Hospital
		}
		var sum int64
		for _, mp := range monthly {
			if mp.Month == m {
				i, ok := idx[mp.Hospital]
				if !ok {
					return nil, fmt.Errorf("month %d: hospital %s has no settlement", m, mp.Hospital)
				}
				w[i] += int64(mp.Points)
				sum += int64(mp.Points)
			}
		}
		if sum == 0 {
			continue
		}
		exp, err := payment.Apportion(monthBudget[m-1], w, keys)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i].Monthly[m-1] = payment.Prepay(exp[i], p.Rules.PrepayShare.Value, p.Rules.DepositShare.Value)
		}
	}
	for i := range out {
		var adv, held yibao.Fen
		for _, pp := range out[i].Monthly {
			adv += pp.Advance
			held += pp.Withheld
		}
		out[i].Clearing = payment.Clear(out[i].Points.FundPaid, adv, held, p.ReturnShare(out[i].Grade))
	}
	return out, nil
}

func ones(n int) []int64 {
	w := make([]int64, n)
	for i := range w {
		w[i] = 1
	}
	return w
}
