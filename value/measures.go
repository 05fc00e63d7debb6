package value

import (
	"context"
	"sort"
	"strconv"
	"time"
)

// Result is one measure for one institution (and team, when Team is set).
type Result struct {
	Institution string   `json:"institution"`
	Team        string   `json:"team,omitempty"`
	Measure     string   `json:"measure"`
	Numerator   int      `json:"numerator"`
	Denominator int      `json:"denominator"`
	Rate        *float64 `json:"rate"` // numerator / denominator (× 1,000 for per-1,000 measures); null without a denominator
}

// Status is one person's (or, for readmission, one stay's) place in a measure: the care
// gap list a family doctor works from.
type Status struct {
	Person      string    `json:"person"`
	Institution string    `json:"institution"`
	Team        string    `json:"team"`
	Measure     string    `json:"measure"`
	Status      string    `json:"status"` // see statusNames
	InNumerator bool      `json:"in_numerator"`
	Gap         bool      `json:"gap"` // the person needs something done
	Count       int       `json:"count,omitempty"`
	Date        time.Time `json:"date,omitzero"`
	Value       string    `json:"value,omitempty"`
	SetlID      string    `json:"setl_id,omitempty"`
}

// Status codes and their Chinese names.
var statusNames = map[string]string{
	"controlled": "已控制", "uncontrolled": "未控制", "no_reading": "无检测记录",
	"enough": "已达标", "too_few": "次数不足", "none": "无",
	"managed": "规范管理", "not_managed": "未规范管理",
	"admitted": "有并发症住院", "not_admitted": "无并发症住院",
	"readmitted": "非计划再入院", "not_readmitted": "未再入院",
}

// StatusName returns the Chinese name of a status code.
func StatusName(code string) string {
	if n, ok := statusNames[code]; ok {
		return n
	}
	return code
}

// Report is the measures of a period.
type Report struct {
	Period       string   `json:"period"`
	Version      string   `json:"version"`
	Institutions []Result `json:"institutions"` // per institution × measure
	Teams        []Result `json:"teams"`        // per institution × team × measure
	Statuses     []Status `json:"-"`
}

// Compute evaluates every measure for the period over contracted persons. Each person
// counts once per measure (readmission: once per index stay), for the institution holding
// their contract on the date of the measurement that decides it; without one, where they
// were contracted at the end of the period or of their contract. Only measurements taken
// while some contract was in force count.
func (d *Definitions) Compute(ctx context.Context, persons []*Person, per Period) (*Report, error) {
	lookFrom := per.From.AddDate(0, -d.LookbackMonths, 0)
	type key struct{ inst, team, measure string }
	counts := map[key]*Result{}
	add := func(s Status) {
		for _, k := range []key{{s.Institution, "", s.Measure}, {s.Institution, s.Team, s.Measure}} {
			r := counts[k]
			if r == nil {
				r = &Result{Institution: k.inst, Team: k.team, Measure: k.measure}
				counts[k] = r
			}
			r.Denominator++
			if s.InNumerator {
				if s.Count > 0 && d.kindOf(s.Measure) == KindAdmissionsPer1000 {
					r.Numerator += s.Count
				} else {
					r.Numerator++
				}
			}
		}
	}
	rep := &Report{Period: per.Name, Version: d.Version}
	for i, p := range persons {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if !p.contractedIn(per) {
			continue
		}
		conds := d.conditionsOf(p.Encounters, lookFrom, per.To)
		if len(conds) == 0 {
			continue
		}
		for mi := range d.Measures {
			m := &d.Measures[mi]
			if !m.eligible(p, conds, per, lookFrom) {
				continue
			}
			for _, s := range m.evaluate(d, p, conds, per) {
				s.Gap = s.InNumerator == m.Inverse
				if m.Kind == KindAdmissionsPer1000 || m.Kind == KindReadmission {
					s.Gap = s.InNumerator // an event to follow up, not a test to do
				}
				rep.Statuses = append(rep.Statuses, s)
				add(s)
			}
		}
	}
	for k, r := range counts {
		if r.Denominator > 0 {
			v := float64(r.Numerator) / float64(r.Denominator)
			if d.kindOf(k.measure) == KindAdmissionsPer1000 {
				v *= 1000
			}
			r.Rate = &v
		}
		if k.team == "" {
			rep.Institutions = append(rep.Institutions, *r)
		} else {
			rep.Teams = append(rep.Teams, *r)
		}
	}
	order := d.measureOrder()
	less := func(rs []Result) func(i, j int) bool {
		return func(i, j int) bool {
			a, b := rs[i], rs[j]
			if a.Institution != b.Institution {
				return a.Institution < b.Institution
			}
			if a.Team != b.Team {
				return a.Team < b.Team
			}
			return order[a.Measure] < order[b.Measure]
		}
	}
	sort.Slice(rep.Institutions, less(rep.Institutions))
	sort.Slice(rep.Teams, less(rep.Teams))
	sort.SliceStable(rep.Statuses, func(i, j int) bool {
		a, b := rep.Statuses[i], rep.Statuses[j]
		if a.Institution != b.Institution {
			return a.Institution < b.Institution
		}
		if a.Measure != b.Measure {
			return order[a.Measure] < order[b.Measure]
		}
		return a.Person < b.Person
	})
	return rep, nil
}

func (d *Definitions) kindOf(measure string) string {
	if m, ok := d.Measure(measure); ok {
		return m.Kind
	}
	return ""
}

func (d *Definitions) measureOrder() map[string]int {
	o := make(map[string]int, len(d.Measures))
	for i, m := range d.Measures {
		o[m.ID] = i
	}
	return o
}

// eligible: one of the measure's conditions diagnosed in the period or its look-back, age
// within the bounds on the period's last day (an unknown age does not exclude), and no
// exclusion diagnosis in the same window.
func (m *Measure) eligible(p *Person, conds map[string]bool, per Period, lookFrom time.Time) bool {
	has := false
	for _, c := range m.Conditions {
		if conds[c] {
			has = true
			break
		}
	}
	if !has {
		return false
	}
	if age := p.ageAt(per.last()); age >= 0 {
		if (m.MinAge > 0 && age < m.MinAge) || (m.MaxAge > 0 && age > m.MaxAge) {
			return false
		}
	}
	if len(m.ExcludeCodes) > 0 {
		for _, e := range p.Encounters {
			if t := e.date(); t.Before(lookFrom) || !t.Before(per.To) {
				continue
			}
			for _, code := range e.Diagnoses {
				if matchCode(code, m.ExcludeCodes) {
					return false
				}
			}
		}
	}
	return true
}

// decided attributes a status to the contract in force on the deciding date.
func decided(p *Person, m *Measure, at time.Time) (Status, bool) {
	c, ok := p.contractOn(at)
	if !ok {
		return Status{}, false
	}
	return Status{Person: p.ID, Institution: c.Institution, Team: c.Team, Measure: m.ID, Date: day(at)}, true
}

// undecided attributes a status to the contract at the end of the period or of the contract.
func undecided(p *Person, m *Measure, per Period) (Status, bool) {
	c, ok := p.endContract(per)
	if !ok {
		return Status{}, false
	}
	return Status{Person: p.ID, Institution: c.Institution, Team: c.Team, Measure: m.ID}, true
}

// attribute places a status by its deciding encounter (when at gives the deciding date), or,
// without one, at the contract in force at the end of the period or of the contract.
func attribute(p *Person, m *Measure, per Period, last *Encounter, at func(*Encounter) time.Time) (Status, bool) {
	if last == nil {
		return undecided(p, m, per)
	}
	s, ok := decided(p, m, at(last))
	s.SetlID = last.SetlID
	return s, ok
}

// counted reports whether the encounter is in the period and under a contract.
func counted(p *Person, e *Encounter, per Period) bool {
	t := e.date()
	if !per.contains(t) {
		return false
	}
	_, ok := p.contractOn(t)
	return ok
}

func (e *Encounter) reading(item string) (float64, bool) {
	for _, r := range e.Readings {
		if r.Item == item {
			return r.Value, true
		}
	}
	return 0, false
}

func (e *Encounter) hasDiagnosisOf(codes []string) bool {
	for _, c := range e.Diagnoses {
		if matchCode(c, codes) {
			return true
		}
	}
	return false
}

func fmtValue(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func (m *Measure) evaluate(d *Definitions, p *Person, conds map[string]bool, per Period) []Status {
	switch m.Kind {
	case KindLastReading:
		return one(m.lastReading(p, per))
	case KindTestCount:
		return one(m.testCount(p, per))
	case KindVisitCount, KindStandardManagement:
		return one(m.visits(d, p, conds, per))
	case KindAdmissionsPer1000:
		return one(m.admissions(p, per))
	case KindReadmission:
		return m.readmissions(p, per)
	}
	return nil
}

func one(s Status, ok bool) []Status {
	if !ok {
		return nil
	}
	return []Status{s}
}

// lastReading: the last encounter in the period carrying every item of the rule decides.
func (m *Measure) lastReading(p *Person, per Period) (Status, bool) {
	for i := len(p.Encounters) - 1; i >= 0; i-- {
		e := &p.Encounters[i]
		if !counted(p, e, per) {
			continue
		}
		vals := make([]float64, 0, len(m.Readings))
		for _, r := range m.Readings {
			v, ok := e.reading(r.Item)
			if !ok {
				break
			}
			vals = append(vals, v)
		}
		if len(vals) < len(m.Readings) {
			continue
		}
		s, ok := decided(p, m, e.date())
		if !ok {
			continue
		}
		holds := true
		for k, r := range m.Readings {
			holds = holds && r.holds(vals[k])
			if k > 0 {
				s.Value += "/"
			}
			s.Value += fmtValue(vals[k])
		}
		s.SetlID = e.SetlID
		s.InNumerator = holds
		// For an inverse measure the rule describes poor control.
		if holds != m.Inverse {
			s.Status = "controlled"
		} else {
			s.Status = "uncontrolled"
		}
		return s, true
	}
	s, ok := undecided(p, m, per)
	s.Status = "no_reading"
	s.InNumerator = m.MissingInNumerator
	return s, ok
}

// testCount: distinct days with the item in the period; the last test decides.
func (m *Measure) testCount(p *Person, per Period) (Status, bool) {
	days := map[time.Time]bool{}
	var last *Encounter
	for i := range p.Encounters {
		e := &p.Encounters[i]
		if !counted(p, e, per) {
			continue
		}
		if _, ok := e.reading(m.Item); ok {
			days[day(e.date())] = true
			last = e
		}
	}
	s, ok := attribute(p, m, per, last, (*Encounter).date)
	s.Count = len(days)
	s.InNumerator = len(days) >= m.MinCount
	switch {
	case s.InNumerator:
		s.Status = "enough"
	case len(days) == 0:
		s.Status = "none"
	default:
		s.Status = "too_few"
	}
	return s, ok
}

// visits counts outpatient visits for the person's conditions of the measure (follow-ups);
// for standard management each condition must also meet its pathway rule.
func (m *Measure) visits(d *Definitions, p *Person, conds map[string]bool, per Period) (Status, bool) {
	codes := map[string][]string{}
	for _, c := range m.Conditions {
		if conds[c] {
			codes[c] = nil
		}
	}
	visitDays := map[time.Time]bool{}
	perCond := map[string]int{} // visits counted for the condition's pathway
	yearly := map[string]bool{} // yearly reading seen
	var last *Encounter
	for i := range p.Encounters {
		e := &p.Encounters[i]
		if e.Inpatient || !counted(p, e, per) {
			continue
		}
		relevant := false
		for c := range codes {
			if !e.hasDiagnosisOf(d.codesOf(c)) {
				continue
			}
			relevant = true
			rule := m.Pathway[c]
			if rule.PerVisit == "" {
				perCond[c]++
			} else if _, ok := e.reading(rule.PerVisit); ok {
				perCond[c]++
			}
			if rule.Yearly != "" {
				if _, ok := e.reading(rule.Yearly); ok {
					yearly[c] = true
				}
			}
		}
		if relevant && !visitDays[day(e.date())] {
			visitDays[day(e.date())] = true
			last = e
		}
	}
	s, ok := attribute(p, m, per, last, (*Encounter).date)
	s.Count = len(visitDays)
	if m.Kind == KindVisitCount {
		s.InNumerator = len(visitDays) >= m.MinCount
		if s.InNumerator {
			s.Status = "enough"
		} else if len(visitDays) == 0 {
			s.Status = "none"
		} else {
			s.Status = "too_few"
		}
		return s, ok
	}
	managed := true
	for c := range codes {
		rule := m.Pathway[c]
		if perCond[c] < m.MinCount || (rule.Yearly != "" && !yearly[c]) {
			managed = false
		}
	}
	s.InNumerator = managed
	if managed {
		s.Status = "managed"
	} else {
		s.Status = "not_managed"
	}
	return s, ok
}

// admissions counts inpatient admissions in the period whose principal diagnosis is a
// complication; the last one decides attribution.
func (m *Measure) admissions(p *Person, per Period) (Status, bool) {
	n := 0
	var last *Encounter
	for i := range p.Encounters {
		e := &p.Encounters[i]
		if !e.Inpatient || !per.contains(e.Admission) || len(e.Diagnoses) == 0 {
			continue
		}
		if _, ok := p.contractOn(e.Admission); !ok {
			continue
		}
		if matchCode(e.Diagnoses[0], m.ComplicationCodes) {
			n++
			last = e
		}
	}
	s, ok := attribute(p, m, per, last, func(e *Encounter) time.Time { return e.Admission })
	if last != nil {
		s.Value = last.Diagnoses[0]
	}
	s.Count = n
	s.InNumerator = n > 0
	if n > 0 {
		s.Status = "admitted"
	} else {
		s.Status = "not_admitted"
	}
	return s, ok
}

// readmissions: index stays are inpatient stays discharged alive in the period under a
// contract that are not transfers out; a readmission is the next admission (anywhere,
// looked for past the period end) within the window, unless the index stay planned it
// (days_rinp_flag_31 = 2).
func (m *Measure) readmissions(p *Person, per Period) []Status {
	var out []Status
	for i := range p.Encounters {
		e := &p.Encounters[i]
		if !e.Inpatient || !per.contains(e.Discharge) || e.Disposition == "5" {
			continue
		}
		var next *Encounter
		for j := i + 1; j < len(p.Encounters); j++ {
			if n := &p.Encounters[j]; n.Inpatient && !n.Admission.Before(e.Discharge) {
				next = n
				break
			}
		}
		if next != nil && (e.Disposition == "2" || e.Disposition == "3") && next.Admission.Sub(e.Discharge) <= 24*time.Hour {
			continue // a transfer: the episode goes on at the receiving hospital
		}
		s, ok := decided(p, m, e.Discharge)
		if !ok {
			continue
		}
		s.SetlID = e.SetlID
		s.Status = "not_readmitted"
		if next != nil && calendarDays(e.Discharge, next.Admission) <= m.WindowDays && !e.PlannedReadmission {
			s.InNumerator = true
			s.Status = "readmitted"
			s.Value = next.SetlID
		}
		out = append(out, s)
	}
	return out
}

// calendarDays counts the days between the dates of a and b, as the evaluation's
// readmission_31 does (indicators.FindReadmissions: day 0 counts, 31 calendar days): a
// discharge on 1 March at 10:00 and an admission on 1 April at 15:00 are 31 days apart
// and a readmission in both places (elapsed time, 31 days 5 hours, missed it here).
func calendarDays(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

func (d *Definitions) codesOf(condition string) []string {
	for _, c := range d.Conditions {
		if c.ID == condition {
			return c.Codes
		}
	}
	return nil
}
