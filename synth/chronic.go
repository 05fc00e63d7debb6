package synth

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"
)

// ContractsFile lists the family-doctor contracts (签约) of the region.
const ContractsFile = "contracts.csv"

// Follow-up habits of a person with a chronic condition.
const (
	neverFollowed = iota
	irregular
	regular
)

// contractSpan is one contract: institution and team from start to end (inclusive; zero
// when open).
type contractSpan struct {
	h          *hospital
	team       string
	start, end time.Time
}

// chronicPlan is a person's primary care: contracts, how regularly they are followed up,
// and the starting point of their blood pressure and HbA1c. It is drawn from a random
// stream of its own, keyed by the person, so that the rest of the region does not depend on
// it.
type chronicPlan struct {
	rng       *rand.Rand
	contracts []contractSpan
	followUp  int
	sbp       float64
	hba1c     float64
}

func (g *gen) chronicPlanFor(p *person) *chronicPlan {
	h := fnv.New64a()
	h.Write([]byte(p.psnNo))
	rng := rand.New(rand.NewPCG(g.cfg.Seed^0x7369676e, h.Sum64()))
	plan := &chronicPlan{rng: rng}
	age := ageYears(p.birth, g.cfg.Start)
	chronic := p.htn || p.dm || p.copd || p.ckd
	// Contract rates: most persons with a chronic condition sign (the national target is
	// key-population coverage above 75%); some healthy elderly sign too.
	signs := age >= 18 && ((chronic && rng.Float64() < 0.75) || (!chronic && age >= 65 && rng.Float64() < 0.3))
	if signs {
		if inst := g.primaryInstitution(rng, p); inst != nil {
			start := g.cfg.Start
			if rng.Float64() < 0.4 {
				start = start.AddDate(0, 0, rng.IntN(max(1, g.cfg.Months*30*3/4)))
			}
			team := fmt.Sprintf("%s-T%d", inst.code, 1+rng.IntN(4))
			c := contractSpan{h: inst, team: team, start: start}
			// About 8% move to another institution part of the way through.
			if rng.Float64() < 0.08 {
				if other := g.primaryInstitution(rng, p); other != nil && other != inst {
					move := start.AddDate(0, 0, 60+rng.IntN(max(1, g.cfg.Months*30/2)))
					if move.Before(g.end) {
						c.end = move.AddDate(0, 0, -1)
						plan.contracts = append(plan.contracts, c)
						c = contractSpan{h: other, team: fmt.Sprintf("%s-T%d", other.code, 1+rng.IntN(4)), start: move}
					}
				}
			}
			plan.contracts = append(plan.contracts, c)
		}
	}
	shares := []float64{0.30, 0.45, 0.25} // never, irregular, regular without a contract
	if len(plan.contracts) > 0 {
		// Family-doctor teams differ: an institution's management quality (0.6–1.4, fixed per
		// institution) scales how many of its patients follow up regularly, so that the
		// measures have differences between institutions to find.
		q := institutionQuality(plan.contracts[0].h)
		reg := min(0.85, 0.55*q)
		never := max(0.03, 0.15/q)
		shares = []float64{never, 1 - reg - never, reg}
	}
	plan.followUp = pick(rng, shares)
	plan.sbp = 150 + rng.NormFloat64()*10 + float64(age)/10
	plan.hba1c = 8.3 + rng.NormFloat64()*1.1
	return plan
}

// primaryInstitution draws a primary-care institution: a level-1 general hospital of the
// person's district, else any level-1, else a level-2 general hospital.
func (g *gen) primaryInstitution(rng *rand.Rand, p *person) *hospital {
	var local, level1, level2 []*hospital
	for i := range g.hosps {
		h := &g.hosps[i]
		if h.specialty != "" || h.typ == "tcm" {
			continue
		}
		switch h.level {
		case 1:
			level1 = append(level1, h)
			if h.region == p.region {
				local = append(local, h)
			}
		case 2:
			level2 = append(level2, h)
		}
	}
	for _, hs := range [][]*hospital{local, level1, level2} {
		if len(hs) > 0 {
			return hs[rng.IntN(len(hs))]
		}
	}
	return nil
}

func (plan *chronicPlan) contractOn(d time.Time) *contractSpan {
	for i := range plan.contracts {
		c := &plan.contracts[i]
		if !d.Before(c.start) && (c.end.IsZero() || !d.After(c.end)) {
			return c
		}
	}
	return nil
}

// appendContracts writes the person's contracts as CSV rows.
func (g *gen) appendContracts(b []byte, p *person) []byte {
	for _, c := range g.chronicPlanFor(p).contracts {
		end := ""
		if !c.end.IsZero() {
			end = c.end.Format(time.DateOnly)
		}
		b = fmt.Appendf(b, "%s,%s,%s,%s,%s\n", p.psnNo, c.h.code, c.team, c.start.Format(time.DateOnly), end)
	}
	return b
}

// chronicVisits generates the outpatient chronic-disease visits (门慢特, med_type 14) of a
// person with hypertension or diabetes, with readings that follow a trajectory: regular
// follow-up brings blood pressure and HbA1c down towards target; irregular follow-up lets
// them drift back; some persons are never followed up at all.
func (g *gen) chronicVisits(p *person) []*encounter {
	if !p.htn && !p.dm {
		return nil
	}
	plan := g.chronicPlanFor(p)
	rng := plan.rng
	var gap func() int
	switch plan.followUp {
	case neverFollowed:
		return nil
	case irregular:
		gap = func() int { return 150 + rng.IntN(120) }
	default:
		gap = func() int { return 60 + rng.IntN(40) }
	}
	var out []*encounter
	sbp, hba1c := plan.sbp, plan.hba1c
	lastLDL := time.Time{}
	for day := g.cfg.Start.AddDate(0, 0, rng.IntN(60)); day.Before(g.end.AddDate(0, 0, -1)); day = day.AddDate(0, 0, gap()) {
		if day.Before(p.birth) {
			continue
		}
		age := ageYears(p.birth, day)
		if plan.followUp == regular {
			sbp += (128-sbp)*0.35 + rng.NormFloat64()*6
			hba1c += (6.6-hba1c)*0.3 + rng.NormFloat64()*0.3
		} else {
			sbp += (145+float64(age)/10-sbp)*0.3 + rng.NormFloat64()*8
			hba1c += (8.0-hba1c)*0.3 + rng.NormFloat64()*0.4
		}
		h := g.primaryCare(rng, p)
		if c := plan.contractOn(day); c != nil && rng.Float64() < 0.9 {
			h = c.h
		}
		e := &encounter{p: p, h: h, medType: "14", dept: "A03", slots: map[int]int{}, ageDays: -1}
		e.doctor = fmt.Sprintf("D%sA03%02d", h.code[1:], rng.IntN(h.doctors)+1)
		e.adm = time.Date(day.Year(), day.Month(), day.Day(), 8+rng.IntN(9), rng.IntN(60), 0, 0, time.UTC)
		e.dscg = e.adm.Add(time.Duration(20+rng.IntN(90)) * time.Minute)
		e.los = 1
		g.add(e, 0, "001301000010000", 1)
		g.add(e, 0, "001103000010000", 1)
		if p.htn {
			e.dx = append(e.dx, "I10.x00")
			g.add(e, 0, "XC08CAA001", 60)
			s := math.Round(math.Max(95, math.Min(210, sbp)))
			d := math.Round(math.Max(55, math.Min(125, 0.55*s+12+rng.NormFloat64()*5)))
			e.meas = append(e.meas, measurement{"SBP", fmt.Sprint(s)}, measurement{"DBP", fmt.Sprint(d)})
		}
		if p.dm {
			e.dx = append(e.dx, "E11.900")
			g.add(e, 0, "XA10BAA001", 120)
			tested := 0.4
			if plan.followUp == regular {
				tested = 0.6
			}
			if rng.Float64() < tested {
				g.add(e, 0, "002503000090000", 1)
				v := math.Max(4.5, math.Min(14, hba1c))
				e.meas = append(e.meas, measurement{"HBA1C", fmt.Sprintf("%.1f", v)})
			}
			// A lipid panel about once a year for some.
			if (lastLDL.IsZero() || day.Sub(lastLDL) > 300*24*time.Hour) && rng.Float64() < 0.35 {
				g.add(e, 0, "002503000020000", 1)
				e.meas = append(e.meas, measurement{"LDL", fmt.Sprintf("%.2f", math.Max(1.2, 2.9+rng.NormFloat64()*0.7))})
				lastLDL = day
			}
		}
		out = append(out, e)
	}
	return out
}

// institutionQuality is a primary-care institution's management quality, 0.6–1.4, drawn from
// its code so that it is the same in every block of the region.
func institutionQuality(h *hospital) float64 {
	f := fnv.New64a()
	f.Write([]byte(h.code))
	return 0.6 + 0.8*float64(f.Sum64()%1000)/1000
}

// unmanagedRisk is the extra yearly admission rate of a hypertensive or diabetic person whose
// condition is not followed up: never followed +0.10, irregularly +0.04 (local choice, of the
// order of the excess admissions of poorly controlled patients), so that well-managed
// populations cost the fund less and have fewer complication admissions.
func (g *gen) unmanagedRisk(p *person) float64 {
	if !p.htn && !p.dm {
		return 0
	}
	switch g.chronicPlanFor(p).followUp {
	case neverFollowed:
		return 0.10
	case irregular:
		return 0.04
	}
	return 0
}
