package payment

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
)

// Case is a grouped inpatient settlement to be priced.
type Case struct {
	SetlID      string
	Row         int64 // store row of the settlement version, for tracing
	Hospital    string
	Level       int
	InsuType    string
	Person      string // pseudonym, for the annual ceiling
	Discharge   time.Time
	Grouped     bool
	DRG, ADRG   string
	Cost        yibao.Fen
	LOS         int
	Disposition string // 2 transfer, 5 death
	Dept        string
	Doctor      string
	Flagged     bool // has a confirmed audit finding: excluded from overspend sharing
}

// Payment kinds.
const (
	KindStandard    = "standard"
	KindHighOutlier = "high_outlier" // 高倍率
	KindLowOutlier  = "low_outlier"  // 低倍率: fee-for-service
	KindDeath       = "death"
	KindTransfer    = "transfer"
	KindShortStay   = "short_stay"
	KindUngroupable = "ungroupable"
	KindNoWeight    = "no_weight" // paid its cost under rules.no_weight = ffs
)

// Priced is a case with its payment and how it was reached.
type Priced struct {
	Case
	RW         Ratio
	Coef       Ratio
	Rate       yibao.Fen // base rate applied
	Standard   yibao.Fen // RW × rate × coefficient
	Payment    yibao.Fen // what the DRG pays for the case
	Kind       string
	PatientPay yibao.Fen // by the benefit rules, on the actual cost
	FundPay    yibao.Fen // the fund's part of the payment: max(0, payment − patient)
}

// BaseRate is the rate to apply to a case: explicit per level, or one budget-derived rate.
type BaseRate struct {
	Single  yibao.Fen
	ByLevel map[int]yibao.Fen
}

func (b BaseRate) For(level int) yibao.Fen {
	if r, ok := b.ByLevel[level]; ok {
		return r
	}
	return b.Single
}

// DeriveBaseRate makes Σ RW × rate × coefficient over the expected cases equal the budget:
// rate = budget / Σ (RW × coefficient), rounded half away from zero to the fen. Cases
// without a weight are left out (they are paid by other rules).
func DeriveBaseRate(cases []Case, w *Weights, p *Params, budget yibao.Fen) (yibao.Fen, error) {
	var sum int64 // Σ RW × coef, in 1e-8 units
	for _, c := range cases {
		if !c.Grouped {
			continue
		}
		x, ok := w.For(c.DRG, c.ADRG)
		if !ok {
			continue
		}
		sum += int64(x.RW) * int64(p.Coefficient(c.Hospital))
	}
	if sum == 0 {
		return 0, fmt.Errorf("no weighted cases to spread the budget over")
	}
	return yibao.Fen(mulDiv(int64(budget), int64(RatioOne)*int64(RatioOne), sum)), nil
}

// ResolveBaseRate applies the parameters: by level, or derived from the budget.
func ResolveBaseRate(cases []Case, w *Weights, p *Params) (BaseRate, error) {
	if p.BaseRate.Mode == "by_level" {
		b := BaseRate{ByLevel: map[int]yibao.Fen{}}
		for lv, r := range p.BaseRate.ByLevel {
			n, _ := strconv.Atoi(lv)
			b.ByLevel[n] = yibao.Fen(r)
		}
		return b, nil
	}
	if p.BaseRate.Budget <= 0 {
		return BaseRate{}, fmt.Errorf("parameter base_rate.budget: a positive budget is needed in budget mode")
	}
	r, err := DeriveBaseRate(cases, w, p, yibao.Fen(p.BaseRate.Budget))
	return BaseRate{Single: r}, err
}

// standardPayment = RW × rate × coefficient, rounded once to the fen.
func standardPayment(rw Ratio, rate yibao.Fen, coef Ratio) yibao.Fen {
	return yibao.Fen(mulDiv(int64(rw)*int64(coef), int64(rate), int64(RatioOne)*int64(RatioOne)))
}

// PriceCase prices one case. A grouped case whose DRG has no weight is an error naming it.
func PriceCase(c Case, w *Weights, p *Params, rate BaseRate) (Priced, error) {
	pr := Priced{Case: c, Coef: p.Coefficient(c.Hospital), Rate: rate.For(c.Level)}
	if !c.Grouped {
		pr.Kind = KindUngroupable
		if p.Rules.Ungroupable == "ffs" {
			pr.Payment = c.Cost
		}
		return pr, nil
	}
	x, ok := w.For(c.DRG, c.ADRG)
	if !ok && p.Rules.NoWeight == "ffs" {
		pr.Kind, pr.Payment = KindNoWeight, c.Cost
		return pr, nil
	}
	if !ok {
		return pr, fmt.Errorf("case %s: DRG %s (ADRG %s) has no weight in weights %s (missing weight; set rules.no_weight to ffs to pay such cases their cost)", c.SetlID, c.DRG, c.ADRG, w.Version)
	}
	pr.RW = x.RW
	pr.Standard = standardPayment(x.RW, pr.Rate, pr.Coef)
	pr.Kind, pr.Payment = KindStandard, pr.Standard
	rule := func(kind, how string) {
		pr.Kind = kind
		switch how {
		case "ffs":
			pr.Payment = c.Cost
		case "per_diem":
			// Paid by the day against the group's mean stay, never above the standard.
			if x.MeanLOS > 0 && float64(c.LOS) < x.MeanLOS {
				mean100 := int64(math.Round(x.MeanLOS * 100))
				pr.Payment = yibao.Fen(mulDiv(int64(pr.Standard), int64(c.LOS)*100, mean100))
			}
		}
	}
	switch {
	case c.Disposition == "5" && p.Rules.Death != "standard":
		rule(KindDeath, p.Rules.Death)
	case c.Disposition == "2" && p.Rules.Transfer != "standard":
		rule(KindTransfer, p.Rules.Transfer)
	case c.LOS <= p.Rules.ShortStayDays && p.Rules.ShortStay != "standard":
		rule(KindShortStay, p.Rules.ShortStay)
	default:
		high := yibao.Fen(mulDiv(int64(pr.Standard), int64(p.Outliers.HighFactor), int64(RatioOne)))
		low := yibao.Fen(mulDiv(int64(pr.Standard), int64(p.Outliers.LowFactor), int64(RatioOne)))
		switch {
		case c.Cost > high:
			pr.Kind = KindHighOutlier
			pr.Payment = pr.Standard + yibao.Fen(mulDiv(int64(c.Cost-high), int64(p.Outliers.HighRatio), int64(RatioOne)))
		case c.Cost < low:
			pr.Kind = KindLowOutlier
			pr.Payment = c.Cost
		}
	}
	return pr, nil
}

// PriceAll prices cases and splits each payment between fund and patient. Patients pay by
// the benefit table on the actual cost, in discharge order so that the annual ceiling is
// used up in time order.
func PriceAll(cases []Case, w *Weights, p *Params, rate BaseRate) ([]Priced, error) {
	out := make([]Priced, len(cases))
	order := make([]int, len(cases))
	for i := range cases {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ca, cb := &cases[a], &cases[b]
		if c := ca.Discharge.Compare(cb.Discharge); c != 0 {
			return c
		}
		if c := strings.Compare(ca.SetlID, cb.SetlID); c != 0 {
			return c
		}
		return a - b
	})
	type personYear struct {
		person string
		year   int
	}
	used := map[personYear]yibao.Fen{} // fund used towards the annual ceiling
	benefits := map[[2]any]Benefit{}
	for _, b := range p.Benefits {
		benefits[[2]any{b.InsuType, b.Level}] = b
	}
	for _, i := range order {
		pr, err := PriceCase(cases[i], w, p, rate)
		if err != nil {
			return nil, err
		}
		key := personYear{pr.Person, pr.Discharge.Year()}
		fund := yibao.Fen(0)
		if b, ok := benefits[[2]any{pr.InsuType, pr.Level}]; ok && pr.Cost > yibao.Fen(b.Deductible) {
			fund = yibao.Fen(mulDiv(int64(pr.Cost-yibao.Fen(b.Deductible)), int64(b.Ratio), int64(RatioOne)))
			if b.Ceiling > 0 {
				fund = min(fund, max(0, yibao.Fen(b.Ceiling)-used[key]))
			}
		}
		used[key] += fund
		pr.PatientPay = pr.Cost - fund
		pr.FundPay = max(0, pr.Payment-pr.PatientPay)
		out[i] = pr
	}
	return out, nil
}
