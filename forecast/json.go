package forecast

import (
	"encoding/json"
	"math"
)

// jnum is a float that encodes NaN and ±Inf (a backtest without enough data, an AICc with too
// few observations) as JSON null, which encoding/json would otherwise refuse.
type jnum float64

func (v jnum) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// MarshalJSON writes NaN figures as null.
func (b Backtest) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Origins    int  `json:"origins"`
		Horizon    int  `json:"horizon"`
		Points     int  `json:"points"`
		MASE       jnum `json:"mase"`
		SMAPE      jnum `json:"smape"`
		NaiveMASE  jnum `json:"naive_mase"`
		NaiveSMAPE jnum `json:"naive_smape"`
	}{b.Origins, b.Horizon, b.Points, jnum(b.MASE), jnum(b.SMAPE), jnum(b.NaiveMASE), jnum(b.NaiveSMAPE)})
}

// MarshalJSON writes NaN figures as null.
func (c Candidate) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Model string `json:"model"`
		AICc  jnum   `json:"aicc"`
		MASE  jnum   `json:"mase"`
		SMAPE jnum   `json:"smape"`
	}{c.Model, jnum(c.AICc), jnum(c.MASE), jnum(c.SMAPE)})
}

// MarshalJSON writes NaN figures as null.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		AICc   jnum `json:"aicc"`
		Sigma2 jnum `json:"sigma2"`
	}{plain(r), jnum(r.AICc), jnum(r.Sigma2)})
}
