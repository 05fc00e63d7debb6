package dip

import (
	"fmt"
	"math/bits"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/payment"
)

// Case kinds in payments.
const (
	KindNormal        = "normal"
	KindLow           = "low"
	KindHigh          = "high"
	KindSpecialReview = "special_review"
)

// Priced is one case with its group and points.
type Priced struct {
	Case      *Case
	Group     *Group
	Route     string
	Kind      string
	GroupMean yibao.Fen // Ā_{g,l} used
	Aux       payment.Ratio
	K         payment.Ratio
	Points    payment.Points
	Earning   bool   // earns points: counts in T and its patient payment in P
	Pending   bool   // special review not decided
	ReasonZh  string // why special review
	ReasonEn  string
}

// Price assigns the case and computes its points by the deviation rules (docs/dip.md §5):
//
//	r = C / Ā_{g,l}
//	special review  r > special_ratio, LOS > special_los, or no principal diagnosis: 0 until
//	                decided; approved → C / Ā × 1000; rejected → the rules below
//	low             r < low_ratio:              S_g × r
//	high            high_ratio < r:             S_g × (r − high_ratio + 1)
//	normal          otherwise:                  S_g × aux × K_h
//
// each computed exactly in integers (128-bit intermediates) and rounded once, half away from
// zero, to four decimals.
func (e *Engine) Price(cat *Catalogue, c *Case) (Priced, error) {
	a, err := e.Assign(cat, c)
	if err != nil {
		return Priced{}, err
	}
	if c.Cost < 0 || c.Cost > maxCost {
		return Priced{}, fmt.Errorf("case %s: cost %s yuan is out of range", c.ID, c.Cost)
	}
	pol := &e.Policy.Rules
	g := a.Group
	p := Priced{Case: c, Group: g, Route: a.Route, GroupMean: g.LevelMean(c.Level), Aux: payment.RatioOne, K: payment.RatioOne}
	if p.GroupMean <= 0 || p.GroupMean > maxCost {
		return Priced{}, fmt.Errorf("case %s: group %s has no usable mean cost", c.ID, g.Code)
	}
	switch {
	case a.Key.Principal == "":
		p.ReasonZh, p.ReasonEn = "缺少主要诊断", "no principal diagnosis"
	case p.ratioCmp(pol.SpecialRatio.Value) > 0:
		p.ReasonZh, p.ReasonEn = "费用超过同级别病种均费 "+pol.SpecialRatio.Value.String()+" 倍", "cost above "+pol.SpecialRatio.Value.String()+"× the group mean"
	case pol.SpecialLOS.Value > 0 && c.LOS > pol.SpecialLOS.Value:
		p.ReasonZh, p.ReasonEn = "住院天数超过规定天数", "length of stay above the policy's limit"
	}
	if p.ReasonEn != "" {
		p.Kind = KindSpecialReview
		switch c.Review {
		case "approved":
			if cat.OverallMean <= 0 {
				return Priced{}, fmt.Errorf("catalogue has no overall mean to price an approved special-review case")
			}
			p.Earning = true
			p.Points = mulDivPoints(uint64(c.Cost), 1000*payment.PointsScale, uint64(cat.OverallMean))
			return p, p.check()
		case "rejected":
			p.Earning = true
			p.Points = e.ordinary(&p)
			return p, p.check()
		default:
			p.Pending = true
			return p, nil
		}
	}
	p.Earning = true
	p.Points = e.ordinary(&p)
	return p, p.check()
}

// maxCost bounds a case's cost (10¹² yuan) so that C × 10⁴ stays within int64.
const maxCost = 100_000_000_000_000

func (p *Priced) check() error {
	if p.Points > maxPoints {
		return fmt.Errorf("case %s: points out of range (cost %s, group mean %s, score %s)", p.Case.ID, p.Case.Cost, p.GroupMean, p.Group.Score)
	}
	return nil
}

// ratioCmp compares r = C / Ā_{g,l} with a threshold t: −1, 0 or +1.
func (p *Priced) ratioCmp(t payment.Ratio) int {
	ah, al := bits.Mul64(uint64(p.Case.Cost), uint64(payment.RatioOne))
	bh, bl := bits.Mul64(uint64(t), uint64(p.GroupMean))
	switch {
	case ah != bh:
		return cmp64(ah, bh)
	default:
		return cmp64(al, bl)
	}
}

func cmp64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ordinary applies the low / high / normal rules and sets the kind unless it is special review.
func (e *Engine) ordinary(p *Priced) payment.Points {
	pol := &e.Policy.Rules
	s := uint64(p.Group.Score)
	kind := KindNormal
	var pts payment.Points
	switch {
	case p.ratioCmp(pol.LowRatio.Value) < 0:
		kind = KindLow
		pts = mulDivPoints(s, uint64(p.Case.Cost), uint64(p.GroupMean)) // S × C / Ā
	case p.ratioCmp(pol.HighRatio.Value) > 0:
		kind = KindHigh
		// S × (C/Ā − h + 1) = S × (C·10⁴ − (h − 1)·10⁴·Ā) / (Ā·10⁴), positive because r > h.
		num := uint64(p.Case.Cost)*uint64(payment.RatioOne) - uint64(pol.HighRatio.Value-payment.RatioOne)*uint64(p.GroupMean)
		hi, lo := bits.Mul64(s, num)
		pts = divPoints(hi, lo, uint64(p.GroupMean)*uint64(payment.RatioOne))
	default:
		p.Aux = p.Group.AuxCoefficient(e.TiersOf(p.Case))
		p.K = e.Policy.Coefficient(p.Case.Hospital, p.Case.Level)
		pts = mulDivPoints(s, uint64(p.Aux)*uint64(p.K), uint64(payment.RatioOne)*uint64(payment.RatioOne))
	}
	if p.Kind == "" {
		p.Kind = kind
	}
	return pts
}

// mulDivPoints is a × b / c rounded half away from zero (all non-negative), as points; an
// overflow gives a value above maxPoints, which Price refuses.
func mulDivPoints(a, b, c uint64) payment.Points {
	hi, lo := bits.Mul64(a, b)
	return divPoints(hi, lo, c)
}

func divPoints(hi, lo, c uint64) payment.Points {
	if hi >= c {
		return maxPoints + 1
	}
	q, r := bits.Div64(hi, lo, c)
	if r >= c-r {
		q++
	}
	if q > uint64(maxPoints) {
		return maxPoints + 1
	}
	return payment.Points(q)
}

// maxPoints bounds one case's points (10¹¹ points): beyond it the input is implausible and
// sums over a region could overflow.
const maxPoints = 100_000_000_000 * payment.PointsScale

// RatioString is r = C / Ā_{g,l} to four decimals (half away from zero), for display.
func (p *Priced) RatioString() string {
	hi, lo := bits.Mul64(uint64(p.Case.Cost), uint64(payment.RatioOne))
	g := uint64(p.GroupMean)
	if hi >= g {
		return "overflow"
	}
	q, r := bits.Div64(hi, lo, g)
	if r >= g-r {
		q++
	}
	return payment.Ratio(q).String()
}
