package payment

import (
	"sort"

	"github.com/yibao-dev/yibao"
)

// HospitalSettlement is one hospital's account for a period (docs/payment.md).
type HospitalSettlement struct {
	Hospital      string    `json:"hospital"`
	Cases         int       `json:"cases"`
	Flagged       int       `json:"flagged_cases"`
	Payment       yibao.Fen `json:"payment_fen"`        // Σ DRG payments
	Cost          yibao.Fen `json:"cost_fen"`           // Σ actual costs
	Surplus       yibao.Fen `json:"surplus_fen"`        // payment − cost when positive
	Retained      yibao.Fen `json:"retained_fen"`       // 结余留用: surplus × retention
	Overspend     yibao.Fen `json:"overspend_fen"`      // cost − payment when positive
	Shareable     yibao.Fen `json:"shareable_fen"`      // overspend of unflagged cases within the band
	FundShare     yibao.Fen `json:"fund_share_fen"`     // 合理超支分担: shareable × fund share
	HospitalBears yibao.Fen `json:"hospital_bears_fen"` // overspend − fund share
	Settled       yibao.Fen `json:"settled_fen"`        // what the hospital receives in all
	PatientPay    yibao.Fen `json:"patient_pay_fen"`
	FundOutlay    yibao.Fen `json:"fund_outlay_fen"` // settled − patients' payments
}

// Settle accounts for each hospital:
//
//	surplus (cost ≤ payment): settled = cost + round(surplus × retention)
//	overspend:                shareable = min(max(0, cost_ok − payment_ok), round(payment_ok × band))
//	                          settled = payment + round(shareable × fund share)
//
// where _ok sums leave out cases with confirmed audit findings.
func Settle(priced []Priced, p *Params) []HospitalSettlement {
	type acc struct {
		HospitalSettlement
		payOK, costOK yibao.Fen
	}
	by := map[string]*acc{}
	for i := range priced {
		c := &priced[i]
		a := by[c.Hospital]
		if a == nil {
			a = &acc{HospitalSettlement: HospitalSettlement{Hospital: c.Hospital}}
			by[c.Hospital] = a
		}
		a.Cases++
		a.Payment += c.Payment
		a.Cost += c.Cost
		a.PatientPay += c.PatientPay
		if c.Flagged {
			a.Flagged++
		} else {
			a.payOK += c.Payment
			a.costOK += c.Cost
		}
	}
	out := make([]HospitalSettlement, 0, len(by))
	for _, a := range by {
		s := a.HospitalSettlement
		if s.Cost <= s.Payment {
			s.Surplus = s.Payment - s.Cost
			s.Retained = yibao.Fen(mulDiv(int64(s.Surplus), int64(p.Settlement.SurplusRetention), int64(RatioOne)))
			s.Settled = s.Cost + s.Retained
		} else {
			s.Overspend = s.Cost - s.Payment
			band := yibao.Fen(mulDiv(int64(a.payOK), int64(p.Settlement.OverspendBand), int64(RatioOne)))
			s.Shareable = min(max(0, a.costOK-a.payOK), band, s.Overspend)
			s.FundShare = yibao.Fen(mulDiv(int64(s.Shareable), int64(p.Settlement.OverspendFundShare), int64(RatioOne)))
			s.HospitalBears = s.Overspend - s.FundShare
			s.Settled = s.Payment + s.FundShare
		}
		s.FundOutlay = s.Settled - s.PatientPay
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Hospital < out[j].Hospital })
	return out
}
