package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// encounter is a settlement being generated, before it is written as a document.
type encounter struct {
	setlID, mdtrtID string
	p               *person
	h               *hospital
	cond            *Condition // nil for outpatient visits
	inpatient       bool
	medType         string
	adm, dscg       time.Time
	los             int
	dept, doctor    string
	disposition     string
	planned         bool // this stay is the planned readmission of the one before
	plansNext       bool // days_rinp_flag_31 = 2: recorded at THIS discharge for the next cycle
	dx              []string
	acquired        []string // secondary diagnoses not present on admission (adm_cond_type 4)
	tcm             [2][2]string
	hasTCM          bool
	intensity       float64 // multiplies drug quantities: severity × hospital cost efficiency
	brand           float64 // multiplies the price of the stay's consumables
	stepDown        bool    // nursing steps down from 一级 to 二级 after day 2
	transferFrom    *encounter
	frequent        bool       // one of the stays of a person given frequent admissions
	readmitOf       *encounter // the base of an injected split readmission
	near            []string   // settlement-level near-miss kinds (near_misses.csv)
	proc            []procEntry
	fees            []fee
	meas            []measurement
	ageDays         int // -1 unless under one year
	birthWeight     int
	ventMinutes     int
	slots           map[int]int // lines already timed on each day
	label           string      // settlement-level irregularity injected into this stay
	cross           []string    // cross-settlement irregularities this stay completes
}

type procEntry struct {
	code string
	date time.Time
	dr   string
}

type fee struct {
	t        time.Time
	item     *Item
	qty      int
	priceFen int64
	doctor   string
	label    string // the irregularity this line carries, for labels.csv
	near     string // the near-miss this line is, for near_misses.csv
	order    string // rx_drord_no
}

type measurement struct {
	item  string
	value string
}

// dayStart is when charges of day d begin: just after admission on day 0, 08:00 after.
func (e *encounter) dayStart(d int) time.Time {
	if d == 0 {
		return e.adm.Add(10 * time.Minute)
	}
	y, m, dd := e.adm.Date()
	return time.Date(y, m, dd+d, 8, 0, 0, 0, time.UTC)
}

// price is what this hospital charges: services are cheaper at lower levels (tariffs by
// level), drugs and consumables sell at cost everywhere (zero mark-up policy).
func (g *gen) price(it *Item, h *hospital) int64 {
	switch it.Category {
	case "08", "09", "10", "11":
		return it.priceFen
	}
	f := [4]float64{0, 0.8, 0.9, 1}[h.level]
	return int64(math.Round(float64(it.priceFen) * f))
}

// add bills qty of item on day d; each line of a day gets its own minute so that no two
// lines are identical by accident.
func (g *gen) add(e *encounter, d int, code string, qty int) *fee {
	it := g.w.items[code]
	slot := e.slots[d]
	e.slots[d] = slot + 1
	e.fees = append(e.fees, fee{t: e.dayStart(d).Add(time.Duration(slot*3) * time.Minute), item: it, qty: qty, priceFen: g.price(it, e.h), doctor: e.doctor})
	return &e.fees[len(e.fees)-1]
}

// bill adds a pathway line unless it would break the item's daily or per-stay quantity
// limit: natural data keeps to the knowledge base, so that only injected lines break it.
func (g *gen) bill(e *encounter, d int, code string, qty int) {
	it := g.w.items[code]
	if it.MaxQtyPerStay > 0 && e.qtyOf(code)+qty > it.MaxQtyPerStay {
		return
	}
	if it.MaxQtyPerDay > 0 {
		n := 0
		day := e.dayStart(d)
		for _, f := range e.fees {
			if f.item == it && sameDay(f.t, day) {
				n += f.qty
			}
		}
		if n+qty > it.MaxQtyPerDay {
			return
		}
	}
	g.add(e, d, code, qty)
}

// billUpTo bills up to qty of an item, as much as its limits allow (natural data keeps to
// the knowledge base); it returns the line, or nil when nothing could be billed.
func (g *gen) billUpTo(e *encounter, d int, code string, qty int) *fee {
	it := g.w.items[code]
	if it.MaxQtyPerStay > 0 {
		qty = min(qty, it.MaxQtyPerStay-e.qtyOf(code))
	}
	if it.MaxQtyPerDay > 0 {
		n := 0
		day := e.dayStart(d)
		for _, f := range e.fees {
			if f.item == it && sameDay(f.t, day) {
				n += f.qty
			}
		}
		qty = min(qty, it.MaxQtyPerDay-n)
	}
	if qty <= 0 {
		return nil
	}
	return g.add(e, d, code, qty)
}

// orderNo is the order (医嘱) number of the k-th drug of a pathway: one standing order per
// drug for the whole course, unique within the settlement.
func orderNo(k int) string { return "YZ" + strconv.Itoa(k+1) }

// UngroupableDx is a valid but unspecific principal diagnosis (疾病原因不明) that the region
// codes on a few medical stays: no DRG scheme places it in an MDC.
const UngroupableDx = "R69.x00"

// restricted reports whether a pathway bills a drug restricted to indications (which a
// vague principal diagnosis would not satisfy).
func (g *gen) restricted(c *Condition) bool {
	for _, l := range c.drugs {
		if g.w.items[l.code].Indications != "" {
			return true
		}
	}
	return false
}

// basicCourse is the drug course of a pathway that names none: 0.9% saline by infusion.
var basicCourse = []lineSpec{{code: "XB05BBA001", qty: 1, days: 1}}

const (
	nursing1 = "001201000010000" // 一级护理
	nursing2 = "001201000020000" // 二级护理
)

// billOnce bills a one-off item; a quantity above one is repeated on successive days
// (a test done three times is three lines), never past the last day of the stay.
func (g *gen) billOnce(e *encounter, los int, code string, qty int) {
	for k := 0; k < qty; k++ {
		g.bill(e, min(k, los-1), code, 1)
	}
}

// inpatient generates one stay of p for condition c admitted on day adm at hospital h.
// losOverride > 0 fixes the length of stay.
func (g *gen) inpatient(rng *rand.Rand, p *person, h *hospital, c *Condition, adm time.Time, losOverride int) *encounter {
	at := time.Date(adm.Year(), adm.Month(), adm.Day(), 8+rng.IntN(12), rng.IntN(60), 0, 0, time.UTC)
	return g.inpatientAt(rng, p, h, c, at, losOverride)
}

// inpatientAt generates a stay admitted at the exact time adm.
//
// Cost follows a log-normal severity s (mean 1, spread fixed per pathway so that the
// coefficient of variation of cost within a pathway is 0.3–0.8): length of stay scales with
// s^0.8 and drug quantities with s × the hospital's cost factor. Complications (MCC/CC)
// lengthen and intensify the stay by 20–60% (addComorbidities). Consumables vary in price
// by product (brand).
func (g *gen) inpatientAt(rng *rand.Rand, p *person, h *hospital, c *Condition, adm time.Time, losOverride int) *encounter {
	e := &encounter{p: p, h: h, cond: c, inpatient: true, medType: "21", dept: c.Dept, disposition: "1", slots: map[int]int{}, ageDays: -1}
	e.doctor = fmt.Sprintf("D%s%s%02d", h.code[1:], strings.ReplaceAll(c.Dept, ".", ""), rng.IntN(h.doctors)+1)
	e.adm = adm
	sev := lognormal(rng, 1, c.costSigma)
	e.intensity = sev * h.costFactor
	e.brand = min(3, lognormal(rng, 1, c.costSigma))
	los := losOverride
	if los <= 0 {
		levelLOS := [4]float64{0, 0.9, 1, 1.05}[h.level]
		mean := c.LOS * levelLOS * h.losFactor * math.Pow(sev, 0.8)
		// Natural stays stay under 2.5 × the pathway's mean: longer ones are injected
		// (excessive stays), though the most severe natural cases at slow hospitals come
		// close to three times a group's mean — the detector's honest near-misses.
		los = int(math.Round(min(lognormal(rng, mean, 0.2), 2.5*c.LOS)))
		los = max(los, 1)
	}
	switch r := rng.Float64(); {
	case r < c.Mortality && losOverride <= 0:
		e.disposition = "5"
		los = max(1, los*2/3)
	case r < c.Mortality+0.03:
		e.disposition = "2" // transfer to another hospital: the receiving admission follows
	case r < c.Mortality+0.04:
		e.disposition = "3" // transfer to community care
	case r < c.Mortality+0.06 && losOverride <= 0:
		e.disposition = "4" // discharged against advice: a short, cheap (low-ratio) stay
		los = max(1, los/4)
	}
	e.los = los
	y, m, d := e.adm.Date()
	e.dscg = time.Date(y, m, d+los, 9+rng.IntN(3), rng.IntN(60), 0, 0, time.UTC)
	if ageYears(p.birth, e.adm) == 0 {
		e.ageDays = int(e.adm.Sub(p.birth).Hours() / 24)
		// The usual weight is drawn even when the pathway sets its own range, so that a seed
		// keeps giving the same region.
		e.birthWeight = 2500 + rng.IntN(1500)
		if w := c.BirthWeight; w[1] > w[0] {
			e.birthWeight = w[0] + rng.IntN(w[1]-w[0])
		}
	}
	e.dx = append(e.dx, c.Dx[rng.IntN(len(c.Dx))])
	// A few medical stays are coded with a vague principal diagnosis that no DRG scheme
	// places in an MDC: the ungroupable cases (0000组) payment has to handle.
	if r := rng.Float64(); r < 0.004 && len(c.Proc) == 0 && c.MDC != "MDCP" && !g.restricted(c) {
		e.dx[0] = UngroupableDx
	}
	e.stepDown = los >= 4 && rng.Float64() < 0.5
	if h.typ == "tcm" {
		t, ok := g.w.TCM[c.MDC]
		if !ok {
			t = g.w.TCM["default"]
		}
		e.tcm, e.hasTCM = t, true
	}
	g.billPathway(rng, e, los)
	g.addComorbidities(rng, e)
	if c.Ventilated {
		e.ventMinutes = (e.los-1)*1440 + rng.IntN(600)
	}
	return e
}

// billPathway writes the fee lines of a stay of los days following the pathway.
func (g *gen) billPathway(rng *rand.Rand, e *encounter, los int) {
	c := e.cond
	bed := "001102000010000"
	for _, l := range c.daily {
		if g.w.items[l.code].Category == "01" {
			bed = l.code
		}
	}
	surgDay := -1
	if len(c.Proc) > 0 {
		surgDay = min(1, los-1)
		for _, code := range c.Proc {
			e.proc = append(e.proc, procEntry{code: code, date: e.dayStart(surgDay), dr: e.doctor})
		}
	}
	drugDays := max(1, min(los, (los+1)/2+1))
	drugs := c.drugs
	if len(drugs) == 0 {
		// A pathway without its own drugs still gives fluids by infusion for the first half
		// of the stay: a ward patient is treated, not only bedded and nursed.
		drugs = basicCourse
	}
	injection := false
	for _, l := range drugs {
		if strings.Contains(g.w.items[l.code].Name, "注射") {
			injection = true
		}
	}
	for d := 0; d < los; d++ {
		g.bill(e, d, bed, 1)
		for _, l := range c.daily {
			if l.code == bed {
				continue
			}
			code := l.code
			if code == nursing1 && e.stepDown && d >= 2 {
				code = nursing2 // the same day never carries both levels: a near-miss of exclusive_items
			}
			g.bill(e, d, code, l.qty)
		}
		if d == 0 {
			for _, code := range []string{"001101000010000", "002503000010000", "002503000020000", "002503000120000"} {
				g.bill(e, d, code, 1)
			}
			for _, l := range c.once {
				g.billOnce(e, los, l.code, l.qty)
			}
			if injection {
				g.bill(e, d, "C0601000002", 1)
			}
		}
		if d == 3 {
			g.bill(e, d, "002503000010000", 1)
		}
		if d < drugDays {
			for k, l := range drugs {
				qty := max(1, int(math.Round(float64(l.qty)*e.intensity)))
				if f := g.billUpTo(e, d, l.code, qty); f != nil {
					f.order = orderNo(k)
				}
			}
			if injection {
				g.bill(e, d, "003101000010000", 1)
			}
		}
		if d == surgDay {
			if c.Anaesthesia != "" {
				g.bill(e, d, c.Anaesthesia, 1)
			}
			if c.Surgery != "" {
				g.bill(e, d, c.Surgery, 1)
			}
			// A consumable code covers a class of products at different prices (brand,
			// imported or domestic): the stay's product costs brand × the list price.
			for _, l := range c.cons {
				if f := g.billUpTo(e, d, l.code, l.qty); f != nil && f.item.MaxPrice == 0 {
					f.priceFen = int64(math.Round(float64(f.priceFen) * e.brand))
				}
			}
		}
	}
}

// addComorbidities adds chronic comorbidities and, with the pathway's probabilities, an
// MCC and/or CC together with the fee lines that a genuine case of it carries.
func (g *gen) addComorbidities(rng *rand.Rand, e *encounter) {
	p := e.p
	for _, x := range []struct {
		has  bool
		code string
	}{{p.htn, "I10.x00"}, {p.dm, "E11.900"}, {p.copd && e.cond.ID != "copd", "J44.900"}, {p.ckd && e.cond.Chronic != "ckd", "N18.300"}} {
		if x.has && e.dx[0] != x.code && len(e.dx) < 6 && rng.Float64() < 0.8 {
			e.dx = append(e.dx, x.code)
		}
	}
	if rng.Float64() < 0.15 {
		e.dx = append(e.dx, []string{"E78.500", "K21.900", "I25.103"}[rng.IntN(3)])
	}
	ageOK := ageYears(p.birth, e.adm) >= 1
	if !ageOK {
		return
	}
	uplift := 1.0
	for _, kind := range []string{"MCC", "CC"} {
		prob := e.cond.PMCC
		if kind == "CC" {
			prob = e.cond.PCC
		}
		if rng.Float64() >= prob {
			continue
		}
		cands := g.complicationsFor(e, kind)
		if len(cands) == 0 {
			continue
		}
		comp := cands[rng.IntN(len(cands))]
		e.dx = append(e.dx, comp.Code)
		// Some complications arise during the stay (not present on admission).
		if rng.Float64() < 0.3 {
			e.acquired = append(e.acquired, comp.Code)
		}
		if kind == "MCC" {
			uplift = max(uplift, 1.35+0.25*rng.Float64())
		} else {
			uplift = max(uplift, 1.15+0.2*rng.Float64())
		}
		e.near = append(e.near, KindUpcoding)
		for _, l := range comp.lines {
			for d := 0; d < l.days && d < e.los; d++ {
				day := min(e.los-1, 1+d)
				if g.w.items[l.code].Category == "01" {
					g.replaceBed(e, day, l.code)
					continue
				}
				g.bill(e, day, l.code, l.qty)
			}
		}
	}
	// A complicated stay costs more: longer and more intensive (the CC/MCC uplift).
	if uplift > 1 && e.disposition != "5" {
		los := max(e.los+1, int(math.Round(float64(e.los)*uplift)))
		e.intensity *= uplift
		g.restay(rng, e, los)
		g.setLOS(e, los)
	}
}

// complicationsFor lists complications a stay can genuinely carry: not of the principal
// diagnosis's own family, not already coded, and whose evidence lines break no rule here.
func (g *gen) complicationsFor(e *encounter, kind string) []*Complication {
	var out []*Complication
	for i := range g.w.Complications {
		c := &g.w.Complications[i]
		if c.Kind != kind || c.Family == e.cond.Family || e.hasDx(c.Code) {
			continue
		}
		ok := true
		for _, l := range c.lines {
			it := g.w.items[l.code]
			if it.MinHospLevel > e.h.level || it.Indications != "" && !matchesAny(c.Code, it.Indications) && !e.dxMatches(it.Indications) {
				ok = false
			}
			// Evidence that would collide with what the pathway bills daily (ICU monitoring,
			// filtration beside dialysis) is left out rather than creating a violation.
			for _, b := range g.w.Bundles {
				if l.code == b.Component && e.billed(b.Package) || l.code == b.Package && e.billed(b.Component) {
					ok = false
				}
			}
			for _, x := range g.w.Exclusive {
				if l.code == x.A && e.billed(x.B) || l.code == x.B && e.billed(x.A) {
					if g.w.items[l.code].Category != "01" {
						ok = false
					}
				}
			}
			if lim := it.MaxQtyPerDay; lim > 0 && l.qty+e.maxDaily(l.code) > lim {
				ok = false
			}
			if lim := it.MaxQtyPerStay; lim > 0 && l.qty*l.days+e.qtyOf(l.code) > lim {
				ok = false
			}
		}
		if ok {
			out = append(out, c)
		}
	}
	return out
}

// replaceBed swaps the bed line of day d for another bed item (an ICU day).
func (g *gen) replaceBed(e *encounter, d int, code string) {
	it := g.w.items[code]
	for i := range e.fees {
		f := &e.fees[i]
		if f.item.Category == "01" && sameDay(f.t, e.dayStart(d)) {
			f.item, f.priceFen = it, g.price(it, e.h)
			return
		}
	}
}

func (e *encounter) hasDx(code string) bool {
	for _, d := range e.dx {
		if d == code {
			return true
		}
	}
	return false
}

func (e *encounter) dxMatches(prefixes string) bool {
	for _, d := range e.dx {
		if matchesAny(d, prefixes) {
			return true
		}
	}
	return false
}

func matchesAny(code, prefixes string) bool {
	for _, p := range strings.Split(prefixes, "|") {
		if p != "" && strings.HasPrefix(code, p) {
			return true
		}
	}
	return false
}

func (e *encounter) billed(code string) bool {
	for _, f := range e.fees {
		if f.item.Code == code {
			return true
		}
	}
	return false
}

func (e *encounter) qtyOf(code string) int {
	n := 0
	for _, f := range e.fees {
		if f.item.Code == code {
			n += f.qty
		}
	}
	return n
}

func (e *encounter) maxDaily(code string) int {
	per := map[int64]int{}
	best := 0
	for _, f := range e.fees {
		if f.item.Code == code {
			k := f.t.Unix() / 86400
			per[k] += f.qty
			best = max(best, per[k])
		}
	}
	return best
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// sortFees orders lines by time (serial numbers follow that order when written).
func (e *encounter) sortFees() {
	slices.SortStableFunc(e.fees, func(a, b fee) int { return a.t.Compare(b.t) })
}
