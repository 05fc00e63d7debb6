package payment

import (
	"fmt"
	"math"
	"sort"

	"github.com/yibao-dev/yibao"
)

// DIPCase is a case assigned to a DIP group.
type DIPCase struct {
	SetlID   string
	Hospital string
	Month    int     // 1–12 within the year
	Score    float64 // the group's score (分值), two decimals
}

// DIPResult is the year's DIP account: the point value and each hospital's points,
// payment, prepayments and liquidation.
type DIPResult struct {
	Budget     yibao.Fen     `json:"budget_fen"`
	Points     float64       `json:"points"`      // Σ score × coefficient
	PointValue float64       `json:"point_value"` // fen per point, for display; payments are computed exactly
	Hospitals  []DIPHospital `json:"hospitals"`
}

// DIPHospital is one hospital's DIP account.
type DIPHospital struct {
	Hospital    string      `json:"hospital"`
	Cases       int         `json:"cases"`
	Points      float64     `json:"points"`
	Payment     yibao.Fen   `json:"payment_fen"`     // points × point value
	Prepaid     yibao.Fen   `json:"prepaid_fen"`     // Σ monthly prepayments
	Liquidation yibao.Fen   `json:"liquidation_fen"` // payment − prepaid (negative: the hospital repays)
	Monthly     []yibao.Fen `json:"monthly_prepay_fen"`
}

// SettleDIP computes the point value = budget / Σ points (points = score × hospital
// coefficient), each hospital's payment = its points × point value, monthly prepayments =
// prepay share × budget/12 × the hospital's share of that month's points, and the year-end
// liquidation. Points are counted in units of 10⁻⁶ so that every product is exact.
func SettleDIP(cases []DIPCase, p *Params) (DIPResult, error) {
	budget := yibao.Fen(p.DIP.Budget)
	if budget <= 0 {
		return DIPResult{}, fmt.Errorf("parameter dip.budget: a positive budget is needed")
	}
	months := p.DIP.MonthsInYear
	if months <= 0 {
		months = 12
	}
	type acc struct {
		cases   int
		points  int64
		monthly []int64
	}
	by := map[string]*acc{}
	monthTotal := make([]int64, months+1)
	var total int64
	for _, c := range cases {
		if c.Month < 1 || c.Month > months {
			return DIPResult{}, fmt.Errorf("case %s: month %d outside 1–%d", c.SetlID, c.Month, months)
		}
		pts := int64(math.Round(c.Score*100)) * int64(p.Coefficient(c.Hospital)) // 1e-6 points
		a := by[c.Hospital]
		if a == nil {
			a = &acc{monthly: make([]int64, months+1)}
			by[c.Hospital] = a
		}
		a.cases++
		a.points += pts
		a.monthly[c.Month] += pts
		monthTotal[c.Month] += pts
		total += pts
	}
	if total == 0 {
		return DIPResult{}, fmt.Errorf("no DIP points to spread the budget over")
	}
	res := DIPResult{Budget: budget, Points: float64(total) / 1e6, PointValue: float64(budget) / (float64(total) / 1e6)}
	monthBudget := mulDiv(int64(budget), int64(p.DIP.PrepayShare), int64(RatioOne)*int64(months))
	for _, h := range sortedKeys(by) {
		a := by[h]
		d := DIPHospital{Hospital: h, Cases: a.cases, Points: float64(a.points) / 1e6,
			Payment: yibao.Fen(mulDiv(int64(budget), a.points, total)), Monthly: make([]yibao.Fen, months)}
		for m := 1; m <= months; m++ {
			if monthTotal[m] > 0 {
				d.Monthly[m-1] = yibao.Fen(mulDiv(monthBudget, a.monthly[m], monthTotal[m]))
				d.Prepaid += d.Monthly[m-1]
			}
		}
		d.Liquidation = d.Payment - d.Prepaid
		res.Hospitals = append(res.Hospitals, d)
	}
	sort.Slice(res.Hospitals, func(i, j int) bool { return res.Hospitals[i].Hospital < res.Hospitals[j].Hospital })
	return res, nil
}
