package monitor

import (
	"encoding/json"
	"math"
)

// nullable is a float that encodes NaN and ±Inf (growth before 24 months, months of reserve
// without spending) as JSON null.
type nullable float64

func (v nullable) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// MarshalJSON writes figures that cannot be computed as null.
func (b BookMonth) MarshalJSON() ([]byte, error) {
	type plain BookMonth
	return json.Marshal(struct {
		plain
		MonthsOfReserve   nullable `json:"months_of_reserve"`
		IncomeGrowth      nullable `json:"income_growth"`
		ExpenditureGrowth nullable `json:"expenditure_growth"`
	}{plain(b), nullable(b.MonthsOfReserve), nullable(b.IncomeGrowth), nullable(b.ExpenditureGrowth)})
}

// MarshalJSON writes months of reserve that cannot be computed as null.
func (m ProjectionMonth) MarshalJSON() ([]byte, error) {
	type plain ProjectionMonth
	return json.Marshal(struct {
		plain
		MonthsOfReserve nullable `json:"months_of_reserve"`
	}{plain(m), nullable(m.MonthsOfReserve)})
}
