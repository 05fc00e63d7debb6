package value

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"sort"
	"time"

	"github.com/yibao-dev/yibao"
)

// Yuan is an amount in a policy file, given in yuan and kept exactly in fen.
type Yuan yibao.Fen

func (y *Yuan) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	f, err := yibao.ParseYuan(s)
	if err != nil {
		return fmt.Errorf("amount %s: %w", b, err)
	}
	*y = Yuan(f)
	return nil
}

func (y Yuan) MarshalJSON() ([]byte, error) { return []byte(`"` + yibao.Fen(y).String() + `"`), nil }

// RiskRule raises the capitation of the persons it matches by Factor.
type RiskRule struct {
	MinAge        int     `json:"min_age,omitempty"`
	MaxAge        int     `json:"max_age,omitempty"`
	Sex           int     `json:"sex,omitempty"`
	MinConditions int     `json:"min_conditions,omitempty"`
	Factor        float64 `json:"factor"`
	Label         string  `json:"label,omitempty"`
}

func (r RiskRule) matches(age int, sex yibao.Sex, conditions int) bool {
	if r.MinAge > 0 && (age < 0 || age < r.MinAge) {
		return false
	}
	if r.MaxAge > 0 && (age < 0 || age > r.MaxAge) {
		return false
	}
	if r.Sex != 0 && int(sex) != r.Sex {
		return false
	}
	return conditions >= r.MinConditions
}

// QualityMeasure is one measure's part in the quality score.
type QualityMeasure struct {
	Measure string  `json:"measure"`
	Weight  float64 `json:"weight"`
	Floor   float64 `json:"floor"`
	Target  float64 `json:"target"`
}

// Tier pays per managed patient (the measure's denominator) or a share of the capitation
// when the institution's rate reaches MinRate. The first tier reached applies.
type Tier struct {
	MinRate         float64 `json:"min_rate"`
	PerPatient      Yuan    `json:"per_patient_yuan,omitempty"`
	CapitationBonus float64 `json:"capitation_bonus,omitempty"`
}

// Outcome is a pay-for-outcome schedule on one measure.
type Outcome struct {
	Measure string `json:"measure"`
	Tiers   []Tier `json:"tiers"`
	Source  string `json:"source"`
}

// Savings modes.
const (
	SharedSavings = "shared_savings" // MSSP one-sided: share savings beyond the MSR if quality passes
	RetainSurplus = "retain_surplus" // 结余留用、超支不补: keep savings × share, bear the whole overspend
)

// Policy is a versioned value-based payment policy (policy.json, docs/value.md).
type Policy struct {
	Version    string `json:"version"`
	Label      string `json:"label"`
	Capitation struct {
		Annual         Yuan       `json:"annual_yuan"`
		AnnualSource   string     `json:"annual_source"`
		Risk           []RiskRule `json:"risk"`
		RiskSource     string     `json:"risk_source"`
		Withhold       float64    `json:"withhold"`
		WithholdSource string     `json:"withhold_source"`
	} `json:"capitation"`
	Quality struct {
		Measures  []QualityMeasure `json:"measures"`
		FullAt    float64          `json:"full_at"`
		NoneBelow float64          `json:"none_below"`
		Source    string           `json:"source"`
	} `json:"quality"`
	Outcome []Outcome `json:"outcome"`
	Savings struct {
		Mode               string  `json:"mode"`
		MinimumSavingsRate float64 `json:"minimum_savings_rate"`
		// MSRZ widens the minimum savings rate for small panels to z × CV / √n, the
		// one-sided confidence bound of a panel's mean spending (0: a fixed rate).
		MSRZ        float64 `json:"msr_z,omitempty"`
		Share       float64 `json:"share"`
		QualityGate float64 `json:"quality_gate"`
		Trend       float64 `json:"trend"`
		Source      string  `json:"source"`
	} `json:"savings"`
}

//go:embed policy.json
var defaultPolicy []byte

// DefaultPolicy returns the built-in policy.
func DefaultPolicy() *Policy {
	p, err := ParsePolicy(defaultPolicy, DefaultDefinitions())
	if err != nil {
		panic("value: shipped policy.json is invalid: " + err.Error())
	}
	return p
}

// LoadPolicy reads and checks a policy file against the definitions.
func LoadPolicy(path string, d *Definitions) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := ParsePolicy(b, d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ParsePolicy decodes a policy and refuses values that cannot be meant, by name.
func ParsePolicy(b []byte, d *Definitions) (*Policy, error) {
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	bad := func(field, why string) error { return fmt.Errorf("policy %s: %s", field, why) }
	if p.Version == "" {
		return nil, bad("version", "missing")
	}
	if p.Capitation.Annual < 0 {
		return nil, bad("capitation.annual_yuan", "must not be negative")
	}
	if w := p.Capitation.Withhold; w < 0 || w > 1 {
		return nil, bad("capitation.withhold", "must be between 0 and 1")
	}
	for i, r := range p.Capitation.Risk {
		if r.Factor <= 0 || r.Factor > 5 {
			return nil, bad(fmt.Sprintf("capitation.risk[%d].factor", i), "must be in (0, 5]")
		}
	}
	for i, q := range p.Quality.Measures {
		if _, ok := d.Measure(q.Measure); !ok {
			return nil, bad(fmt.Sprintf("quality.measures[%d].measure", i), fmt.Sprintf("unknown measure %q", q.Measure))
		}
		if q.Weight < 0 || q.Floor == q.Target {
			return nil, bad(fmt.Sprintf("quality.measures[%d]", i), "weight must be ≥ 0 and floor ≠ target")
		}
	}
	if p.Quality.NoneBelow > p.Quality.FullAt {
		return nil, bad("quality", "none_below must not exceed full_at")
	}
	for i, o := range p.Outcome {
		if _, ok := d.Measure(o.Measure); !ok {
			return nil, bad(fmt.Sprintf("outcome[%d].measure", i), fmt.Sprintf("unknown measure %q", o.Measure))
		}
		for k := 1; k < len(o.Tiers); k++ {
			if o.Tiers[k].MinRate > o.Tiers[k-1].MinRate {
				return nil, bad(fmt.Sprintf("outcome[%d].tiers", i), "must be in descending min_rate order")
			}
		}
	}
	switch p.Savings.Mode {
	case SharedSavings, RetainSurplus:
	default:
		return nil, bad("savings.mode", fmt.Sprintf("%q: want %s or %s", p.Savings.Mode, SharedSavings, RetainSurplus))
	}
	if s := p.Savings.Share; s < 0 || s > 1 {
		return nil, bad("savings.share", "must be between 0 and 1")
	}
	if p.Savings.Trend <= 0 {
		return nil, bad("savings.trend", "must be positive")
	}
	return &p, nil
}

// PersonLine is one contract's part of an institution's settlement: every amount is
// traceable to the persons behind it.
type PersonLine struct {
	Person      string    `json:"person"`
	Institution string    `json:"institution"`
	Team        string    `json:"team"`
	Days        int       `json:"days"` // contracted days in the period
	Age         int       `json:"age"`
	Conditions  int       `json:"conditions"`
	RiskFactor  float64   `json:"risk_factor"`
	Capitation  yibao.Fen `json:"capitation_fen"`
	Expected    yibao.Fen `json:"expected_fen"`
	Actual      yibao.Fen `json:"actual_fen"`
}

// InstitutionSettlement is one primary-care institution's value-based account.
type InstitutionSettlement struct {
	Institution      string      `json:"institution"`
	Persons          int         `json:"persons"`
	Capitation       yibao.Fen   `json:"capitation_fen"`
	Monthly          []yibao.Fen `json:"monthly_paid_fen"` // capitation − withhold, by month
	Withheld         yibao.Fen   `json:"withheld_fen"`
	QualityScore     *float64    `json:"quality_score"` // null when no quality measure has a denominator
	ReturnShare      float64     `json:"return_share"`
	WithholdReturned yibao.Fen   `json:"withhold_returned_fen"`
	OutcomePayment   yibao.Fen   `json:"outcome_payment_fen"`
	Expected         yibao.Fen   `json:"expected_spending_fen"`
	Actual           yibao.Fen   `json:"actual_spending_fen"`
	Savings          yibao.Fen   `json:"savings_fen"`
	MSR              float64     `json:"minimum_savings_rate"` // the rate applied: the policy's, or wider for a small panel
	SharedSavings    yibao.Fen   `json:"shared_savings_fen"`
	Total            yibao.Fen   `json:"total_fen"` // capitation − withheld + returned + outcome + shared savings
	Notes            []string    `json:"notes"`
}

// Settlement is the period's value-based settlement of every institution.
type Settlement struct {
	Period       string                  `json:"period"`
	Policy       string                  `json:"policy"`
	Baseline     string                  `json:"baseline"` // prior-year, or concurrent when the prior year has no data
	Institutions []InstitutionSettlement `json:"institutions"`
	Persons      []PersonLine            `json:"-"`
}

// ratFen rounds a rational amount of fen half away from zero.
func ratFen(r *big.Rat) yibao.Fen {
	num, den := new(big.Int).Set(r.Num()), r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Lsh(m, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return yibao.Fen(q.Int64())
}

func ratOf(f float64) *big.Rat {
	r, _ := new(big.Rat).SetString(fmt.Sprintf("%.6f", f))
	return r
}

func mulFen(f yibao.Fen, factor float64) yibao.Fen {
	return ratFen(new(big.Rat).Mul(new(big.Rat).SetInt64(int64(f)), ratOf(factor)))
}

func (p *Policy) riskFactor(age int, sex yibao.Sex, conditions int) float64 {
	f := 1.0
	for _, r := range p.Capitation.Risk {
		if r.matches(age, sex, conditions) && r.Factor > f {
			f = r.Factor
		}
	}
	return f
}

// ageBand and cell group persons for the expected-spending baseline.
func cell(age, conditions int) string {
	band := "0-44"
	switch {
	case age < 0:
		band = "unknown"
	case age >= 75:
		band = "75+"
	case age >= 65:
		band = "65-74"
	case age >= 45:
		band = "45-64"
	}
	return fmt.Sprintf("%s/%d", band, min(conditions, 3))
}

// exposure is one contract's stretch within a period.
type exposure struct {
	c        Contract
	from, to time.Time // [from, to)
	days     int
}

func exposures(p *Person, per Period) []exposure {
	var out []exposure
	for _, c := range p.Contracts {
		from, to := c.Start, per.To
		if !c.End.IsZero() {
			to = c.End.AddDate(0, 0, 1)
		}
		if from.Before(per.From) {
			from = per.From
		}
		if to.After(per.To) {
			to = per.To
		}
		if !from.Before(to) {
			continue
		}
		out = append(out, exposure{c: c, from: from, to: to, days: int(to.Sub(from).Hours()/24 + 0.5)})
	}
	return out
}

func (x exposure) spending(p *Person) yibao.Fen {
	var s yibao.Fen
	for _, e := range p.Encounters {
		if t := e.date(); !t.Before(x.from) && t.Before(x.to) {
			s += e.Fund
		}
	}
	return s
}

func periodDays(per Period) int { return int(per.To.Sub(per.From).Hours()/24 + 0.5) }

// baseline returns fund spending per person-day by cell over contracted exposure in the
// period (the prior year for expected spending).
func (d *Definitions) baseline(persons []*Person, per Period) (map[string]*big.Rat, *big.Rat) {
	type acc struct{ spend, days int64 }
	cells := map[string]*acc{}
	var all acc
	lookFrom := per.From.AddDate(0, -d.LookbackMonths, 0)
	for _, p := range persons {
		xs := exposures(p, per)
		if len(xs) == 0 {
			continue
		}
		k := cell(p.ageAt(per.last()), len(d.conditionsOf(p.Encounters, lookFrom, per.To)))
		a := cells[k]
		if a == nil {
			a = &acc{}
			cells[k] = a
		}
		for _, x := range xs {
			s := int64(x.spending(p))
			a.spend += s
			a.days += int64(x.days)
			all.spend += s
			all.days += int64(x.days)
		}
	}
	out := map[string]*big.Rat{}
	for k, a := range cells {
		if a.days > 0 {
			out[k] = big.NewRat(a.spend, a.days)
		}
	}
	var overall *big.Rat
	if all.days > 0 {
		overall = big.NewRat(all.spend, all.days)
	}
	return out, overall
}

// Settle computes capitation with its withhold, the withhold returned by the quality
// score, pay-for-outcome and shared savings for each institution. rep must be the measures
// of the same period (Compute).
func (p *Policy) Settle(ctx context.Context, d *Definitions, persons []*Person, per Period, rep *Report) (*Settlement, error) {
	if rep == nil || rep.Period != per.Name {
		return nil, fmt.Errorf("value settle: measures of period %s are needed", per.Name)
	}
	out := &Settlement{Period: per.Name, Policy: p.Version, Baseline: "prior-year"}
	prior := Period{Name: "prior", From: per.From.AddDate(-1, 0, 0), To: per.From}
	cells, overall := d.baseline(persons, prior)
	if overall == nil {
		cells, overall = d.baseline(persons, per)
		out.Baseline = "concurrent"
	}
	trend := ratOf(p.Savings.Trend)
	lookFrom := per.From.AddDate(0, -d.LookbackMonths, 0)
	yearDays := int64(periodDays(per))
	type acc struct {
		InstitutionSettlement
		persons map[string]bool
		monthly []yibao.Fen
		// per-person yearly spending, for the panel's coefficient of variation
		spendN            int
		spendSum, spendSq float64
	}
	by := map[string]*acc{}
	get := func(inst string) *acc {
		a := by[inst]
		if a == nil {
			a = &acc{InstitutionSettlement: InstitutionSettlement{Institution: inst}, persons: map[string]bool{}, monthly: make([]yibao.Fen, 12)}
			by[inst] = a
		}
		return a
	}
	annual := new(big.Rat).SetInt64(int64(p.Capitation.Annual))
	for i, person := range persons {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		xs := exposures(person, per)
		if len(xs) == 0 {
			continue
		}
		age := person.ageAt(per.last())
		nc := len(d.conditionsOf(person.Encounters, lookFrom, per.To))
		factor := p.riskFactor(age, person.sex(), nc)
		rate, ok := cells[cell(age, nc)]
		if !ok {
			rate = overall
		}
		for _, x := range xs {
			a := get(x.c.Institution)
			a.persons[person.ID] = true
			line := PersonLine{Person: person.ID, Institution: x.c.Institution, Team: x.c.Team, Days: x.days,
				Age: age, Conditions: nc, RiskFactor: factor}
			// Capitation is paid monthly: round(annual × factor × covered days of the month / days of the year).
			for m := x.from; m.Before(x.to); {
				next := time.Date(m.Year(), m.Month()+1, 1, 0, 0, 0, 0, time.UTC)
				end := next
				if end.After(x.to) {
					end = x.to
				}
				days := int64(end.Sub(m).Hours()/24 + 0.5)
				amt := ratFen(new(big.Rat).Mul(new(big.Rat).Mul(annual, ratOf(factor)), big.NewRat(days, yearDays)))
				line.Capitation += amt
				if idx := int(m.Month()) - 1; per.From.Year() == m.Year() && idx < len(a.monthly) {
					a.monthly[idx] += amt
				}
				m = next
			}
			line.Expected = ratFen(new(big.Rat).Mul(new(big.Rat).Mul(rate, trend), new(big.Rat).SetInt64(int64(x.days))))
			line.Actual = x.spending(person)
			a.Capitation += line.Capitation
			a.Expected += line.Expected
			a.Actual += line.Actual
			if line.Days > 0 {
				yearly := float64(line.Actual) * float64(yearDays) / float64(line.Days)
				a.spendN++
				a.spendSum += yearly
				a.spendSq += yearly * yearly
			}
			out.Persons = append(out.Persons, line)
		}
	}
	rates := map[string]map[string]Result{}
	for _, r := range rep.Institutions {
		if rates[r.Institution] == nil {
			rates[r.Institution] = map[string]Result{}
		}
		rates[r.Institution][r.Measure] = r
	}
	for _, a := range by {
		s := &a.InstitutionSettlement
		s.Persons = len(a.persons)
		for _, m := range a.monthly {
			w := mulFen(m, p.Capitation.Withhold)
			s.Withheld += w
			s.Monthly = append(s.Monthly, m-w)
		}
		// Quality score over measures with a denominator, weights renormalised.
		var num, den float64
		for _, q := range p.Quality.Measures {
			r, ok := rates[s.Institution][q.Measure]
			if !ok || r.Rate == nil || q.Weight == 0 {
				continue
			}
			perf := math.Max(0, math.Min(1, (*r.Rate-q.Floor)/(q.Target-q.Floor)))
			num += q.Weight * perf
			den += q.Weight
		}
		var exact float64 // the score the rules compare; QualityScore is it shown to 4 decimals
		if den > 0 {
			exact = num / den
			score := math.Round(exact*10000) / 10000
			s.QualityScore = &score
			// The share is computed from the exact score and used unrounded: rounding the score
			// and then the share (as before) moved the amount returned by up to a few fen
			// (score 2/3 shown as 0.6667 returned 33.35% instead of 33.33%).
			switch {
			case exact >= p.Quality.FullAt:
				s.ReturnShare = 1
			case exact < p.Quality.NoneBelow:
				s.ReturnShare = 0
			default:
				s.ReturnShare = (exact - p.Quality.NoneBelow) / (p.Quality.FullAt - p.Quality.NoneBelow)
			}
		} else {
			s.Notes = append(s.Notes, "无质量指标数据，预留金不返还 / no quality data: withhold not returned")
		}
		// The share is a computed ratio, not a policy value: multiplied exactly (ratOf keeps 6
		// decimals, which on a large withhold is off by a fen).
		s.WithholdReturned = ratFen(new(big.Rat).Mul(new(big.Rat).SetInt64(int64(s.Withheld)), new(big.Rat).SetFloat64(s.ReturnShare)))
		// Pay for outcome: the first tier the rate reaches.
		for _, o := range p.Outcome {
			r, ok := rates[s.Institution][o.Measure]
			if !ok || r.Rate == nil {
				continue
			}
			for _, t := range o.Tiers {
				if *r.Rate+1e-12 >= t.MinRate {
					s.OutcomePayment += yibao.Fen(t.PerPatient) * yibao.Fen(r.Denominator)
					s.OutcomePayment += mulFen(s.Capitation, t.CapitationBonus)
					break
				}
			}
		}
		s.Savings = s.Expected - s.Actual
		switch p.Savings.Mode {
		case SharedSavings:
			gate := s.QualityScore != nil && exact >= p.Savings.QualityGate
			s.MSR = p.Savings.MinimumSavingsRate
			if p.Savings.MSRZ > 0 && a.spendN > 1 && a.spendSum > 0 {
				n := float64(a.spendN)
				mean := a.spendSum / n
				sd := math.Sqrt(math.Max(0, (a.spendSq-n*mean*mean)/(n-1)))
				s.MSR = math.Max(s.MSR, math.Round(p.Savings.MSRZ*sd/mean/math.Sqrt(n)*10000)/10000)
			}
			msr := mulFen(s.Expected, s.MSR)
			switch {
			case s.Savings <= 0:
				s.Notes = append(s.Notes, "无结余 / no savings")
			case s.Savings < msr:
				s.Notes = append(s.Notes, fmt.Sprintf("结余未达最低结余率 %.1f%%（按签约人数计的置信界）/ savings below the minimum savings rate for a panel of %d", s.MSR*100, s.Persons))
			case !gate:
				s.Notes = append(s.Notes, "质量未达标，不分享结余 / quality below the gate: no sharing")
			default:
				s.SharedSavings = mulFen(s.Savings, p.Savings.Share)
			}
		case RetainSurplus:
			if s.Savings > 0 {
				s.SharedSavings = mulFen(s.Savings, p.Savings.Share)
			} else {
				s.SharedSavings = s.Savings // 超支不补: the institution bears the overspend
			}
		}
		s.Total = s.Capitation - s.Withheld + s.WithholdReturned + s.OutcomePayment + s.SharedSavings
		if s.Notes == nil {
			s.Notes = []string{}
		}
		out.Institutions = append(out.Institutions, *s)
	}
	sort.Slice(out.Institutions, func(i, j int) bool { return out.Institutions[i].Institution < out.Institutions[j].Institution })
	sort.SliceStable(out.Persons, func(i, j int) bool {
		if out.Persons[i].Institution != out.Persons[j].Institution {
			return out.Persons[i].Institution < out.Persons[j].Institution
		}
		return out.Persons[i].Person < out.Persons[j].Person
	})
	return out, nil
}

// yuan writes fen as a JSON number in yuan with two decimals.
type yuan yibao.Fen

func (y yuan) MarshalJSON() ([]byte, error) { return []byte(yibao.Fen(y).String()), nil }

// YuanView is an institution's settlement in yuan, the shape of `yibao value settle --json`.
type YuanView struct {
	Institution      string   `json:"institution"`
	Persons          int      `json:"persons"`
	Capitation       yuan     `json:"capitation"`
	Withheld         yuan     `json:"withheld"`
	QualityScore     *float64 `json:"quality_score"`
	WithholdReturned yuan     `json:"withhold_returned"`
	OutcomePayment   yuan     `json:"outcome_payment"`
	ExpectedSpending yuan     `json:"expected_spending"`
	ActualSpending   yuan     `json:"actual_spending"`
	SharedSavings    yuan     `json:"shared_savings"`
	Total            yuan     `json:"total"`
	Notes            []string `json:"notes"`
}

// Yuan returns the settlement in yuan.
func (s InstitutionSettlement) Yuan() YuanView {
	return YuanView{
		Institution: s.Institution, Persons: s.Persons, Capitation: yuan(s.Capitation), Withheld: yuan(s.Withheld),
		QualityScore: s.QualityScore, WithholdReturned: yuan(s.WithholdReturned), OutcomePayment: yuan(s.OutcomePayment),
		ExpectedSpending: yuan(s.Expected), ActualSpending: yuan(s.Actual), SharedSavings: yuan(s.SharedSavings),
		Total: yuan(s.Total), Notes: s.Notes,
	}
}

// Gaps returns the care gaps of a report: the statuses with something to do.
func (r *Report) Gaps() []Status {
	var out []Status
	for _, s := range r.Statuses {
		if s.Gap {
			out = append(out, s)
		}
	}
	return out
}
