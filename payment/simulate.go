package payment

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/yibao-dev/yibao"
)

// Scenario is a kept, comparable what-if: parameter changes laid over the baseline
// parameters, and weight overrides or a uniform weight scale.
type Scenario struct {
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Params      json.RawMessage  `json:"params"`       // any part of a parameter file
	Weights     map[string]Ratio `json:"weights"`      // DRG → RW override
	WeightScale Ratio            `json:"weight_scale"` // multiply every weight (0 = unchanged)
}

// LoadScenario reads a scenario file.
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	var s Scenario
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	if s.Name == "" {
		return nil, fmt.Errorf("scenario %s: name is required", path)
	}
	return &s, nil
}

// Apply returns the scenario's parameters and weights; the baseline is not modified.
func (s *Scenario) Apply(base *Params, w *Weights) (*Params, *Weights, error) {
	b, err := json.Marshal(base)
	if err != nil {
		return nil, nil, err
	}
	p := &Params{}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, nil, err
	}
	if len(s.Params) > 0 {
		if err := json.Unmarshal(s.Params, p); err != nil {
			return nil, nil, fmt.Errorf("scenario %s params: %w", s.Name, err)
		}
	}
	if p.Version == base.Version {
		p.Version = base.Version + "+" + s.Name
	}
	if err := p.Validate(); err != nil {
		return nil, nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	nw := w.Clone()
	if s.WeightScale < 0 {
		return nil, nil, fmt.Errorf("scenario %s: parameter weight_scale must not be negative", s.Name)
	}
	if s.WeightScale > 0 {
		for _, list := range [][]Weight{nw.DRGs, nw.ADRGs} {
			for i := range list {
				list[i].RW = Ratio(mulDiv(int64(list[i].RW), int64(s.WeightScale), int64(RatioOne)))
			}
		}
	}
	for drg, r := range s.Weights {
		if r <= 0 {
			return nil, nil, fmt.Errorf("scenario %s: parameter weights.%s must be positive", s.Name, drg)
		}
	}
	nw.Override(s.Weights, "scenario")
	return p, nw, nil
}

// Impact is baseline versus scenario for one hospital or DRG.
type Impact struct {
	Key              string    `json:"key"`
	Cases            int       `json:"cases"`
	BaselinePayment  yibao.Fen `json:"baseline_payment_fen"`
	ScenarioPayment  yibao.Fen `json:"scenario_payment_fen"`
	PaymentDiff      yibao.Fen `json:"payment_diff_fen"`
	BaselineOutlay   yibao.Fen `json:"baseline_fund_outlay_fen,omitempty"`
	ScenarioOutlay   yibao.Fen `json:"scenario_fund_outlay_fen,omitempty"`
	OutlayDifference yibao.Fen `json:"fund_outlay_diff_fen,omitempty"`
}

// Simulation is a scenario's fund impact.
type Simulation struct {
	Scenario     string   `json:"scenario"`
	BaselineRate BaseRate `json:"baseline_rate"`
	ScenarioRate BaseRate `json:"scenario_rate"`
	Total        Impact   `json:"total"`
	ByHospital   []Impact `json:"by_hospital"`
	ByDRG        []Impact `json:"by_drg"`
}

// Run is one full pricing and settlement.
type Run struct {
	Rate        BaseRate
	Priced      []Priced
	Settlements []HospitalSettlement
}

// Evaluate prices and settles cases under p and w.
func Evaluate(cases []Case, w *Weights, p *Params) (*Run, error) {
	rate, err := ResolveBaseRate(cases, w, p)
	if err != nil {
		return nil, err
	}
	priced, err := PriceAll(cases, w, p, rate)
	if err != nil {
		return nil, err
	}
	return &Run{Rate: rate, Priced: priced, Settlements: Settle(priced, p)}, nil
}

// Simulate runs baseline and scenario on the same cases and compares them per hospital
// (payments and fund outlay after settlement) and per DRG (payments).
func Simulate(cases []Case, w *Weights, base *Params, s *Scenario) (*Simulation, error) {
	bp, err := Evaluate(cases, w, base)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	sp, sw, err := s.Apply(base, w)
	if err != nil {
		return nil, err
	}
	sr, err := Evaluate(cases, sw, sp)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	sim := &Simulation{Scenario: s.Name, BaselineRate: bp.Rate, ScenarioRate: sr.Rate, Total: Impact{Key: "total"}}
	hosp := map[string]*Impact{}
	drg := map[string]*Impact{}
	get := func(m map[string]*Impact, k string) *Impact {
		if m[k] == nil {
			m[k] = &Impact{Key: k}
		}
		return m[k]
	}
	for i := range bp.Priced {
		b, x := &bp.Priced[i], &sr.Priced[i]
		for _, im := range []*Impact{get(hosp, b.Hospital), get(drg, drgKey(b)), &sim.Total} {
			im.Cases++
			im.BaselinePayment += b.Payment
			im.ScenarioPayment += x.Payment
		}
	}
	for i := range bp.Settlements {
		b, x := &bp.Settlements[i], &sr.Settlements[i]
		im := get(hosp, b.Hospital)
		im.BaselineOutlay, im.ScenarioOutlay = b.FundOutlay, x.FundOutlay
		sim.Total.BaselineOutlay += b.FundOutlay
		sim.Total.ScenarioOutlay += x.FundOutlay
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
	return sim, nil
}

func drgKey(p *Priced) string {
	if !p.Grouped {
		return "(ungroupable)"
	}
	return p.DRG
}
