package payment

import (
	"fmt"
	"sort"
	"strings"

	"github.com/yibao-dev/yibao"
)

// PayCase is a case of the payment period.
type PayCase struct {
	ID           string
	Row          int64 // store row of the settlement version, for tracing (0 in file mode)
	Hospital     string
	DRG, ADRG    string
	Status       string // grouped | ungroupable | failed
	Cost         yibao.Fen
	PatientPaid  yibao.Fen // from the settlement document, never recomputed
	Deduction    yibao.Fen // amounts of confirmed findings on the case
	LOS          int
	DischargeWay string // dscg_way
	Procedures   []string
	Month        int // discharge month 1–12, for prepayment; 0 when unknown
	// For benefit simulations only (PatientShares): insurance type, hospital level, person.
	Benefit *BenefitCase
	// Special review decision: "" pending, "approved", "rejected"; DecidedPoints > 0 sets
	// the points of an approved case (else C / Ā × 100).
	Review        string
	DecidedPoints Points
	// Void names the category of a confirmed finding whose policy voids the case's points
	// (split_admission, upcoding); "" none.
	Void string
}

// Case kinds of the calculation contract.
const (
	KindNormal        = "normal"
	KindHigh          = "high"           // 高倍率
	KindLow           = "low"            // 低倍率
	KindIncomplete    = "incomplete"     // transfer, against advice, ≤ 1 day
	KindPerDiem       = "per_diem"       // 床日
	KindSpecialReview = "special_review" // 特例单议
)

// Special-review reasons.
const (
	ReasonUngroupable = "ungroupable"
	ReasonFailed      = "failed"
	ReasonNoWeight    = "no_weight"
	ReasonLongStay    = "long_stay"
)

// PricedCase is a case with its points and money.
type PricedCase struct {
	*PayCase  // the input case (not copied: a million cases are priced in place)
	Kind      string
	Reason    string // special-review reason, "" when none
	HasRatio  bool
	Ratio     Ratio // r = C / Ā_g, four decimals (display; tests use exact fractions)
	Threshold Ratio // t applied to the high-ratio test, 0 when none
	RW        Ratio
	K         Ratio
	Points    Points
	Earns     bool      // counts in T and P: not pending, rejected to zero or voided
	Voided    Ratio     // multiple of BP_g deducted for a voiding finding
	VoidFen   yibao.Fen // that deduction in money (point value known)
	Amount    yibao.Fen // share of A_h (points × PV, remainders distributed)
	FundPaid  yibao.Fen // Amount − counted patient payment − deductions
}

// CountedPatientPaid is the part of the patients' payment counted in P (zero for a case
// that earns no points).
func (p *PricedCase) CountedPatientPaid() yibao.Fen {
	if p.Earns {
		return p.PatientPaid
	}
	return 0
}

// Deductions are the finding amounts plus the voiding deduction.
func (p *PricedCase) Deductions() yibao.Fen { return p.Deduction + p.VoidFen }

// pricer holds what pricing a case needs.
type pricer struct {
	pol      *Policy
	w        *Weights
	sum, cnt int64 // Ā = sum / cnt fen
	perDiem  map[string]bool
	incWays  map[string]bool
	techs    []Technology
	noCoef   bool
}

func newPricer(w *Weights, pol *Policy) (*pricer, error) {
	sum, cnt := w.Mean()
	if cnt <= 0 || sum <= 0 {
		return nil, fmt.Errorf("weights %s: no reference cases with a mean cost, so Ā (and C / Ā_g) is undefined", w.Version)
	}
	pr := &pricer{pol: pol, w: w, sum: sum, cnt: cnt, perDiem: map[string]bool{}, incWays: map[string]bool{}, techs: pol.Coefficients.Technologies}
	for _, d := range pol.PerDiem.DRGs {
		pr.perDiem[d] = true
	}
	for _, d := range pol.Incomplete.DischargeWays {
		pr.incWays[d] = true
	}
	c := pol.Coefficients
	pr.noCoef = len(c.Hospitals) == 0 && len(c.DRGs) == 0 && len(c.Technologies) == 0
	return pr, nil
}

// groupMean is Ā_g in fen: the group's own mean when it is priced on its own data, else
// RW_g × Ā (the mean its weight stands for).
func (pr *pricer) groupMean(x *Weight) int64 {
	if x.MeanCost > 0 && x.Cases > 0 && (x.Source == SourceOwn || x.Source == SourceMulti || x.Source == "") {
		return int64(x.MeanCost)
	}
	return max(1, mulDiv(int64(x.RW), pr.sum, pr.cnt*int64(RatioOne)))
}

// coefficient K = hospital × DRG × matching technologies, each product rounded to four
// decimals, clamped to [min, max].
func (pr *pricer) coefficient(c *PayCase) Ratio {
	if pr.noCoef {
		return RatioOne
	}
	cf := pr.pol.Coefficients
	k := int64(RatioOne)
	if v, ok := cf.Hospitals[c.Hospital]; ok {
		k = mulDiv(k, int64(v), int64(RatioOne))
	}
	if v, ok := cf.DRGs[c.DRG]; ok {
		k = mulDiv(k, int64(v), int64(RatioOne))
	}
	for _, t := range pr.techs {
		if t.matches(c) {
			k = mulDiv(k, int64(t.Coefficient), int64(RatioOne))
		}
	}
	return min(max(Ratio(k), cf.Min), cf.Max)
}

func (t *Technology) matches(c *PayCase) bool {
	if len(t.DRGs) > 0 && !contains(t.DRGs, c.DRG) {
		return false
	}
	for _, p := range c.Procedures {
		for _, q := range t.Procedures {
			if strings.HasPrefix(p, q) {
				return true
			}
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// reviewReason says why a case queues for special review, or "".
func (pr *pricer) reviewReason(c *PayCase) (string, *Weight) {
	switch c.Status {
	case StatusUngroupable:
		return ReasonUngroupable, nil
	case StatusFailed:
		return ReasonFailed, nil
	}
	x, ok := pr.w.Of(c.DRG)
	if !ok {
		return ReasonNoWeight, nil
	}
	if n := pr.pol.SpecialReview.MinLOS; n > 0 && c.LOS > n {
		return ReasonLongStay, x
	}
	return "", x
}

// price computes a case's points (docs/payment.md, Points of a case). Money comes later.
func (pr *pricer) price(c *PayCase) (PricedCase, error) {
	out := PricedCase{PayCase: c, K: RatioOne, Earns: true}
	switch c.Status {
	case StatusGrouped, StatusUngroupable, StatusFailed:
	default:
		return out, fmt.Errorf("case %s: status %q is not grouped, ungroupable or failed", c.ID, c.Status)
	}
	if c.Cost < 0 || c.PatientPaid < 0 || c.Deduction < 0 || c.LOS < 0 {
		return out, fmt.Errorf("case %s: cost, patient_paid, deduction and los must not be negative", c.ID)
	}
	reason, x := pr.reviewReason(c)
	if reason != "" {
		out.Reason = reason
		switch {
		case c.Review == "approved":
			out.Kind = KindSpecialReview
			if c.DecidedPoints > 0 {
				out.Points = c.DecidedPoints
			} else { // C / Ā × 100, Ā = sum / cnt: C × cnt × 100 × 10⁴ / sum units
				out.Points = Points(mulDiv(int64(c.Cost)*pr.cnt, 100*PointsScale, pr.sum))
			}
			pr.void(&out, x)
			return out, nil
		case c.Review == "rejected" && pr.pol.SpecialReview.Rejected == "rules" && x != nil:
			// priced by the other rows below
		default:
			out.Kind, out.Earns = KindSpecialReview, false
			return out, nil
		}
	}
	out.RW = x.RW
	out.K = pr.coefficient(c)
	bp := int64(x.BasePoints())
	bpk := bp * int64(out.K) // BP × K in 10⁻⁸ points
	mean := pr.groupMean(x)
	cost := int64(c.Cost)
	out.HasRatio = true
	out.Ratio = Ratio(mulDiv(cost, int64(RatioOne), mean))
	t := pr.pol.threshold(x.RW)
	normal := Points(mulDiv(bpk, 1, int64(RatioOne)))
	// low: BP × K × C / Ā_g
	low := func() Points { return Points(mulDiv(bpk, cost, int64(RatioOne)*mean)) }
	switch {
	case pr.perDiem[c.DRG]:
		out.Kind = KindPerDiem
		if x.MeanLOS <= 0 {
			return out, fmt.Errorf("case %s: per-diem DRG %s has no mean LOS in weights %s", c.ID, c.DRG, pr.w.Version)
		}
		out.Points = Points(mulDiv(bpk, int64(c.LOS), int64(x.MeanLOS))) // BP×K×LOS/L̄
	case cost*int64(RatioOne) > int64(t)*mean: // r > t: BP×K + BP×(r − t)×share
		out.Kind, out.Threshold = KindHigh, t
		// one rounding: bp × [K × 10⁴ × Ā_g + share × (C × 10⁴ − t × Ā_g)] / (10⁸ × Ā_g)
		one := int64(RatioOne)
		inner := int64(out.K)*one*mean + int64(pr.pol.HighRatio.Share)*(cost*one-int64(t)*mean)
		out.Points = Points(mulDiv(bp, inner, one*one*mean))
	case cost*int64(RatioOne) < int64(pr.pol.LowRatio.Below)*mean:
		out.Kind, out.Points = KindLow, low()
		out.Threshold = t
	case pr.incWays[c.DischargeWay] || c.LOS <= pr.pol.Incomplete.MaxLOS:
		out.Kind, out.Points = KindIncomplete, min(low(), normal)
		out.Threshold = t
	default:
		out.Kind, out.Points = KindNormal, normal
		out.Threshold = t
	}
	pr.void(&out, x)
	return out, nil
}

// void applies a confirmed voiding finding: the case earns no points and a multiple of
// BP_g is deducted once the point value is known.
func (pr *pricer) void(out *PricedCase, x *Weight) {
	if out.Void == "" {
		return
	}
	m, ok := pr.pol.Deductions.Void[out.Void]
	if !ok {
		return
	}
	out.Points, out.Earns = 0, false
	if x != nil {
		out.Voided = m
		out.RW = x.RW
	}
}

// Region-level results.

// ReviewQueue is one hospital's special-review queue for the period.
type ReviewQueue struct {
	Hospital string         `json:"hospital"`
	Cases    int            `json:"cases"` // the hospital's DRG cases in the period
	Quota    int            `json:"quota"` // approvals allowed: ⌊quota share × cases⌋
	Pending  int            `json:"pending"`
	Approved int            `json:"approved"`
	Rejected int            `json:"rejected"`
	Reasons  map[string]int `json:"reasons"`
	Over     bool           `json:"over_quota"` // more approvals than the quota
}

// HospitalPay is one hospital's DRG account for the period, with the field names the
// cockpit has used (payment_fen, cost_fen, settled_fen, patient_pay_fen, fund_outlay_fen).
type HospitalPay struct {
	Hospital     string         `json:"hospital"`
	Cases        int            `json:"cases"`
	Points       Points         `json:"points"`
	Cost         yibao.Fen      `json:"cost_fen"`
	Amount       yibao.Fen      `json:"payment_fen"`     // A_h
	Settled      yibao.Fen      `json:"settled_fen"`     // A_h (+ rate-mode sharing)
	PatientPaid  yibao.Fen      `json:"patient_pay_fen"` // P_h
	Deduction    yibao.Fen      `json:"deduction_fen"`   // D_h
	Voided       int            `json:"voided_cases"`
	FundPaid     yibao.Fen      `json:"fund_outlay_fen"` // F_h = A_h − P_h − D_h (+ rate-mode sharing)
	RateSharing  yibao.Fen      `json:"rate_sharing_fen,omitempty"`
	Review       ReviewQueue    `json:"special_review"`
	Kinds        map[string]int `json:"kinds"`
	SpecialQueue int            `json:"special_review_pending"`
}

// RateSharing is the rate mode's year-end account of the region against B.
type RateSharing struct {
	Rate          yibao.Fen `json:"rate_per_point_fen"`
	FundAtRate    yibao.Fen `json:"fund_at_rate_fen"` // Σ F_h at the fixed rate
	Budget        yibao.Fen `json:"budget_fen"`
	Overspend     yibao.Fen `json:"overspend_fen"`      // > 0: over B
	FundBears     yibao.Fen `json:"fund_bears_fen"`     // part of the overspend the fund pays
	HospitalsBear yibao.Fen `json:"hospitals_bear_fen"` // taken back from hospitals by points
	Surplus       yibao.Fen `json:"surplus_fen"`
	Retained      yibao.Fen `json:"retained_fen"` // given to hospitals by points
	byHospital    map[string]yibao.Fen
}

// Result is a DRG payment run.
type Result struct {
	Policy     string          `json:"policy"`
	Weights    string          `json:"weights"`
	Mode       string          `json:"mode"`
	Budget     yibao.Fen       `json:"budget_fen"`
	Points     PointSettlement `json:"points"` // point mode: PV = (B + P) / T
	Rate       *RateSharing    `json:"rate,omitempty"`
	Hospitals  []HospitalPay   `json:"hospitals"`
	Kinds      map[string]int  `json:"kinds"`
	Cases      []PricedCase    `json:"-"`
	Deductions yibao.Fen       `json:"deductions_fen"`
	Pending    int             `json:"special_review_pending"`
}

// PointValue is the point value as a decimal string (yuan per point); in rate mode the
// fixed rate.
func (r *Result) PointValue(decimals int) string {
	if r.Rate != nil {
		return r.Rate.Rate.String()
	}
	return r.Points.PointValueString(decimals)
}

// Pay prices the cases and settles the hospitals under the policy with budget B (the
// pooled fund's DRG budget of the period). Every case is in the result, in input order.
// Case ids are unique (the adapters check it); they break ties between equal remainders.
func Pay(cases []PayCase, w *Weights, pol *Policy, budget yibao.Fen) (*Result, error) {
	if budget < 0 {
		return nil, fmt.Errorf("budget %s yuan: must not be negative", budget)
	}
	pr, err := newPricer(w, pol)
	if err != nil {
		return nil, err
	}
	res := &Result{Policy: pol.Version, Weights: w.Version, Mode: pol.Mode.Value, Budget: budget, Kinds: map[string]int{},
		Cases: make([]PricedCase, len(cases))}
	type acc struct {
		PointAccount
		cost      yibao.Fen
		idx       []int
		voidPts   []int // cases with a voiding deduction
		kinds     map[string]int
		review    ReviewQueue
		rateFen   yibao.Fen
		voided    int
		pendingSR int
	}
	by := map[string]*acc{}
	var order []string
	for i := range cases {
		c := &cases[i]
		p, err := pr.price(c)
		if err != nil {
			return nil, err
		}
		res.Cases[i] = p
		a := by[c.Hospital]
		if a == nil {
			a = &acc{PointAccount: PointAccount{Hospital: c.Hospital}, kinds: map[string]int{},
				review: ReviewQueue{Hospital: c.Hospital, Reasons: map[string]int{}}}
			by[c.Hospital] = a
			order = append(order, c.Hospital)
		}
		a.Cases++
		a.cost += c.Cost
		a.kinds[p.Kind]++
		res.Kinds[p.Kind]++
		a.Deduction += c.Deduction
		if p.Earns {
			a.Points += p.Points
			a.PatientPaid += c.PatientPaid
			a.idx = append(a.idx, i)
		}
		if p.Voided > 0 {
			a.voidPts = append(a.voidPts, i)
		}
		if p.Void != "" && !p.Earns {
			a.voided++
		}
		if p.Reason != "" {
			a.review.Reasons[p.Reason]++
			switch p.Review {
			case "approved":
				a.review.Approved++
			case "rejected":
				a.review.Rejected++
			default:
				a.review.Pending++
				res.Pending++
			}
		}
	}
	sort.Strings(order)
	var T Points
	var P yibao.Fen
	for _, h := range order {
		T += by[h].Points
		P += by[h].PatientPaid
	}
	// The voiding deduction m × BP_g in money: m × BP × PV (point mode) or × rate.
	for _, h := range order {
		a := by[h]
		for _, i := range a.voidPts {
			p := &res.Cases[i]
			bpm := int64(p.RW) * 100 * int64(p.Voided) // points × 10⁸
			if pol.Mode.Value == "rate" {
				p.VoidFen = yibao.Fen(mulDiv(bpm, int64(pol.Rate.Rate), int64(RatioOne)*int64(RatioOne)))
			} else if T > 0 {
				p.VoidFen = yibao.Fen(mulDiv(bpm, int64(budget+P), int64(RatioOne)*int64(T)))
			}
			a.Deduction += p.VoidFen
		}
	}
	accounts := make([]PointAccount, len(order))
	for i, h := range order {
		accounts[i] = by[h].PointAccount
	}
	if pol.Mode.Value == "rate" {
		res.Points = PointSettlement{Budget: budget, PatientPaid: P, TotalPoints: T}
		for _, a := range accounts {
			res.Points.Hospitals = append(res.Points.Hospitals, HospitalPoints{Hospital: a.Hospital, Cases: a.Cases, Points: a.Points,
				PatientPaid: a.PatientPaid, Deduction: a.Deduction})
		}
		for _, h := range order {
			for _, i := range by[h].idx {
				p := &res.Cases[i]
				p.Amount = yibao.Fen(mulDiv(int64(p.Points), int64(pol.Rate.Rate), PointsScale))
			}
		}
		for k := range res.Points.Hospitals {
			hp := &res.Points.Hospitals[k]
			for _, i := range by[hp.Hospital].idx {
				hp.Amount += res.Cases[i].Amount
			}
			hp.FundPaid = hp.Amount - hp.PatientPaid - hp.Deduction
		}
		res.Rate = rateSharing(res.Points.Hospitals, pol, budget)
	} else {
		if T == 0 && len(order) > 0 {
			return nil, fmt.Errorf("no case earned points (all %d cases await special review or are voided): the point value is undefined", len(cases))
		}
		s, err := SettlePoints(accounts, budget)
		if err != nil {
			return nil, err
		}
		res.Points = s
		for _, hp := range s.Hospitals {
			a := by[hp.Hospital]
			w := make([]int64, len(a.idx))
			keys := make([]string, len(a.idx))
			for j, i := range a.idx {
				w[j] = int64(res.Cases[i].Points)
				keys[j] = res.Cases[i].ID
			}
			if len(w) == 0 {
				continue
			}
			amts, err := Apportion(hp.Amount, w, keys)
			if err != nil {
				return nil, fmt.Errorf("hospital %s: %w", hp.Hospital, err)
			}
			for j, i := range a.idx {
				res.Cases[i].Amount = amts[j]
			}
		}
	}
	for i := range res.Cases {
		p := &res.Cases[i]
		p.FundPaid = p.Amount - p.CountedPatientPaid() - p.Deductions()
	}
	shares := map[string]yibao.Fen{}
	if res.Rate != nil {
		shares = res.Rate.byHospital
	}
	for _, hp := range res.Points.Hospitals {
		a := by[hp.Hospital]
		a.review.Cases = a.Cases
		a.review.Quota = int(mulDivFloor(int64(a.Cases), int64(pol.SpecialReview.Quota), int64(RatioOne)))
		a.review.Over = a.review.Approved > a.review.Quota
		res.Hospitals = append(res.Hospitals, HospitalPay{Hospital: hp.Hospital, Cases: hp.Cases, Points: hp.Points, Cost: a.cost,
			Amount: hp.Amount, Settled: hp.Amount + shares[hp.Hospital], PatientPaid: hp.PatientPaid, Deduction: hp.Deduction,
			Voided: a.voided, FundPaid: hp.FundPaid + shares[hp.Hospital], RateSharing: shares[hp.Hospital],
			Review: a.review, Kinds: a.kinds, SpecialQueue: a.review.Pending})
		res.Deductions += hp.Deduction
	}
	return res, nil
}

// rateSharing shares the region's overspend or surplus against B by the policy's bands;
// the hospitals' part is apportioned by points.
func rateSharing(hs []HospitalPoints, pol *Policy, budget yibao.Fen) *RateSharing {
	rs := &RateSharing{Rate: yibao.Fen(pol.Rate.Rate), Budget: budget, byHospital: map[string]yibao.Fen{}}
	for _, h := range hs {
		rs.FundAtRate += h.FundPaid
	}
	diff := rs.FundAtRate - budget
	var hospitals yibao.Fen // > 0 taken back, < 0 given
	if diff > 0 {
		rs.Overspend = diff
		var done yibao.Fen
		for _, b := range pol.Rate.OverspendBands {
			upto := diff
			if b.UpTo > 0 {
				upto = min(diff, yibao.Fen(mulDiv(int64(budget), int64(b.UpTo), int64(RatioOne))))
			}
			if upto <= done {
				continue
			}
			part := upto - done
			fund := yibao.Fen(mulDiv(int64(part), int64(b.FundShare), int64(RatioOne)))
			rs.FundBears += fund
			rs.HospitalsBear += part - fund
			done = upto
			if done >= diff {
				break
			}
		}
		rs.HospitalsBear += diff - done // beyond the last band: hospitals
		hospitals = rs.HospitalsBear
	} else if diff < 0 {
		rs.Surplus = -diff
		rs.Retained = min(yibao.Fen(mulDiv(int64(rs.Surplus), int64(pol.Rate.SurplusShare), int64(RatioOne))),
			yibao.Fen(mulDiv(int64(budget), int64(pol.Rate.SurplusCap), int64(RatioOne))))
		hospitals = -rs.Retained
	}
	if hospitals == 0 {
		return rs
	}
	w := make([]int64, len(hs))
	keys := make([]string, len(hs))
	for i, h := range hs {
		w[i], keys[i] = int64(h.Points), h.Hospital
	}
	abs := hospitals
	if abs < 0 {
		abs = -abs
	}
	parts, err := Apportion(abs, w, keys)
	if err != nil {
		return rs
	}
	for i, h := range hs {
		if hospitals > 0 {
			rs.byHospital[h.Hospital] = -parts[i]
		} else {
			rs.byHospital[h.Hospital] = parts[i]
		}
	}
	return rs
}

// mulDivFloor is ⌊a × b / c⌋ for non-negative operands.
func mulDivFloor(a, b, c int64) int64 {
	if c == 0 {
		return 0
	}
	return (a * b) / c
}
