package monitor

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/yibao-dev/yibao/forecast"
)

// Scenario changes the fund's course for a projection (情景). Rates are per year.
type Scenario struct {
	Name   string `json:"name"`
	NameZh string `json:"name_zh"`
	// Ageing is the extra yearly growth of expenditure from an older insured population
	// (e.g. 0.02 = 2% a year on top of the forecast).
	Ageing float64 `json:"ageing"`
	// ContributionGrowth is the yearly growth of income (contribution base and rates).
	ContributionGrowth float64 `json:"contribution_growth"`
	// PolicyFactor multiplies expenditure from the first projected month, e.g. the ratio of
	// fund spending under a `yibao simulate` scenario to the baseline (1 = no change).
	PolicyFactor float64 `json:"policy_factor"`
}

// DefaultScenarios are illustrative settings, not forecasts of policy (local choice; the
// bureau edits them): the baseline, an ageing population, and a slower contribution base.
func DefaultScenarios() []Scenario {
	return []Scenario{
		{Name: "baseline", NameZh: "基准情景", ContributionGrowth: 0.04, PolicyFactor: 1},
		{Name: "ageing", NameZh: "老龄化加速", Ageing: 0.02, ContributionGrowth: 0.04, PolicyFactor: 1},
		{Name: "slow-income", NameZh: "缴费增长放缓", ContributionGrowth: 0.01, PolicyFactor: 1},
	}
}

// ProjectionMonth is one projected month.
type ProjectionMonth struct {
	Period          string  `json:"period"`
	IncomeFen       int64   `json:"income_fen"`
	ExpenditureFen  int64   `json:"expenditure_fen"`
	ExpenditureLo95 int64   `json:"expenditure_lo95_fen"`
	ExpenditureHi95 int64   `json:"expenditure_hi95_fen"`
	ClosingFen      int64   `json:"closing_fen"`
	MonthsOfReserve float64 `json:"months_of_reserve"`
	Band            string  `json:"band"`
}

// Projection is a fund's course under one scenario.
type Projection struct {
	InsuType string            `json:"insutype"`
	Scenario Scenario          `json:"scenario"`
	Model    string            `json:"model"`
	Backtest forecast.Backtest `json:"backtest"`
	Months   []ProjectionMonth `json:"months"`
	// ExhaustedIn is the first projected month whose closing balance is negative ("" when
	// the fund lasts the whole projection).
	ExhaustedIn string `json:"exhausted_in"`
}

// Project runs a fund's books forward for years (1–5): expenditure from the automatic
// forecast of its monthly expenditure (with its 95% interval), scaled by the scenario's ageing
// and policy factor; income repeats the same month of the last year grown by the contribution
// growth; the balance carries forward and the months of reserve follow.
func Project(ctx context.Context, books []BookMonth, insuType string, years int, sc Scenario, bands Bands) (*Projection, error) {
	if years < 1 || years > 5 {
		return nil, errors.New("projection years must be 1–5")
	}
	if sc.PolicyFactor == 0 {
		sc.PolicyFactor = 1
	}
	if sc.PolicyFactor < 0 || sc.PolicyFactor > 10 || math.Abs(sc.Ageing) > 1 || math.Abs(sc.ContributionGrowth) > 1 {
		return nil, errors.New("scenario rates must be within ±100% and the policy factor within 0–10")
	}
	var hist []BookMonth
	for _, b := range books {
		if b.InsuType == insuType {
			hist = append(hist, b)
		}
	}
	if len(hist) < 12 {
		return nil, fmt.Errorf("fund %s: %d months of books, a projection needs at least 12", insuType, len(hist))
	}
	start, err := forecast.ParseMonth(hist[0].Period)
	if err != nil {
		return nil, err
	}
	exp := make([]float64, len(hist))
	for i, b := range hist {
		exp[i] = float64(b.ExpenditureFen)
	}
	h := 12 * years
	res, err := forecast.Run(ctx, forecast.Request{Series: forecast.Series{Start: start, Values: exp}, Horizon: h})
	if err != nil {
		return nil, fmt.Errorf("fund %s expenditure forecast: %w", insuType, err)
	}
	p := &Projection{InsuType: insuType, Scenario: sc, Model: res.Model, Backtest: res.Backtest}
	closing := float64(hist[len(hist)-1].ClosingFen)
	// Rolling window of the last 12 months' expenditure, for the months of reserve.
	window := append([]float64(nil), exp[max(0, len(exp)-12):]...)
	lastYearIncome := make([]float64, 12)
	for k := 0; k < 12; k++ {
		lastYearIncome[k] = float64(hist[len(hist)-12+k].IncomeFen)
	}
	for k := 0; k < h; k++ {
		t := float64(k+1) / 12
		grow := math.Pow(1+sc.Ageing, t) * sc.PolicyFactor
		e := math.Max(res.Forecast.Mean[k]*grow, 0)
		lo := math.Max(res.Forecast.Lo95[k]*grow, 0)
		hi := math.Max(res.Forecast.Hi95[k]*grow, 0)
		years := float64(k/12 + 1)
		inc := lastYearIncome[k%12] * math.Pow(1+sc.ContributionGrowth, years)
		closing += inc - e
		window = append(window[1:], e)
		var sum float64
		for _, v := range window {
			sum += v
		}
		mor := math.NaN()
		if sum > 0 {
			mor = closing / (sum / float64(len(window)))
		}
		band, _ := bands.Band(mor)
		pm := ProjectionMonth{Period: res.Periods[k], IncomeFen: int64(math.Round(inc)), ExpenditureFen: int64(math.Round(e)),
			ExpenditureLo95: int64(math.Round(lo)), ExpenditureHi95: int64(math.Round(hi)), ClosingFen: int64(math.Round(closing)),
			MonthsOfReserve: mor, Band: band}
		if closing < 0 && p.ExhaustedIn == "" {
			p.ExhaustedIn = pm.Period
		}
		p.Months = append(p.Months, pm)
	}
	return p, nil
}

// PolicyFactor turns a `yibao simulate` result — the fund outlay under the current rules and
// under a scenario, over a year of cases — into a projection's policy factor: the fund's
// expenditure of its last 12 months plus the simulated change, over that expenditure. The
// change is assumed to recur each year at the same size relative to spending.
func PolicyFactor(books []BookMonth, insuType string, baselineFen, scenarioFen int64) (float64, error) {
	var hist []BookMonth
	for _, b := range books {
		if b.InsuType == insuType {
			hist = append(hist, b)
		}
	}
	if len(hist) < 12 {
		return 0, fmt.Errorf("fund %s: %d months of books, the policy factor needs 12", insuType, len(hist))
	}
	var year int64
	for _, b := range hist[len(hist)-12:] {
		year += b.ExpenditureFen
	}
	if year <= 0 {
		return 0, errors.New("no expenditure in the last 12 months")
	}
	f := float64(year+scenarioFen-baselineFen) / float64(year)
	if f <= 0 {
		return 0, fmt.Errorf("the simulated change (%d fen) exceeds a year's expenditure", scenarioFen-baselineFen)
	}
	return f, nil
}
