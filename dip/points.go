package dip

import (
	"fmt"
	"math/big"

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
	Ratio     *big.Rat  // r = C / Ā_{g,l}
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
// each rounded once, half away from zero, to four decimals.
func (e *Engine) Price(cat *Catalogue, c *Case) (Priced, error) {
	a, err := e.Assign(cat, c)
	if err != nil {
		return Priced{}, err
	}
	pol := &e.Policy.Rules
	g := a.Group
	p := Priced{Case: c, Group: g, Route: a.Route, GroupMean: g.LevelMean(c.Level), Aux: payment.RatioOne, K: payment.RatioOne}
	p.Ratio = new(big.Rat).SetFrac64(int64(c.Cost), int64(p.GroupMean))
	ratioAbove := func(t payment.Ratio) bool { // r > t
		return big.NewRat(int64(c.Cost)*int64(payment.RatioOne), 1).Cmp(big.NewRat(int64(t)*int64(p.GroupMean), 1)) > 0
	}
	ratioBelow := func(t payment.Ratio) bool { // r < t
		return int64(c.Cost)*int64(payment.RatioOne) < int64(t)*int64(p.GroupMean)
	}
	switch {
	case a.Key.Principal == "":
		p.ReasonZh, p.ReasonEn = "缺少主要诊断", "no principal diagnosis"
	case ratioAbove(pol.SpecialRatio.Value):
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
			p.Points = roundPoints(new(big.Rat).SetFrac64(int64(c.Cost)*1000, int64(cat.OverallMean)))
			return p, p.check()
		case "rejected":
			p.Earning = true
			p.Points = e.ordinary(&p, ratioAbove, ratioBelow)
			return p, p.check()
		default:
			p.Pending = true
			return p, nil
		}
	}
	p.Earning = true
	p.Points = e.ordinary(&p, ratioAbove, ratioBelow)
	return p, p.check()
}

func (p *Priced) check() error {
	if p.Points > maxPoints {
		return fmt.Errorf("case %s: %s points is implausible (cost %s, group mean %s)", p.Case.ID, p.Points, p.Case.Cost, p.GroupMean)
	}
	return nil
}

// ordinary applies the low / high / normal rules and sets the kind unless it is special review.
func (e *Engine) ordinary(p *Priced, above, below func(payment.Ratio) bool) payment.Points {
	pol := &e.Policy.Rules
	s := big.NewRat(int64(p.Group.Score), payment.PointsScale)
	kind := KindNormal
	var pts *big.Rat
	switch {
	case below(pol.LowRatio.Value):
		kind = KindLow
		pts = new(big.Rat).Mul(s, p.Ratio)
	case above(pol.HighRatio.Value):
		kind = KindHigh
		f := new(big.Rat).Sub(p.Ratio, big.NewRat(int64(pol.HighRatio.Value), int64(payment.RatioOne)))
		f.Add(f, big.NewRat(1, 1))
		pts = new(big.Rat).Mul(s, f)
	default:
		p.Aux = p.Group.AuxCoefficient(e.TiersOf(p.Case))
		p.K = e.Policy.Coefficient(p.Case.Hospital, p.Case.Level)
		pts = new(big.Rat).Mul(s, big.NewRat(int64(p.Aux)*int64(p.K), int64(payment.RatioOne)*int64(payment.RatioOne)))
	}
	if p.Kind == "" {
		p.Kind = kind
	}
	return roundPoints(pts)
}

// roundPoints rounds a non-negative number of points to four decimals, half away from zero.
func roundPoints(x *big.Rat) payment.Points {
	n := new(big.Int).Mul(x.Num(), big.NewInt(payment.PointsScale))
	d := x.Denom()
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	if new(big.Int).Mul(r.Abs(r), big.NewInt(2)).Cmp(d) >= 0 {
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() || q.Int64() > maxPoints {
		return maxPoints + 1 // flagged by Price
	}
	return payment.Points(q.Int64())
}

// maxPoints bounds one case's points (10¹¹ points): beyond it the input is implausible and
// sums over a region could overflow.
const maxPoints = 100_000_000_000 * payment.PointsScale

// RatioString is r to four decimals for display.
func (p *Priced) RatioString() string { return p.Ratio.FloatString(4) }
