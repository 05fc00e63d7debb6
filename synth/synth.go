package synth

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Config sizes and seeds a region.
type Config struct {
	Seed      uint64
	Hospitals int
	Persons   int
	Months    int
	Start     time.Time // first day simulated; default 2024-01-01
	Irregular float64   // share of inpatient stays given an irregularity; default 0.05
	Out       string    // directory
	Workers   int       // default GOMAXPROCS; the output does not depend on it
	// Progress, when set, is called with persons done so far.
	Progress func(done, total int)
}

// Summary counts what was written.
type Summary struct {
	Hospitals   int            `json:"hospitals"`
	Persons     int            `json:"persons"`
	Settlements int            `json:"settlements"`
	Inpatient   int            `json:"inpatient"`
	Outpatient  int            `json:"outpatient"`
	FeeLines    int            `json:"fee_lines"`
	Labels      map[string]int `json:"labels"`      // settlements (or lines) labelled, by kind
	NearMisses  map[string]int `json:"near_misses"` // legitimate look-alikes recorded, by kind
	Bytes       int64          `json:"bytes"`
}

// Files written into Config.Out.
const (
	HospitalsFile    = "hospitals.csv"
	PersonsFile      = "persons.csv"
	SettlementsFile  = "settlements.ndjson"
	LabelsFile       = "labels.csv"
	NearMissFile     = "near_misses.csv"
	SatisfactionFile = "satisfaction.csv"
	KBDir            = "kb"
)

type gen struct {
	cfg   Config
	w     *World
	hosps []hospital
	// conditions by MDCP (newborn) or not, for drawing
	adultConds []*Condition
	newborn    []*Condition
	end        time.Time
	// procDx lists, for each procedure a pathway codes, the 3-character diagnosis categories
	// of the pathways that code it: the diagnosis–procedure consistency table of the KB.
	procDx map[string][]string
}

const blockSize = 500

// Run writes the region. The output is a function of the Config except Workers and Progress.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	if cfg.Hospitals < 3 || cfg.Persons < 1 || cfg.Months < 1 {
		return Summary{}, fmt.Errorf("synth: need at least 3 hospitals, 1 person and 1 month (got %d, %d, %d)", cfg.Hospitals, cfg.Persons, cfg.Months)
	}
	if cfg.Irregular < 0 || cfg.Irregular > 1 {
		return Summary{}, fmt.Errorf("synth: irregular share %.3f is outside 0–1", cfg.Irregular)
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	w, err := LoadWorld()
	if err != nil {
		return Summary{}, err
	}
	g := &gen{cfg: cfg, w: w, end: cfg.Start.AddDate(0, cfg.Months, 0)}
	g.hosps = makeHospitals(rand.New(rand.NewPCG(cfg.Seed, 0x686f7370)), cfg.Hospitals)
	g.procDx = map[string][]string{}
	for i := range w.Conditions {
		c := &w.Conditions[i]
		for _, p := range c.Proc {
			for _, dx := range c.Dx {
				if cat := dx[:3]; !slices.Contains(g.procDx[p], cat) {
					g.procDx[p] = append(g.procDx[p], cat)
				}
			}
		}
		if c.MDC == "MDCP" {
			g.newborn = append(g.newborn, c)
		} else {
			g.adultConds = append(g.adultConds, c)
		}
	}
	if err := os.MkdirAll(filepath.Join(cfg.Out, KBDir), 0o755); err != nil {
		return Summary{}, err
	}
	if err := g.writeHospitals(); err != nil {
		return Summary{}, err
	}
	if err := g.writeKB(); err != nil {
		return Summary{}, err
	}
	return g.writeEncounters(ctx)
}

// Person-block outputs: files written block by block, in block order, after a header. A
// new per-person file (e.g. chronic-care contracts) is one more entry here and one more
// append in block().
const (
	outDocs = iota
	outPersons
	outLabels
	outNear
	outContracts
	numOutputs
)

var blockOutputs = [numOutputs]struct{ name, header string }{
	outDocs:      {SettlementsFile, ""},
	outPersons:   {PersonsFile, "psn_no,certno,name,sex,birth_date,insutype,region,hypertension,diabetes,copd,ckd\n"},
	outLabels:    {LabelsFile, "kind,setl_id,feedetl_sn,why\n"},
	outNear:      {NearMissFile, "kind,setl_id,feedetl_sn,why\n"},
	outContracts: {ContractsFile, "psn_no,institution,team,start,end\n"},
}

// block is the output of one block of persons, produced in parallel and written in order.
type block struct {
	seq int
	out [numOutputs][]byte
	sum Summary
}

func (g *gen) writeEncounters(ctx context.Context) (Summary, error) {
	cfg := g.cfg
	var writers [numOutputs]*bufio.Writer
	for i, o := range blockOutputs {
		f, err := os.Create(filepath.Join(cfg.Out, o.name))
		if err != nil {
			return Summary{}, err
		}
		defer f.Close()
		size := 1 << 20
		if i == outDocs {
			size = 4 << 20
		}
		writers[i] = bufio.NewWriterSize(f, size)
		writers[i].WriteString(o.header)
	}

	nblocks := (cfg.Persons + blockSize - 1) / blockSize
	jobs := make(chan int)
	done := make(chan *block, cfg.Workers*2)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < cfg.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				done <- g.block(b)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for b := 0; b < nblocks; b++ {
			select {
			case jobs <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()
	total := Summary{Hospitals: len(g.hosps), Labels: map[string]int{}, NearMisses: map[string]int{}}
	pending := map[int]*block{}
	next := 0
	var werr error
	for b := range done {
		pending[b.seq] = b
		for {
			x, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if werr == nil {
				for i := range writers {
					if _, err := writers[i].Write(x.out[i]); err != nil && werr == nil {
						werr = err
					}
				}
			}
			total.Persons += x.sum.Persons
			total.Settlements += x.sum.Settlements
			total.Inpatient += x.sum.Inpatient
			total.Outpatient += x.sum.Outpatient
			total.FeeLines += x.sum.FeeLines
			total.Bytes += int64(len(x.out[outDocs]))
			for k, v := range x.sum.Labels {
				total.Labels[k] += v
			}
			for k, v := range x.sum.NearMisses {
				total.NearMisses[k] += v
			}
			if cfg.Progress != nil {
				cfg.Progress(total.Persons, cfg.Persons)
			}
		}
		if werr != nil {
			cancel()
		}
	}
	if werr != nil {
		return total, werr
	}
	if err := ctx.Err(); err != nil && next < nblocks {
		return total, err
	}
	for _, w := range writers {
		if err := w.Flush(); err != nil {
			return total, err
		}
	}
	return total, nil
}

// block generates persons [b*blockSize, ...) with a random stream of its own, so that the
// region is the same whatever the number of workers.
func (g *gen) block(b int) *block {
	rng := rand.New(rand.NewPCG(g.cfg.Seed, uint64(b)+1))
	out := &block{seq: b, sum: Summary{Labels: map[string]int{}, NearMisses: map[string]int{}}}
	seq := 0
	injected := map[string]int{}
	for i := b * blockSize; i < min((b+1)*blockSize, g.cfg.Persons); i++ {
		p := makePerson(rng, i, g.cfg.Start, g.cfg.Months)
		out.out[outPersons] = appendPersonCSV(out.out[outPersons], &p)
		out.out[outContracts] = g.appendContracts(out.out[outContracts], &p)
		history := g.history(rng, &p, injected)
		for _, e := range history {
			seq++
			e.setlID = fmt.Sprintf("S%06d%06d", b, seq)
			e.mdtrtID = fmt.Sprintf("M%06d%06d", b, seq)
			e.sortFees()
		}
		for _, e := range history {
			out.out[outDocs] = appendDocument(out.out[outDocs], g, e)
			out.sum.Settlements++
			out.sum.FeeLines += len(e.fees)
			if e.inpatient {
				out.sum.Inpatient++
			} else {
				out.sum.Outpatient++
			}
			for _, kind := range append([]string{e.label}, e.cross...) {
				if kind != "" {
					out.out[outLabels] = fmt.Appendf(out.out[outLabels], "%s,%s,,%s\n", kind, e.setlID, csvField(kindWhy[kind]))
					out.sum.Labels[kind]++
				}
			}
			for i, n := range e.near {
				if n == e.label || slices.Contains(e.cross, n) || slices.Contains(e.near[:i], n) {
					continue // injected after all: a label, not a look-alike
				}
				out.out[outNear] = fmt.Appendf(out.out[outNear], "%s,%s,,%s\n", n, e.setlID, csvField(nearWhy[n]))
				out.sum.NearMisses[n]++
			}
			for k, f := range e.fees {
				if f.label != "" {
					out.out[outLabels] = fmt.Appendf(out.out[outLabels], "%s,%s,%d,%s\n", f.label, e.setlID, k+1, csvField(kindWhy[f.label]))
					out.sum.Labels[f.label]++
				}
				if f.near != "" {
					out.out[outNear] = fmt.Appendf(out.out[outNear], "%s,%s,%d,%s\n", f.near, e.setlID, k+1, csvField(nearWhy[f.near]))
					out.sum.NearMisses[f.near]++
				}
			}
		}
		out.sum.Persons++
	}
	return out
}

// csvField quotes a CSV field when it needs it (RFC 4180).
func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// annualAdmissionRate by age, raised by chronic disease.
func annualAdmissionRate(age int, p *person) float64 {
	r := step(float64(age), []float64{1, 15, 45, 65, 80}, []float64{0.12, 0.08, 0.13, 0.24, 0.45, 0.6})
	for _, c := range []bool{p.htn, p.dm, p.copd, p.ckd} {
		if c {
			r += 0.1
		}
	}
	return r
}

// history generates one person's encounters over the period, in time order, and labels
// the cross-settlement irregularities it contains.
func (g *gen) history(rng *rand.Rand, p *person, counts map[string]int) []*encounter {
	unmanaged := g.unmanagedRisk(p)
	var out []*encounter
	start, end := g.cfg.Start, g.end
	lastDischarge := time.Time{}
	inject := g.cfg.Irregular
	// Newborns: some are admitted in their first weeks.
	if !p.birth.Before(start) && p.birth.Before(end) && rng.Float64() < 0.12 {
		c := g.newborn[rng.IntN(len(g.newborn))]
		if h := g.hospitalFor(rng, p, c); h != nil {
			day := p.birth.AddDate(0, 0, rng.IntN(10))
			if c.AdmittedAtBirth {
				day = p.birth
			}
			if day.Before(end.AddDate(0, 0, -40)) {
				if e := g.inpatient(rng, p, h, c, day, 0); e.dscg.Before(end) {
					out = append(out, e)
					lastDischarge = e.dscg
				}
			}
		}
	}
	frequent := inject > 0 && rng.Float64() < inject*0.04 && ageYears(p.birth, start) >= 18
	if frequent {
		out = append(out, g.frequentStays(rng, p)...)
	} else {
		for m := 0; m < g.cfg.Months; m++ {
			month := start.AddDate(0, m, 0)
			age := ageYears(p.birth, month)
			if age < 1 {
				continue
			}
			if rng.Float64() >= (annualAdmissionRate(age, p)+unmanaged)/12 {
				continue
			}
			day := month.AddDate(0, 0, rng.IntN(28))
			// New episodes of one person are at least 31 days apart; readmissions within
			// 31 days come only from the episode itself (transfers, planned cycles, natural
			// readmissions) or from injection.
			if !lastDischarge.IsZero() && day.Sub(lastDischarge) < 31*24*time.Hour {
				continue
			}
			c := g.drawCondition(rng, p, age)
			if c == nil {
				continue
			}
			h := g.hospitalFor(rng, p, c)
			if h == nil {
				continue
			}
			e := g.inpatient(rng, p, h, c, day, 0)
			if !e.dscg.Before(end) {
				continue
			}
			out = append(out, e)
			lastDischarge = g.episode(rng, p, e, &out)
			if last := out[len(out)-1]; last.disposition == "5" {
				break
			}
		}
	}
	for _, e := range out {
		if inject > 0 && e.label == "" && !hasLineLabel(e) && e.cond.Planned == 0 && rng.Float64() < inject {
			g.injectStay(rng, e, counts)
		}
	}
	// Refunds and re-bills, and the look-alikes of the line rules, on clean stays.
	for _, e := range out {
		if e.label == "" && !hasLineLabel(e) {
			if rng.Float64() < 0.05 {
				g.refund(rng, e)
			}
			g.nearMisses(rng, e)
		}
	}
	// Cross-settlement irregularities on an existing stay.
	if len(out) > 0 && !frequent && inject > 0 {
		base := out[rng.IntN(len(out))]
		switch r := rng.Float64(); {
		case r < inject*0.25:
			if e := g.splitReadmission(rng, p, base); e != nil {
				out = append(out, e)
			}
		case r < inject*0.5:
			if e := g.overlappingStay(rng, p, base); e != nil {
				out = append(out, e)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *encounter) int { return a.adm.Compare(b.adm) })
	// Nobody is admitted after their death.
	death := end
	for _, e := range out {
		if e.disposition == "5" && e.dscg.Before(death) {
			death = e.dscg
		}
	}
	out = slices.DeleteFunc(out, func(e *encounter) bool { return e.adm.After(death) })
	labelCrossSettlement(out)
	// Outpatient chronic-disease visits, following the person's primary-care plan; none
	// after death.
	if visits := g.chronicVisits(p); len(visits) > 0 {
		visits = slices.DeleteFunc(visits, func(e *encounter) bool { return !e.adm.Before(death) })
		out = append(out, visits...)
		slices.SortStableFunc(out, func(a, b *encounter) int { return a.adm.Compare(b.adm) })
	}
	return out
}

// episode follows a first admission with what belongs to the same episode of care: the
// receiving admission of a transfer, planned chemotherapy cycles, or a natural unplanned
// readmission of a chronic condition. It returns the episode's last discharge.
func (g *gen) episode(rng *rand.Rand, p *person, e *encounter, out *[]*encounter) time.Time {
	last := e
	if e.disposition == "2" || e.disposition == "3" {
		if r := g.transfer(rng, p, e); r != nil {
			*out = append(*out, r)
			last = r
		}
	}
	if e.cond.Planned > 0 && last == e {
		return g.cycles(rng, p, e, out)
	}
	// About 10% of chronic-condition stays are followed within 31 days by an unplanned
	// readmission for the same condition (an exacerbation); half fall inside the split-
	// admission window, where the detector cannot tell them from a split admission.
	if last.cond.Chronic != "" && last.disposition == "1" && rng.Float64() < 0.10 {
		gap := 2 + rng.IntN(30)
		h := last.h
		if rng.Float64() < 0.2 {
			if x := g.hospitalFor(rng, p, last.cond); x != nil {
				h = x
			}
		}
		r := g.inpatient(rng, p, h, last.cond, last.dscg.AddDate(0, 0, gap), 0)
		if r.dscg.Before(g.end) {
			r.dx[0] = last.dx[0]
			last.near = append(last.near, KindSplit)
			*out = append(*out, r)
			last = r
		}
	}
	return last.dscg
}

// transfer creates the receiving admission of a transfer (dscg_way 2 to another hospital,
// 3 to community care) one to five hours after the discharge, for the same condition.
func (g *gen) transfer(rng *rand.Rand, p *person, from *encounter) *encounter {
	var h *hospital
	for range 10 {
		x := g.hospitalFor(rng, p, from.cond)
		if x != nil && x.code != from.h.code && (from.disposition == "2" && x.level >= from.h.level || from.disposition == "3" && x.level <= 2) {
			h = x
			break
		}
	}
	if h == nil {
		return nil
	}
	adm := from.dscg.Add(time.Duration(60+rng.IntN(240)) * time.Minute)
	r := g.inpatientAt(rng, p, h, from.cond, adm, 0)
	if r.disposition == "2" || r.disposition == "3" {
		r.disposition = "1" // one transfer per episode
	}
	if !r.dscg.Before(g.end) {
		return nil
	}
	r.dx[0] = from.dx[0]
	r.transferFrom = from
	from.near = append(from.near, KindSplit)
	r.near = append(r.near, KindOverlap)
	return r
}

func hasLineLabel(e *encounter) bool {
	for _, f := range e.fees {
		if f.label != "" {
			return true
		}
	}
	return false
}

// cycles schedules planned chemotherapy cycles after a first one, every 21 days (or 14,
// a dose-dense regimen) from admission to admission, and returns the last discharge. The
// planned flag (days_rinp_flag_31 = 2) goes on the stay BEFORE each planned readmission,
// as the settlement list records it at discharge.
func (g *gen) cycles(rng *rand.Rand, p *person, first *encounter, out *[]*encounter) time.Time {
	interval := first.cond.Planned
	if rng.Float64() < 0.4 {
		interval = 14
	}
	last := first
	for i := 0; i < 3+rng.IntN(4); i++ {
		day := last.adm.AddDate(0, 0, interval)
		e := g.inpatient(rng, p, first.h, first.cond, day, 0)
		if !e.dscg.Before(g.end) || e.disposition != "1" && e.disposition != "5" {
			break
		}
		last.plansNext = true
		last.near = append(last.near, KindSplit)
		e.planned = true
		*out = append(*out, e)
		last = e
		if e.disposition == "5" {
			break
		}
	}
	return last.dscg
}

// frequentStays gives a person eight unplanned stays within about ten months.
func (g *gen) frequentStays(rng *rand.Rand, p *person) []*encounter {
	var out []*encounter
	day := g.cfg.Start.AddDate(0, rng.IntN(max(1, g.cfg.Months-12)), rng.IntN(20))
	for len(out) < frequentMax+2 {
		age := ageYears(p.birth, day)
		c := g.drawCondition(rng, p, age)
		if c == nil || c.Planned > 0 {
			continue
		}
		h := g.hospitalFor(rng, p, c)
		if h == nil {
			continue
		}
		e := g.inpatient(rng, p, h, c, day, min(int(c.LOS), 8))
		if !e.dscg.Before(g.end) {
			break
		}
		e.disposition = "1" // every one a new admission
		e.frequent = true
		out = append(out, e)
		day = e.dscg.AddDate(0, 0, 20+rng.IntN(14))
	}
	return out
}

// splitReadmission discharges and readmits for the same condition within the window, at
// the same hospital, with no readmission planned and no transfer.
func (g *gen) splitReadmission(rng *rand.Rand, p *person, base *encounter) *encounter {
	if base.cond.Planned > 0 || base.cond.MDC == "MDCP" || base.cond.MDC == "MDCO" || base.disposition != "1" || base.plansNext {
		return nil
	}
	day := base.dscg.AddDate(0, 0, 1+rng.IntN(splitWindowDays-2))
	e := g.inpatient(rng, p, base.h, base.cond, day, 0)
	e.dx[0] = base.dx[0]
	if !e.dscg.Before(g.end) {
		return nil
	}
	e.readmitOf = base
	return e
}

// overlappingStay opens a second stay at another hospital during base.
func (g *gen) overlappingStay(rng *rand.Rand, p *person, base *encounter) *encounter {
	if base.los < 3 || base.cond.MDC == "MDCP" {
		return nil
	}
	c := g.drawCondition(rng, p, ageYears(p.birth, base.adm))
	if c == nil || c.Planned > 0 {
		return nil
	}
	var h *hospital
	for range 10 {
		if x := g.hospitalFor(rng, p, c); x != nil && x.code != base.h.code {
			h = x
			break
		}
	}
	if h == nil {
		return nil
	}
	day := base.adm.AddDate(0, 0, 1+rng.IntN(base.los-2))
	e := g.inpatient(rng, p, h, c, day, min(int(c.LOS), 5))
	if !e.dscg.Before(g.end) || !e.adm.Before(base.dscg) {
		return nil
	}
	return e
}

// readmission tells how b follows a (the person's previous stay): planned by a's flag,
// or the receiving end of a's transfer (docs/knowledge-base.md).
func plannedAfter(a, b *encounter) bool {
	return a.plansNext && !b.adm.Before(a.dscg) && daysBetween(a.dscg, b.adm) <= 31
}

func transferAfter(a, b *encounter) bool {
	if a.disposition != "2" && a.disposition != "3" || a.h.code == b.h.code {
		return false
	}
	gap := b.adm.Sub(a.dscg)
	return gap >= 0 && gap <= 24*time.Hour
}

// labelCrossSettlement marks injected split admissions (on the stay discharged early),
// overlapping stays (on the later-starting one) and the frequent admissions of persons
// given them, with the definitions of docs/knowledge-base.md; it records as near-misses
// the persons with more than six admissions in a year of which at most six count.
func labelCrossSettlement(stays []*encounter) {
	var inp []*encounter
	for _, e := range stays {
		if e.inpatient {
			e.cross = nil
			inp = append(inp, e)
		}
	}
	set := func(e *encounter, kind string) {
		if !slices.Contains(e.cross, kind) {
			e.cross = append(e.cross, kind)
		}
	}
	counted := make([]bool, len(inp))
	for i, b := range inp {
		for _, a := range inp[:i] {
			if b.adm.Before(a.dscg) {
				set(b, KindOverlap)
			}
		}
		counted[i] = true
		if i > 0 {
			a := inp[i-1]
			counted[i] = !plannedAfter(a, b) && !transferAfter(a, b)
			gap := daysBetween(a.dscg, b.adm)
			if b.readmitOf == a && counted[i] && gap >= 0 && gap <= splitWindowDays && a.dx[0][:3] == b.dx[0][:3] && !b.adm.Before(a.dscg) {
				set(a, KindSplit)
			}
		}
		n, all := 0, 0
		for j, a := range inp[:i+1] {
			if !a.adm.After(b.adm) && b.adm.Sub(a.adm) < 365*24*time.Hour {
				all++
				if counted[j] {
					n++
				}
			}
		}
		if counted[i] && n > frequentMax && b.frequent {
			set(b, KindFrequent)
		} else if all > frequentMax && !slices.Contains(b.near, KindFrequent) {
			b.near = append(b.near, KindFrequent)
		}
	}
}

func daysBetween(a, b time.Time) int {
	ad := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	bd := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(math.Round(bd.Sub(ad).Hours() / 24))
}

// drawCondition picks a condition by the pathways' weights, for the person's sex and age,
// more likely when it is the person's chronic disease.
func (g *gen) drawCondition(rng *rand.Rand, p *person, age int) *Condition {
	weights := make([]float64, len(g.adultConds))
	for i, c := range g.adultConds {
		if c.Sex != 0 && c.Sex != p.sex {
			continue
		}
		w := c.Weight * triangular(float64(age), float64(c.Age[0]), float64(c.Age[1]), float64(c.Age[2]))
		switch c.Chronic {
		case "htn":
			if p.htn {
				w *= 3
			}
		case "dm":
			if p.dm {
				w *= 4
			}
		case "copd":
			if p.copd {
				w *= 5
			} else {
				w *= 0.3
			}
		case "ckd":
			if p.ckd {
				w *= 6
			} else {
				w *= 0.2
			}
		}
		weights[i] = w
	}
	total := 0.0
	for _, w := range weights {
		total += w
	}
	if total == 0 {
		return nil
	}
	return g.adultConds[pick(rng, weights)]
}

// hospitalFor picks where a person is treated: nearer and higher-level hospitals attract
// more, specialty hospitals their own patients.
func (g *gen) hospitalFor(rng *rand.Rand, p *person, c *Condition) *hospital {
	weights := make([]float64, len(g.hosps))
	any := false
	for i := range g.hosps {
		h := &g.hosps[i]
		if !h.accepts(c) {
			continue
		}
		w := [4]float64{0, 0.6, 1.6, 3}[h.level]
		if h.region == p.region {
			w *= 3
		}
		if h.specialty != "" {
			w *= 8
		}
		if h.typ == "tcm" && len(c.Proc) > 0 {
			w *= 0.4
		}
		weights[i] = w
		any = true
	}
	if !any {
		return nil
	}
	return &g.hosps[pick(rng, weights)]
}

// primaryCare picks a level-1 or level-2 general hospital, preferring the person's district.
func (g *gen) primaryCare(rng *rand.Rand, p *person) *hospital {
	weights := make([]float64, len(g.hosps))
	for i := range g.hosps {
		h := &g.hosps[i]
		if h.specialty != "" {
			continue
		}
		w := [4]float64{0, 3, 1.5, 0.5}[h.level]
		if h.region == p.region {
			w *= 5
		}
		weights[i] = w
	}
	return &g.hosps[pick(rng, weights)]
}
