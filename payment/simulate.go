package payment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/yibao-dev/yibao"
)

// Scenario is a kept, comparable what-if: any part of a policy document laid over the
// baseline policy, a budget scale, weight overrides and a uniform weight scale.
type Scenario struct {
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Policy      json.RawMessage  `json:"policy"`       // any part of a policy document
	BudgetScale Ratio            `json:"budget_scale"` // multiply B (0 = unchanged)
	Weights     map[string]Ratio `json:"weights"`      // DRG → RW override
	WeightScale Ratio            `json:"weight_scale"` // multiply every weight (0 = unchanged)
	// Benefits simulates a change of the benefit table: each case's patient payment moves by
	// PatientShares(proposed) − PatientShares(current) from its actual value (clamped to
	// [0, cost]), so that the change, not the calculator's error, is what is measured.
	Benefits *BenefitChange `json:"benefits,omitempty"`
}

// BenefitChange is a benefit-table scenario.
type BenefitChange struct {
	Current  []Benefit `json:"current"`
	Proposed []Benefit `json:"proposed"`
}

// applyBenefits returns the cases with patients' payments moved by the benefit change.
func (b *BenefitChange) applyBenefits(cases []PayCase) ([]PayCase, int, error) {
	bc := make([]BenefitCase, len(cases))
	missing := 0
	for i := range cases {
		if cases[i].Benefit == nil {
			missing++
			bc[i] = BenefitCase{ID: cases[i].ID, Cost: cases[i].Cost}
			continue
		}
		bc[i] = *cases[i].Benefit
		bc[i].Cost = cases[i].Cost
	}
	cur, prop := PatientShares(bc, b.Current), PatientShares(bc, b.Proposed)
	out := append([]PayCase(nil), cases...)
	for i := range out {
		if out[i].Benefit == nil {
			continue
		}
		out[i].PatientPaid = min(max(0, out[i].PatientPaid+prop[i]-cur[i]), out[i].Cost)
	}
	return out, missing, nil
}

// ParseScenario reads a scenario document.
func ParseScenario(b []byte) (*Scenario, error) {
	var s Scenario
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	if s.Name == "" {
		return nil, fmt.Errorf("scenario: name is required")
	}
	if s.BudgetScale < 0 || s.WeightScale < 0 {
		return nil, fmt.Errorf("scenario %s: budget_scale and weight_scale must not be negative", s.Name)
	}
	for d, r := range s.Weights {
		if r <= 0 {
			return nil, fmt.Errorf("scenario %s: weights.%s must be positive", s.Name, d)
		}
	}
	return &s, nil
}

// apply returns the scenario's policy, weights and budget; the baseline is not modified.
func (s *Scenario) apply(base *Policy, w *Weights, budget yibao.Fen) (*Policy, *Weights, yibao.Fen, error) {
	pol := base
	if len(s.Policy) > 0 {
		b, err := json.Marshal(base)
		if err != nil {
			return nil, nil, 0, err
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, nil, 0, err
		}
		var over map[string]json.RawMessage
		if err := json.Unmarshal(s.Policy, &over); err != nil {
			return nil, nil, 0, fmt.Errorf("scenario %s policy: %w", s.Name, err)
		}
		for k, v := range over {
			merged, err := mergeJSON(m[k], v)
			if err != nil {
				return nil, nil, 0, fmt.Errorf("scenario %s policy.%s: %w", s.Name, k, err)
			}
			m[k] = merged
		}
		b, _ = json.Marshal(m)
		p, err := ParsePolicy(b)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("scenario %s: %w", s.Name, err)
		}
		if p.Version == base.Version {
			p.Version = base.Version + "+" + s.Name
		}
		pol = p
	}
	nw := w
	if s.WeightScale > 0 || len(s.Weights) > 0 {
		c := *w
		c.DRGs = append([]Weight(nil), w.DRGs...)
		for i := range c.DRGs {
			x := &c.DRGs[i]
			if s.WeightScale > 0 {
				x.RW = max(1, Ratio(mulDiv(int64(x.RW), int64(s.WeightScale), int64(RatioOne))))
			}
			if r, ok := s.Weights[x.DRG]; ok {
				x.RW = r
			}
			if x.RW != w.DRGs[i].RW {
				x.Note = "scenario weight" // the source stays: Ā_g (and r) are the group's own
			}
		}
		c.buildIndex()
		nw = &c
	}
	if s.BudgetScale > 0 {
		budget = yibao.Fen(mulDiv(int64(budget), int64(s.BudgetScale), int64(RatioOne)))
	}
	return pol, nw, budget, nil
}

// mergeJSON lays an object over an object (recursively); anything else replaces.
func mergeJSON(base, over json.RawMessage) (json.RawMessage, error) {
	var bm, om map[string]json.RawMessage
	if json.Unmarshal(base, &bm) != nil || json.Unmarshal(over, &om) != nil || bm == nil || om == nil {
		return over, nil
	}
	for k, v := range om {
		m, err := mergeJSON(bm[k], v)
		if err != nil {
			return nil, err
		}
		bm[k] = m
	}
	return json.Marshal(bm)
}

// Impact is baseline versus scenario for one hospital or DRG.
type Impact struct {
	Key              string    `json:"key"`
	Cases            int       `json:"cases"`
	BaselinePayment  yibao.Fen `json:"baseline_payment_fen"`
	ScenarioPayment  yibao.Fen `json:"scenario_payment_fen"`
	PaymentDiff      yibao.Fen `json:"payment_diff_fen"`
	BaselineOutlay   yibao.Fen `json:"baseline_fund_outlay_fen"`
	ScenarioOutlay   yibao.Fen `json:"scenario_fund_outlay_fen"`
	OutlayDifference yibao.Fen `json:"fund_outlay_diff_fen"`
}

// KnobEffect is what one scenario knob does on its own, or why it cannot do anything.
type KnobEffect struct {
	Knob             string    `json:"knob"`
	HospitalsChanged int       `json:"hospitals_changed"`
	MovedFen         yibao.Fen `json:"moved_fen"`      // Σ |Δ fund outlay| over hospitals
	TotalDiffFen     yibao.Fen `json:"total_diff_fen"` // Δ Σ fund outlay
	Note             string    `json:"note,omitempty"` // why there is no effect, or what bounds it
}

// Simulation is a scenario's fund impact.
type Simulation struct {
	Scenario       string       `json:"scenario"`
	Mode           string       `json:"mode"`
	BaselinePV     string       `json:"baseline_point_value"`
	ScenarioPV     string       `json:"scenario_point_value"`
	BaselineBudget yibao.Fen    `json:"baseline_budget_fen"`
	ScenarioBudget yibao.Fen    `json:"scenario_budget_fen"`
	Total          Impact       `json:"total"`
	ByHospital     []Impact     `json:"by_hospital"`
	ByDRG          []Impact     `json:"by_drg"`
	Knobs          []KnobEffect `json:"knobs"`
	Notes          []string     `json:"notes"`
	BaselineResult *Result      `json:"-"`
	ScenarioResult *Result      `json:"-"`
}

// Simulate runs baseline and scenario on the same cases and compares them per hospital
// and DRG, then runs each knob alone to show its own effect or say why it has none.
func Simulate(cases []PayCase, w *Weights, pol *Policy, budget yibao.Fen, s *Scenario) (*Simulation, error) {
	base, err := Pay(cases, w, pol, budget)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	sp, sw, sb, err := s.apply(pol, w, budget)
	if err != nil {
		return nil, err
	}
	scases, missing := cases, 0
	if s.Benefits != nil {
		if scases, missing, err = s.Benefits.applyBenefits(cases); err != nil {
			return nil, err
		}
	}
	scen, err := Pay(scases, sw, sp, sb)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	sim := &Simulation{Scenario: s.Name, Mode: sp.Mode.Value, BaselinePV: base.PointValue(6), ScenarioPV: scen.PointValue(6),
		BaselineBudget: budget, ScenarioBudget: sb, Total: Impact{Key: "total"}, BaselineResult: base, ScenarioResult: scen}
	hosp, drg := map[string]*Impact{}, map[string]*Impact{}
	get := func(m map[string]*Impact, k string) *Impact {
		if m[k] == nil {
			m[k] = &Impact{Key: k}
		}
		return m[k]
	}
	for i := range base.Cases {
		b, x := &base.Cases[i], &scen.Cases[i]
		k := b.DRG
		if b.Status != StatusGrouped {
			k = "(" + b.Status + ")"
		}
		im := get(drg, k)
		im.Cases++
		im.BaselinePayment += b.Amount
		im.ScenarioPayment += x.Amount
		im.BaselineOutlay += b.FundPaid
		im.ScenarioOutlay += x.FundPaid
	}
	for i := range base.Hospitals {
		b, x := &base.Hospitals[i], &scen.Hospitals[i]
		im := get(hosp, b.Hospital)
		im.Cases = b.Cases
		im.BaselinePayment, im.ScenarioPayment = b.Settled, x.Settled
		im.BaselineOutlay, im.ScenarioOutlay = b.FundPaid, x.FundPaid
		sim.Total.Cases += b.Cases
		sim.Total.BaselinePayment += b.Settled
		sim.Total.ScenarioPayment += x.Settled
		sim.Total.BaselineOutlay += b.FundPaid
		sim.Total.ScenarioOutlay += x.FundPaid
	}
	finish := func(m map[string]*Impact) []Impact {
		out := make([]Impact, 0, len(m))
		for _, im := range m {
			im.PaymentDiff = im.ScenarioPayment - im.BaselinePayment
			im.OutlayDifference = im.ScenarioOutlay - im.BaselineOutlay
			out = append(out, *im)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
		return out
	}
	sim.ByHospital, sim.ByDRG = finish(hosp), finish(drg)
	sim.Total.PaymentDiff = sim.Total.ScenarioPayment - sim.Total.BaselinePayment
	sim.Total.OutlayDifference = sim.Total.ScenarioOutlay - sim.Total.BaselineOutlay
	if missing > 0 {
		sim.Notes = append(sim.Notes, fmt.Sprintf("benefits: %d cases carry no insurance type, level and person; their patients' payments are unchanged", missing))
	}
	if pol.Mode.Value == "points" && sp.Mode.Value == "points" {
		sim.Notes = append(sim.Notes, "point mode: the hospitals' amounts always add up to B + P, so rule, weight and coefficient changes move money between hospitals; only the budget (and deductions) change the fund's total outlay")
	}
	// Each knob alone.
	knobs := []struct {
		name string
		sc   Scenario
		why  string
	}{
		{"policy", Scenario{Name: s.Name + ":policy", Policy: s.Policy}, "the policy changes given do not change any case's points, kind or deduction here"},
		{"budget_scale", Scenario{Name: s.Name + ":budget", BudgetScale: s.BudgetScale}, "a budget scale of 1 changes nothing"},
		{"weights", Scenario{Name: s.Name + ":weights", Weights: s.Weights}, "the overridden DRGs have no case in the period, or carry the weight they already had"},
		{"weight_scale", Scenario{Name: s.Name + ":weight_scale", WeightScale: s.WeightScale}, ""},
		{"benefits", Scenario{Name: s.Name + ":benefits", Benefits: s.Benefits}, "the benefit change moves no patient's payment on these cases (or the cases carry no insurance type, level and person)"},
	}
	for _, k := range knobs {
		if (k.name == "policy" && len(s.Policy) == 0) || (k.name == "budget_scale" && s.BudgetScale == 0) ||
			(k.name == "weights" && len(s.Weights) == 0) || (k.name == "weight_scale" && s.WeightScale == 0) ||
			(k.name == "benefits" && s.Benefits == nil) {
			continue
		}
		kp, kw, kb, err := k.sc.apply(pol, w, budget)
		if err != nil {
			return nil, err
		}
		kc := cases
		if k.sc.Benefits != nil {
			if kc, _, err = k.sc.Benefits.applyBenefits(cases); err != nil {
				return nil, err
			}
		}
		r, err := Pay(kc, kw, kp, kb)
		if err != nil {
			return nil, fmt.Errorf("scenario %s knob %s: %w", s.Name, k.name, err)
		}
		e := KnobEffect{Knob: k.name}
		for i := range base.Hospitals {
			d := r.Hospitals[i].FundPaid - base.Hospitals[i].FundPaid
			if d != 0 {
				e.HospitalsChanged++
			}
			e.TotalDiffFen += d
			if d < 0 {
				d = -d
			}
			e.MovedFen += d
		}
		switch {
		case k.name == "weight_scale" && kp.Mode.Value == "points":
			e.Note = fmt.Sprintf("scaling every weight by %s cannot change payments in point mode: every case's points scale alike and PV = (B + P) / T falls by the same factor (what moves is the rounding of points to 4 decimals, or a group whose RW crosses a high-ratio band and so changes t); scale the budget instead", s.WeightScale)
		case e.HospitalsChanged == 0:
			e.Note = k.why
		case k.name == "benefits" && kp.Mode.Value == "points":
			e.Note = "patients' payments change P, so the point value and every hospital's fund payment move: the fund pays the difference in patients' payments"
		case kp.Mode.Value == "points" && k.name != "budget_scale":
			e.Note = "redistribution between hospitals: the total stays B + P"
		}
		sim.Knobs = append(sim.Knobs, e)
	}
	return sim, nil
}
