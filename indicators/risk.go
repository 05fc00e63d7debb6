package indicators

import (
	"math"
	"sort"
)

// DRGRisk is one DRG's mortality risk class.
type DRGRisk struct {
	DRG       string  `json:"drg"`
	Cases     int     `json:"cases"`
	Deaths    int     `json:"deaths"`
	Mortality float64 `json:"mortality"` // deaths / cases
	LnM       float64 `json:"ln_mortality"`
	Z         float64 `json:"z"`
	Class     string  `json:"class"` // zero, low, mid_low, mid_high, high
}

// RiskClassZh names the classes in Chinese.
var RiskClassZh = map[string]string{"zero": "零风险", "low": "低风险", "mid_low": "中低风险", "mid_high": "中高风险", "high": "高风险"}

// ClassifyRisk classes DRGs by the standardised method: for every DRG with at least one
// death, ln of its in-hospital mortality, then z = (ln m − mean) / sd over those DRGs
// (sample standard deviation); z < lowZ is low risk, lowZ ≤ z < 0 mid-low, 0 ≤ z < −lowZ
// mid-high, above high. DRGs without a death are the zero-risk class (ln 0 is undefined;
// the CN-DRG practice scores them 0): they take no part in the mean and sd and are not
// low-risk, so they can neither dilute nor define the low-risk mortality. With fewer than
// two DRGs with deaths, or no spread, nothing is classed low (z is 0).
func ClassifyRisk(cases, deaths map[string]int, lowZ float64) []DRGRisk {
	var out []DRGRisk
	var lns []float64
	for d, n := range cases {
		r := DRGRisk{DRG: d, Cases: n, Deaths: deaths[d]}
		if n > 0 {
			r.Mortality = float64(r.Deaths) / float64(n)
		}
		if r.Deaths > 0 {
			r.LnM = math.Log(r.Mortality)
			lns = append(lns, r.LnM)
		}
		out = append(out, r)
	}
	mean, sd := 0.0, 0.0
	if len(lns) >= 2 {
		for _, x := range lns {
			mean += x
		}
		mean /= float64(len(lns))
		for _, x := range lns {
			sd += (x - mean) * (x - mean)
		}
		sd = math.Sqrt(sd / float64(len(lns)-1))
	}
	for i := range out {
		r := &out[i]
		if r.Deaths == 0 {
			r.Class = "zero"
			continue
		}
		if sd > 0 {
			r.Z = (r.LnM - mean) / sd
		}
		switch {
		case r.Z < lowZ:
			r.Class = "low"
		case r.Z < 0:
			r.Class = "mid_low"
		case r.Z < -lowZ:
			r.Class = "mid_high"
		default:
			r.Class = "high"
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DRG < out[j].DRG })
	return out
}
