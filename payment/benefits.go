package payment

import (
	"slices"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
)

// BenefitCase is what the benefit calculator needs of a stay.
type BenefitCase struct {
	ID        string
	InsuType  string // 310 employee, 390 resident
	Level     int    // hospital level 1–3
	Person    string // pseudonym: the annual ceiling is per person and year
	Discharge time.Time
	Cost      yibao.Fen
}

// PatientShares computes what patients would pay under a benefit table (deductible, ratio,
// annual fund ceiling per person, used up in discharge order). It serves only to simulate
// benefit changes: the payment run takes patients' actual payments from the documents.
func PatientShares(cases []BenefitCase, benefits []Benefit) []yibao.Fen {
	order := make([]int, len(cases))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ca, cb := &cases[a], &cases[b]
		if c := ca.Discharge.Compare(cb.Discharge); c != 0 {
			return c
		}
		if c := strings.Compare(ca.ID, cb.ID); c != 0 {
			return c
		}
		return a - b
	})
	type key struct {
		insu  string
		level int
	}
	table := map[key]Benefit{}
	for _, b := range benefits {
		table[key{b.InsuType, b.Level}] = b
	}
	type personYear struct {
		person string
		year   int
	}
	used := map[personYear]yibao.Fen{}
	out := make([]yibao.Fen, len(cases))
	for _, i := range order {
		c := &cases[i]
		py := personYear{c.Person, c.Discharge.Year()}
		fund := yibao.Fen(0)
		if b, ok := table[key{c.InsuType, c.Level}]; ok && c.Cost > yibao.Fen(b.Deductible) {
			fund = yibao.Fen(mulDiv(int64(c.Cost-yibao.Fen(b.Deductible)), int64(b.Ratio), int64(RatioOne)))
			if b.Ceiling > 0 {
				fund = min(fund, max(0, yibao.Fen(b.Ceiling)-used[py]))
			}
		}
		used[py] += fund
		out[i] = c.Cost - fund
	}
	return out
}
