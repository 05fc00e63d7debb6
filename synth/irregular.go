package synth

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Irregularity kinds, named as the audit categories that must find them.
const (
	KindDuplicate     = "duplicate_charge"
	KindOverQuantity  = "over_quantity"
	KindSex           = "sex_restriction"
	KindAge           = "age_restriction"
	KindIndication    = "indication_restriction"
	KindHospLevel     = "hosp_level_restriction"
	KindPriceOverCap  = "price_over_cap"
	KindExclusive     = "exclusive_items"
	KindUnbundling    = "unbundling"
	KindUpcoding      = "upcoding"
	KindSplit         = "split_admission"
	KindBedHanging    = "bed_hanging"
	KindOverlap       = "overlapping_stay"
	KindFrequent      = "frequent_admission"
	KindExcessiveLOS  = "excessive_los"
	splitWindowDays   = 15
	frequentMax       = 6
	excessiveLOSRatio = 3.0
)

// stayKinds are injected into one stay; the other kinds arise across a person's stays.
var stayKinds = []string{KindDuplicate, KindOverQuantity, KindSex, KindAge, KindIndication, KindHospLevel,
	KindPriceOverCap, KindExclusive, KindUnbundling, KindUpcoding, KindBedHanging, KindExcessiveLOS}

// injectStay applies one line- or settlement-level irregularity that the stay allows,
// preferring the kinds injected least so far (counts), so that every kind gets enough
// examples; it returns the kind applied or "".
func (g *gen) injectStay(rng *rand.Rand, e *encounter, counts map[string]int) string {
	order := slices.Clone(stayKinds)
	slices.SortStableFunc(order, func(a, b string) int { return counts[a] - counts[b] })
	for _, k := range order {
		if g.tryInject(rng, e, k) {
			counts[k]++
			return k
		}
	}
	return ""
}

func (g *gen) tryInject(rng *rand.Rand, e *encounter, kind string) bool {
	age := ageYears(e.p.birth, e.adm)
	lastDay := e.los - 1
	switch kind {
	case KindDuplicate:
		for i := len(e.fees) - 1; i >= 0; i-- {
			f := e.fees[i]
			if (f.item.Category == "09" || f.item.Category == "04") && g.addAllowed(e, f.item, f.t, f.qty) {
				f.label = KindDuplicate
				e.fees = append(e.fees, f)
				return true
			}
		}
	case KindOverQuantity:
		it := g.w.items["002503000160000"] // bedside glucose, at most 8 a day
		day := min(1, lastDay)
		f := g.add(e, day, it.Code, it.MaxQtyPerDay+2+rng.IntN(4))
		f.t = endOfDay(e.dayStart(day))
		f.label = KindOverQuantity
		return true
	case KindSex:
		code := "002503000140000" // PSA, men only
		if e.p.sex == 1 {
			code = "002503000150000" // hCG, women only
		}
		f := g.add(e, 0, code, 1)
		f.label = KindSex
		return true
	case KindAge:
		code := "XR05XAP001" // children's cold granules, up to 12 years
		if age <= 12 {
			return false
		}
		f := g.add(e, min(1, lastDay), code, 2)
		f.label = KindAge
		return true
	case KindIndication:
		for _, code := range []string{"XA02BCA001", "XB05AAA001", "ZA12BAD001", "XB01ACC001", "XN07XXS001"} {
			it := g.w.items[code]
			if e.dxMatches(it.Indications) || e.billed(code) || it.MinHospLevel > e.h.level {
				continue
			}
			for d := 0; d <= min(2, lastDay); d++ {
				f := g.add(e, d, code, 1)
				f.label = KindIndication
			}
			return true
		}
	case KindHospLevel:
		if e.h.level >= 3 {
			return false
		}
		f := g.add(e, min(1, lastDay), "003306000990000", 1) // robot-assisted surgery: level 3 only
		f.label = KindHospLevel
		return true
	case KindPriceOverCap:
		for i := range e.fees {
			f := &e.fees[i]
			if f.item.MaxPrice > 0 && f.label == "" {
				f.priceFen = int64(f.item.MaxPrice*100) + int64(500+rng.IntN(3000))
				f.label = KindPriceOverCap
				return true
			}
		}
	case KindExclusive:
		// 一级护理 (a) excludes 二级护理 (b) on the same day: the b line is the violation.
		a, b := "001201000010000", "001201000020000"
		day := min(1, lastDay)
		switch {
		case e.billed(b):
			for i := range e.fees {
				if f := &e.fees[i]; f.item.Code == b && sameDay(f.t, e.dayStart(day)) {
					f.label = KindExclusive
					g.add(e, day, a, 1)
					return true
				}
			}
		case e.billed(a):
			f := g.add(e, day, b, 1)
			f.label = KindExclusive
			return true
		}
	case KindUnbundling:
		for _, bd := range g.w.Bundles {
			if e.billed(bd.Package) && !e.billed(bd.Component) {
				for i := range e.fees {
					if e.fees[i].item.Code == bd.Package {
						day := int(e.fees[i].t.Sub(e.dayStart(0)).Hours() / 24)
						f := g.add(e, max(0, day), bd.Component, 1)
						f.label = KindUnbundling
						return true
					}
				}
			}
		}
	case KindUpcoding:
		if age < 1 {
			return false
		}
		var cands []*Complication
		for i := range g.w.Complications {
			c := &g.w.Complications[i]
			if c.Family == e.cond.Family || e.hasDx(c.Code) {
				continue
			}
			evident := false
			for _, ev := range c.Evidence {
				if e.billed(ev) {
					evident = true
				}
			}
			if !evident {
				cands = append(cands, c)
			}
		}
		if len(cands) == 0 {
			return false
		}
		e.dx = append(e.dx, cands[rng.IntN(len(cands))].Code)
		e.label = KindUpcoding
		return true
	case KindBedHanging:
		// A short course of care, then at least as many days with nothing but a bed.
		if e.cond.LOS < 4 || len(e.cond.Proc) > 0 {
			return false
		}
		care := max(2, int(e.cond.LOS)/3)
		idle := care + 1 + rng.IntN(3)
		g.restay(rng, e, care)
		for d := care; d < care+idle; d++ {
			g.bill(e, d, "001102000010000", 1)
		}
		g.setLOS(e, care+idle)
		e.label = KindBedHanging
		return true
	case KindExcessiveLOS:
		los := int(e.cond.LOS*4.5) + 1 + rng.IntN(5)
		g.restay(rng, e, los)
		g.setLOS(e, los)
		e.label = KindExcessiveLOS
		return true
	}
	return false
}

// addAllowed reports whether one more line of it at t stays within its limits (so that a
// duplicate is only a duplicate, not also an over-quantity).
func (g *gen) addAllowed(e *encounter, it *Item, t time.Time, qty int) bool {
	if it.MaxQtyPerStay > 0 && e.qtyOf(it.Code)+qty > it.MaxQtyPerStay {
		return false
	}
	if it.MaxQtyPerDay > 0 {
		n := 0
		for _, f := range e.fees {
			if f.item == it && sameDay(f.t, t) {
				n += f.qty
			}
		}
		if n+qty > it.MaxQtyPerDay {
			return false
		}
	}
	return true
}

// restay rebills the pathway for a stay of los days, keeping diagnoses and procedures.
func (g *gen) restay(rng *rand.Rand, e *encounter, los int) {
	dx := e.dx
	e.fees, e.proc, e.slots = nil, nil, map[int]int{}
	g.billPathway(rng, e, los)
	e.dx = dx
	// Comorbidity evidence lines are rebilled with the diagnoses they support.
	for _, d := range dx[1:] {
		for i := range g.w.Complications {
			c := &g.w.Complications[i]
			if c.Code != d {
				continue
			}
			for _, l := range c.lines {
				for k := 0; k < l.days && k < los; k++ {
					day := min(los-1, 1+k)
					if g.w.items[l.code].Category == "01" {
						g.replaceBed(e, day, l.code)
						continue
					}
					g.bill(e, day, l.code, l.qty)
				}
			}
		}
	}
}

func (g *gen) setLOS(e *encounter, los int) {
	e.los = los
	y, m, d := e.adm.Date()
	e.dscg = time.Date(y, m, d+los, e.dscg.Hour(), e.dscg.Minute(), 0, 0, time.UTC)
}

func endOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 23, 30, 0, 0, time.UTC)
}
