// Package monitor keeps the fund's books (基金收支) by month and insurance type, computes the
// months of reserve (累计结存可支付月数) and its policy band, projects the fund under scenarios,
// and evaluates alert rules (预警规则) whose alerts people acknowledge and resolve. It takes
// and returns values; the store, the CLI and the web server are adapters. Sources and defaults
// are in docs/monitoring.md.
package monitor

import (
	"fmt"
	"math"
	"sort"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/forecast"
)

// Insurance types (险种).
const (
	Employee = "310" // 职工基本医疗保险
	Resident = "390" // 城乡居民基本医疗保险
	AllTypes = "all" // both funds together
)

// InsuTypeZh names an insurance type for people.
var InsuTypeZh = map[string]string{Employee: "职工医保", Resident: "居民医保", AllTypes: "全部险种"}

// Spending categories.
const (
	Inpatient  = "inpatient"  // 住院
	Outpatient = "outpatient" // 普通门诊
	Chronic    = "chronic"    // 门诊慢特病
)

// CategoryZh names a spending category.
var CategoryZh = map[string]string{Inpatient: "住院", Outpatient: "普通门诊", Chronic: "门诊慢特病"}

// LedgerRow is one month of one fund from the bureau's fund ledger (基金台账): income
// (contributions, subsidies, interest), expenditure not made through settlements, and — at
// least on a fund's first month — the opening balance. Money in fen.
type LedgerRow struct {
	Period           forecast.Month
	InsuType         string
	Income           yibao.Fen
	OtherExpenditure yibao.Fen
	// OpeningBalance is nil when the row leaves it to be carried forward.
	OpeningBalance *yibao.Fen
	// Insured is the number of insured persons (参保人数), 0 when not given.
	Insured int64
}

// SpendRow is pooled-fund spending from stored settlements for one month, fund, category and
// hospital level (0 = level unknown).
type SpendRow struct {
	Period   forecast.Month
	InsuType string
	Category string
	Level    int
	FundFen  yibao.Fen
	Cases    int64
}

// BookMonth is one month of one fund's books.
type BookMonth struct {
	Period   string `json:"period"`
	InsuType string `json:"insutype"`
	NameZh   string `json:"name_zh"`

	OpeningFen int64 `json:"opening_fen"`
	IncomeFen  int64 `json:"income_fen"`
	// SettledFen is pooled-fund spending from settlements; OtherFen is the ledger's other
	// expenditure; ExpenditureFen their sum.
	SettledFen     int64 `json:"settled_fen"`
	OtherFen       int64 `json:"other_fen"`
	ExpenditureFen int64 `json:"expenditure_fen"`
	ClosingFen     int64 `json:"closing_fen"`
	// ReconciledFen is the difference between a stated opening balance and the carried
	// closing balance of the month before (0 when none was stated).
	ReconciledFen int64 `json:"reconciled_fen"`

	ByCategory map[string]int64 `json:"by_category_fen"`
	ByLevel    map[string]int64 `json:"by_level_fen"`
	Cases      int64            `json:"cases"`

	// MonthsOfReserve is the closing balance over the mean monthly expenditure of the last
	// 12 months (fewer at the start of the books, see ReserveBasis).
	MonthsOfReserve float64 `json:"months_of_reserve"`
	ReserveBasis    int     `json:"reserve_basis_months"`
	Band            string  `json:"band"`
	BandZh          string  `json:"band_zh"`

	// Growth of the last 12 months over the 12 before (NaN until 24 months exist).
	IncomeGrowth      float64 `json:"income_growth"`
	ExpenditureGrowth float64 `json:"expenditure_growth"`
	// SpendingOutpacesIncome is the seeds' indicator "spending grows no faster than income"
	// failing.
	SpendingOutpacesIncome bool `json:"spending_outpaces_income"`

	Insured            int64   `json:"insured"`
	PerCapitaSpendYuan float64 `json:"per_capita_spend_yuan"`
}

// Bands are the months-of-reserve policy bands, as data.
type Bands struct {
	Red    float64 `json:"red"`    // below: 严重不足 (red)
	Yellow float64 `json:"yellow"` // below: 不足 (yellow)
	Excess float64 `json:"excess"` // above: 结余过多
}

// DefaultBands: < 3 red, < 6 yellow, 6–15 normal, > 15 excess (docs/monitoring.md gives
// the source and why these are policy data).
var DefaultBands = Bands{Red: 3, Yellow: 6, Excess: 15}

// Band classifies months of reserve.
func (b Bands) Band(months float64) (string, string) {
	switch {
	case math.IsNaN(months):
		return "unknown", "无法计算"
	case months < b.Red:
		return "red", "严重不足"
	case months < b.Yellow:
		return "yellow", "不足"
	case months > b.Excess:
		return "excess", "结余过多"
	default:
		return "normal", "合理"
	}
}

// Books builds each fund's monthly books, and the two funds together, over the months the
// ledger covers. Settled spending in months the ledger does not cover is ignored (there is no
// balance to charge it to); a fund without an opening balance on its first ledger month is an
// error.
func Books(ledger []LedgerRow, spend []SpendRow, bands Bands) ([]BookMonth, error) {
	type key struct {
		m forecast.Month
		t string
	}
	rows := map[key]LedgerRow{}
	first := map[string]forecast.Month{}
	last := map[string]forecast.Month{}
	for _, r := range ledger {
		if r.InsuType != Employee && r.InsuType != Resident {
			return nil, fmt.Errorf("ledger %s: insurance type %q is not 310 or 390", r.Period, r.InsuType)
		}
		k := key{r.Period, r.InsuType}
		if _, dup := rows[k]; dup {
			return nil, fmt.Errorf("ledger %s %s: month given twice", r.Period, r.InsuType)
		}
		rows[k] = r
		if f, ok := first[r.InsuType]; !ok || r.Period.Index() < f.Index() {
			first[r.InsuType] = r.Period
		}
		if l, ok := last[r.InsuType]; !ok || r.Period.Index() > l.Index() {
			last[r.InsuType] = r.Period
		}
	}
	type agg struct {
		fund  yibao.Fen
		cases int64
		cat   map[string]int64
		lvl   map[string]int64
	}
	spent := map[key]*agg{}
	for _, s := range spend {
		k := key{s.Period, s.InsuType}
		a := spent[k]
		if a == nil {
			a = &agg{cat: map[string]int64{}, lvl: map[string]int64{}}
			spent[k] = a
		}
		a.fund += s.FundFen
		a.cases += s.Cases
		a.cat[s.Category] += int64(s.FundFen)
		a.lvl[levelKey(s.Level)] += int64(s.FundFen)
	}
	var out []BookMonth
	perType := map[string][]BookMonth{}
	for _, t := range []string{Employee, Resident} {
		f, ok := first[t]
		if !ok {
			continue
		}
		var books []BookMonth
		var closing yibao.Fen
		for m := f; m.Index() <= last[t].Index(); m = m.Add(1) {
			r, ok := rows[key{m, t}]
			if !ok {
				return nil, fmt.Errorf("ledger %s: month %s missing between %s and %s", t, m, f, last[t])
			}
			b := BookMonth{Period: m.String(), InsuType: t, NameZh: InsuTypeZh[t], ByCategory: map[string]int64{}, ByLevel: map[string]int64{}}
			opening := closing
			if m == f {
				if r.OpeningBalance == nil {
					return nil, fmt.Errorf("ledger %s %s: the first month needs an opening balance", m, t)
				}
				opening = *r.OpeningBalance
			} else if r.OpeningBalance != nil {
				b.ReconciledFen = int64(*r.OpeningBalance - closing)
				opening = *r.OpeningBalance
			}
			var settled yibao.Fen
			if a := spent[key{m, t}]; a != nil {
				settled = a.fund
				b.Cases = a.cases
				for c, v := range a.cat {
					b.ByCategory[c] = v
				}
				for l, v := range a.lvl {
					b.ByLevel[l] = v
				}
			}
			b.OpeningFen = int64(opening)
			b.IncomeFen = int64(r.Income)
			b.SettledFen = int64(settled)
			b.OtherFen = int64(r.OtherExpenditure)
			b.ExpenditureFen = int64(settled + r.OtherExpenditure)
			closing = opening + r.Income - settled - r.OtherExpenditure
			b.ClosingFen = int64(closing)
			b.Insured = r.Insured
			books = append(books, b)
		}
		perType[t] = books
	}
	// The two funds together, over the months both cover.
	if e, r := perType[Employee], perType[Resident]; len(e) > 0 && len(r) > 0 {
		var all []BookMonth
		idx := map[string]int{}
		for _, src := range [][]BookMonth{e, r} {
			for _, b := range src {
				if _, ok := idx[b.Period]; !ok {
					idx[b.Period] = len(all)
					all = append(all, BookMonth{Period: b.Period, InsuType: AllTypes, NameZh: InsuTypeZh[AllTypes], ByCategory: map[string]int64{}, ByLevel: map[string]int64{}})
				}
			}
		}
		count := map[string]int{}
		for _, src := range [][]BookMonth{e, r} {
			for _, b := range src {
				t := &all[idx[b.Period]]
				count[b.Period]++
				t.OpeningFen += b.OpeningFen
				t.IncomeFen += b.IncomeFen
				t.SettledFen += b.SettledFen
				t.OtherFen += b.OtherFen
				t.ExpenditureFen += b.ExpenditureFen
				t.ClosingFen += b.ClosingFen
				t.ReconciledFen += b.ReconciledFen
				t.Cases += b.Cases
				t.Insured += b.Insured
				for c, v := range b.ByCategory {
					t.ByCategory[c] += v
				}
				for l, v := range b.ByLevel {
					t.ByLevel[l] += v
				}
			}
		}
		var both []BookMonth
		for _, b := range all {
			if count[b.Period] == 2 {
				both = append(both, b)
			}
		}
		sort.Slice(both, func(i, j int) bool { return both[i].Period < both[j].Period })
		perType[AllTypes] = both
	}
	for _, t := range []string{Employee, Resident, AllTypes} {
		books := perType[t]
		derive(books, bands)
		out = append(out, books...)
	}
	return out, nil
}

func levelKey(l int) string {
	if l < 1 || l > 3 {
		return "unknown"
	}
	return fmt.Sprint(l)
}

// derive fills months of reserve, bands, growth and per-capita figures in time order.
func derive(books []BookMonth, bands Bands) {
	for i := range books {
		b := &books[i]
		lo := max(0, i-11)
		var sum int64
		for j := lo; j <= i; j++ {
			sum += books[j].ExpenditureFen
		}
		n := i - lo + 1
		b.ReserveBasis = n
		if sum > 0 {
			b.MonthsOfReserve = float64(b.ClosingFen) / (float64(sum) / float64(n))
		} else {
			b.MonthsOfReserve = math.NaN()
		}
		b.Band, b.BandZh = bands.Band(b.MonthsOfReserve)
		b.IncomeGrowth, b.ExpenditureGrowth = math.NaN(), math.NaN()
		if i >= 23 {
			var inc, incPrev, exp, expPrev int64
			for j := i - 11; j <= i; j++ {
				inc += books[j].IncomeFen
				exp += books[j].ExpenditureFen
			}
			for j := i - 23; j <= i-12; j++ {
				incPrev += books[j].IncomeFen
				expPrev += books[j].ExpenditureFen
			}
			if incPrev > 0 {
				b.IncomeGrowth = float64(inc)/float64(incPrev) - 1
			}
			if expPrev > 0 {
				b.ExpenditureGrowth = float64(exp)/float64(expPrev) - 1
			}
			b.SpendingOutpacesIncome = !math.IsNaN(b.IncomeGrowth) && !math.IsNaN(b.ExpenditureGrowth) && b.ExpenditureGrowth > b.IncomeGrowth
		}
		if b.Insured > 0 {
			b.PerCapitaSpendYuan = float64(b.ExpenditureFen) / 100 / float64(b.Insured)
		}
	}
}
