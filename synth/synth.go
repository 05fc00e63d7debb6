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
	Labels      map[string]int `json:"labels"` // settlements (or lines) labelled, by kind
	Bytes       int64          `json:"bytes"`
}

// Files written into Config.Out.
const (
	HospitalsFile    = "hospitals.csv"
	PersonsFile      = "persons.csv"
	SettlementsFile  = "settlements.ndjson"
	LabelsFile       = "labels.csv"
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
	for i := range w.Conditions {
		c := &w.Conditions[i]
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

// block is the output of one block of persons, produced in parallel and written in order.
type block struct {
	seq       int
	docs      []byte
	persons   []byte
	labels    []byte
	contracts []byte
	sum       Summary
}

func (g *gen) writeEncounters(ctx context.Context) (Summary, error) {
	cfg := g.cfg
	files := map[string]*os.File{}
	for _, name := range []string{SettlementsFile, PersonsFile, LabelsFile, ContractsFile} {
		f, err := os.Create(filepath.Join(cfg.Out, name))
		if err != nil {
			return Summary{}, err
		}
		defer f.Close()
		files[name] = f
	}
	docs := bufio.NewWriterSize(files[SettlementsFile], 4<<20)
	persons := bufio.NewWriterSize(files[PersonsFile], 1<<20)
	labels := bufio.NewWriterSize(files[LabelsFile], 1<<20)
	contracts := bufio.NewWriterSize(files[ContractsFile], 1<<20)
	contracts.WriteString("psn_no,institution,team,start,end\n")
	persons.WriteString("psn_no,certno,name,sex,birth_date,insutype,region,hypertension,diabetes,copd,ckd\n")
	labels.WriteString("kind,setl_id,feedetl_sn\n")

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
	total := Summary{Hospitals: len(g.hosps), Labels: map[string]int{}}
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
				if _, err := docs.Write(x.docs); err != nil {
					werr = err
				}
				persons.Write(x.persons)
				labels.Write(x.labels)
				contracts.Write(x.contracts)
			}
			total.Persons += x.sum.Persons
			total.Settlements += x.sum.Settlements
			total.Inpatient += x.sum.Inpatient
			total.Outpatient += x.sum.Outpatient
			total.FeeLines += x.sum.FeeLines
			total.Bytes += int64(len(x.docs))
			for k, v := range x.sum.Labels {
				total.Labels[k] += v
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
	for _, w := range []*bufio.Writer{docs, persons, labels, contracts} {
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
	out := &block{seq: b, sum: Summary{Labels: map[string]int{}}}
	seq := 0
	injected := map[string]int{}
	for i := b * blockSize; i < min((b+1)*blockSize, g.cfg.Persons); i++ {
		p := makePerson(rng, i, g.cfg.Start, g.cfg.Months)
		out.persons = appendPersonCSV(out.persons, &p)
		out.contracts = g.appendContracts(out.contracts, &p)
		history := g.history(rng, &p, injected)
		for _, e := range history {
			seq++
			e.setlID = fmt.Sprintf("S%06d%06d", b, seq)
			e.mdtrtID = fmt.Sprintf("M%06d%06d", b, seq)
			e.sortFees()
			out.docs = appendDocument(out.docs, g, e)
			out.sum.Settlements++
			out.sum.FeeLines += len(e.fees)
			if e.inpatient {
				out.sum.Inpatient++
			} else {
				out.sum.Outpatient++
			}
			for _, kind := range append([]string{e.label}, e.cross...) {
				if kind != "" {
					out.labels = fmt.Appendf(out.labels, "%s,%s,\n", kind, e.setlID)
					out.sum.Labels[kind]++
				}
			}
			for k, f := range e.fees {
				if f.label != "" {
					out.labels = fmt.Appendf(out.labels, "%s,%s,%d\n", f.label, e.setlID, k+1)
					out.sum.Labels[f.label]++
				}
			}
		}
		out.sum.Persons++
	}
	return out
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
			if rng.Float64() >= annualAdmissionRate(age, p)/12 {
				continue
			}
			day := month.AddDate(0, 0, rng.IntN(28))
			// Unplanned stays of one person are at least 31 days apart, so that split
			// admissions in the data are only the injected ones.
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
			lastDischarge = e.dscg
			if c.Planned > 0 {
				lastDischarge = g.cycles(rng, p, e, &out)
			}
		}
	}
	for _, e := range out {
		if inject > 0 && e.label == "" && !hasLineLabel(e) && e.cond.Planned == 0 && rng.Float64() < inject {
			g.injectStay(rng, e, counts)
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
	labelCrossSettlement(out)
	// Outpatient chronic-disease visits, following the person's primary-care plan.
	if visits := g.chronicVisits(p); len(visits) > 0 {
		out = append(out, visits...)
		slices.SortStableFunc(out, func(a, b *encounter) int { return a.adm.Compare(b.adm) })
	}
	return out
}

func hasLineLabel(e *encounter) bool {
	for _, f := range e.fees {
		if f.label != "" {
			return true
		}
	}
	return false
}

// cycles schedules planned chemotherapy cycles after a first one and returns the last
// discharge.
func (g *gen) cycles(rng *rand.Rand, p *person, first *encounter, out *[]*encounter) time.Time {
	last := first
	for i := 0; i < 3+rng.IntN(4); i++ {
		day := last.dscg.AddDate(0, 0, first.cond.Planned-first.los)
		e := g.inpatient(rng, p, first.h, first.cond, day, 0)
		if !e.dscg.Before(g.end) {
			break
		}
		e.planned = true
		*out = append(*out, e)
		last = e
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
		out = append(out, e)
		day = e.dscg.AddDate(0, 0, 20+rng.IntN(14))
	}
	return out
}

// splitReadmission discharges and readmits for the same condition within the window.
func (g *gen) splitReadmission(rng *rand.Rand, p *person, base *encounter) *encounter {
	if base.cond.Planned > 0 || base.cond.MDC == "MDCP" || base.cond.MDC == "MDCO" {
		return nil
	}
	day := base.dscg.AddDate(0, 0, 1+rng.IntN(splitWindowDays-2))
	e := g.inpatient(rng, p, base.h, base.cond, day, 0)
	e.dx[0] = base.dx[0]
	if !e.dscg.Before(g.end) {
		return nil
	}
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

// labelCrossSettlement marks split admissions, overlapping stays and frequent admission
// exactly as docs/audit.md defines them, over the person's stays in admission order.
func labelCrossSettlement(stays []*encounter) {
	var inp []*encounter
	for _, e := range stays {
		if e.inpatient {
			inp = append(inp, e)
		}
	}
	for i, b := range inp {
		b.cross = nil
		setCross := func(kind string) {
			if !slices.Contains(b.cross, kind) {
				b.cross = append(b.cross, kind)
			}
		}
		for _, a := range inp[:i] {
			if b.adm.Before(a.dscg) {
				setCross(KindOverlap)
			}
		}
		if i > 0 {
			a := inp[i-1]
			gap := daysBetween(a.dscg, b.adm)
			if !b.planned && gap >= 0 && gap <= splitWindowDays && a.dx[0][:3] == b.dx[0][:3] && !b.adm.Before(a.dscg) {
				setCross(KindSplit)
			}
		}
		if !b.planned {
			n := 0
			for _, a := range inp[:i+1] {
				if !a.planned && !a.adm.After(b.adm) && b.adm.Sub(a.adm) < 365*24*time.Hour {
					n++
				}
			}
			if n > frequentMax {
				setCross(KindFrequent)
			}
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
