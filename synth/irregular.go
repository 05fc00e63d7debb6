package synth

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
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
	KindDrugShare     = "drug_share"
	KindHighCharge    = "high_single_charge"
	KindDxProcedure   = "dx_procedure_mismatch"
	drugShareMax      = 0.6
	singleChargeMax   = 25000 // yuan
	splitWindowDays   = 15
	frequentMax       = 6
	excessiveLOSRatio = 3.0
)

// stayKinds are injected into one stay; the other kinds arise across a person's stays.
var stayKinds = []string{KindDuplicate, KindOverQuantity, KindSex, KindAge, KindIndication, KindHospLevel,
	KindPriceOverCap, KindExclusive, KindUnbundling, KindUpcoding, KindBedHanging, KindExcessiveLOS,
	KindDrugShare, KindHighCharge, KindDxProcedure}

// kindWhy says, for labels.csv, what each injected kind is and why it is a violation.
var kindWhy = map[string]string{
	KindDuplicate:    "同一药品或检验在同一时间以相同数量、单价重复计费（未退费）",
	KindOverQuantity: "床旁血糖当日净数量超过每日限量 8 次",
	KindSex:          "限男性（PSA）或限女性（hCG）项目用于另一性别",
	KindAge:          "限 12 岁及以下的儿童用药用于年长患者",
	KindIndication:   "限适应症药品无相应诊断",
	KindHospLevel:    "限三级医院的机器人辅助手术在一、二级医院收费",
	KindPriceOverCap: "限价项目单价高于最高限价",
	KindExclusive:    "一级护理与二级护理同日收取",
	KindUnbundling:   "全麻套餐内的组成项目另行收费",
	KindUpcoding:     "编码了并发症/合并症（MCC/CC）却无任何相应诊疗证据",
	KindBedHanging:   "短期治疗后连续多日仅有床位费和护理费（无检查、检验、治疗或用药）",
	KindExcessiveLOS: "住院天数为临床路径均值的 4.5 倍以上且每日照常计费",
	KindSplit:        "出院后 15 天内因同一主要诊断在无再住院计划、非转院的情况下再次入院；标注在先出院的住院",
	KindOverlap:      "住院期间在另一医院开始另一次住院；标注后开始的住院",
	KindFrequent:     "一年内第 7 次及以后的非计划住院（不含计划再入院与转院接收）",
	KindDrugShare:    "加用辅助用药（胸腺法新）使药品费用超过住院费用的 65%",
	KindHighCharge:   "单笔收取两个取栓支架，金额超过 25,000 元",
	KindDxProcedure:  "结算清单编码了与诊断无关的手术操作（无相应收费）",
}

// injectStay applies one line- or settlement-level irregularity that the stay allows,
// preferring the kinds injected least so far (counts), so that every kind gets enough
// examples; it returns the kind applied or "".
func (g *gen) injectStay(rng *rand.Rand, e *encounter, counts map[string]int) string {
	// Ties (every kind at zero in a new block) start from a random kind, so that the kinds at
	// the end of the list are not starved in small blocks.
	off := rng.IntN(len(stayKinds))
	order := append(slices.Clone(stayKinds[off:]), stayKinds[:off]...)
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
		// The idle days carry what a HIS bills automatically for every bed-day: bed and
		// nursing (and nothing that shows care).
		nursing := nursing2
		for _, l := range e.cond.daily {
			if g.w.items[l.code].Category == "07" {
				nursing = l.code
			}
		}
		for d := care; d < care+idle; d++ {
			g.bill(e, d, "001102000010000", 1)
			g.bill(e, d, nursing, 1)
		}
		g.setLOS(e, care+idle)
		e.label = KindBedHanging
		return true
	case KindDrugShare:
		// An adjuvant drug (thymalfasin) every day until drugs are over 65% of the stay.
		var total, drugs int64
		for _, f := range e.fees {
			amt := int64(f.qty) * f.priceFen
			total += amt
			if c := f.item.Category; c == "09" || c == "10" || c == "11" {
				drugs += amt
			}
		}
		it := g.w.items["XL03AXT001"]
		need := (0.65*float64(total) - float64(drugs)) / 0.35
		perDay := int(math.Ceil(need / float64(e.los) / float64(it.priceFen)))
		if need <= 0 || perDay*int(it.priceFen) > singleChargeMax*100/2 {
			return false
		}
		for d := 0; d < e.los; d++ {
			f := g.add(e, d, it.Code, max(1, perDay))
			f.order = "YZ90"
		}
		e.label = KindDrugShare
		return true
	case KindHighCharge:
		if e.h.level < 3 {
			return false
		}
		f := g.add(e, min(1, lastDay), "C0901000001", 2) // two thrombectomy stents in one line: 32,000 yuan
		f.label = KindHighCharge
		return true
	case KindDxProcedure:
		// A procedure of another pathway coded with no diagnosis that supports it.
		n := len(g.w.Conditions)
		off := rng.IntN(n)
		for k := range n {
			c := &g.w.Conditions[(off+k)%n]
			if len(c.Proc) == 0 || c.MDC == e.cond.MDC || e.cond.MDC == "MDCP" {
				continue
			}
			if e.dxMatches(strings.Join(g.procDx[c.Proc[0]], "|")) {
				continue
			}
			e.proc = append(e.proc, procEntry{code: c.Proc[0], date: e.dayStart(min(1, lastDay)), dr: e.doctor})
			e.label = KindDxProcedure
			return true
		}
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

// nearWhy says, for near_misses.csv, why a look-alike of each kind is legitimate.
var nearWhy = map[string]string{
	KindDuplicate:    "计费后全额退费再按原时间重新计费（净额只计一次）",
	KindOverQuantity: "床旁血糖超量计费后当日退费，净数量未超限",
	KindSex:          "限性别项目用于相符性别的患者",
	KindAge:          "儿童用药用于 12 岁及以下儿童",
	KindHospLevel:    "机器人辅助手术在三级医院开展",
	KindExclusive:    "护理等级由一级降为二级，两者不在同一天",
	KindUpcoding:     "并发症/合并症有相应诊疗证据",
	KindExcessiveLOS: "病情较重的自然长住院（不超过临床路径均值 2.5 倍）",
	KindSplit:        "出院后 31 天内再入院，但属计划再入院（前次出院登记再住院计划）、转院接收或慢病急性加重的自然再入院",
	KindOverlap:      "转院：前一医院出院 1–5 小时后在另一医院入院，住院期间不重叠",
	KindFrequent:     "一年内住院超过 6 次，但其中计划再入院、转院接收不计为新的住院",
	KindHighCharge:   "单笔金额较高（≥ 15,000 元）但未超过阈值的植入物或手术",
}

// refund adds one of the refunds a HIS really produces: a bill, full refund and identical
// re-bill (a correction); a partial return of a drug; or bedside glucose billed over the
// daily limit and corrected by a refund the same day.
func (g *gen) refund(rng *rand.Rand, e *encounter) {
	switch rng.IntN(3) {
	case 0, 1:
		for i := len(e.fees) - 1; i >= 0; i-- {
			f := e.fees[i]
			if f.order == "" || f.qty < 1 {
				continue
			}
			r := f
			r.t, r.qty = f.t.Add(30*time.Minute), -f.qty
			if rng.IntN(2) == 0 {
				// Bill, refund in full, re-bill identically: without netting, a duplicate.
				re := f
				re.near = KindDuplicate
				e.fees = append(e.fees, r, re)
			} else if f.qty >= 2 {
				r.qty = -1 // a dose not given, returned
				e.fees = append(e.fees, r)
			}
			return
		}
	default:
		it := g.w.items["002503000160000"] // bedside glucose, at most 8 a day
		day := min(1, e.los-1)
		n := 0
		for _, f := range e.fees {
			if f.item == it && sameDay(f.t, e.dayStart(day)) {
				n += f.qty
			}
		}
		if n > it.MaxQtyPerDay-1 {
			return
		}
		f := g.add(e, day, it.Code, it.MaxQtyPerDay-n+2)
		f.near = KindOverQuantity
		r := *f
		r.near, r.t, r.qty = "", f.t.Add(time.Hour), -3
		e.fees = append(e.fees, r)
	}
}

// nearMisses adds the legitimate look-alikes of the line restrictions to a clean stay and
// records those the stay already has.
func (g *gen) nearMisses(rng *rand.Rand, e *encounter) {
	age := ageYears(e.p.birth, e.adm)
	last := e.los - 1
	switch {
	case e.p.sex == 1 && age >= 50 && rng.Float64() < 0.03:
		g.add(e, 0, "002503000140000", 1).near = KindSex // PSA for a man
	case e.p.sex == 2 && age >= 18 && age <= 50 && len(e.cond.Proc) > 0 && e.cond.MDC != "MDCO" && rng.Float64() < 0.1:
		g.add(e, 0, "002503000150000", 1).near = KindSex // pregnancy test before surgery
	}
	if age <= 12 && age >= 1 && (e.cond.MDC == "MDCE" || e.cond.MDC == "MDCD" || e.cond.MDC == "MDCT") && rng.Float64() < 0.3 {
		g.add(e, min(1, last), "XR05XAP001", 2).near = KindAge
	}
	if e.h.level == 3 && len(e.cond.Proc) > 0 && e.cond.MDC != "MDCO" && rng.Float64() < 0.02 {
		g.add(e, min(1, last), "003306000990000", 1).near = KindHospLevel
	}
	if e.billed(nursing1) && e.billed(nursing2) {
		e.near = append(e.near, KindExclusive)
	}
	if float64(e.los) >= 2*e.cond.LOS && e.cond.LOS >= 2 {
		e.near = append(e.near, KindExcessiveLOS)
	}
	for i := range e.fees {
		if f := &e.fees[i]; int64(f.qty)*f.priceFen >= 1_500_000 && f.near == "" {
			f.near = KindHighCharge
		}
	}
}
