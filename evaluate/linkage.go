package evaluate

import (
	"fmt"
	"math"
	"sort"

	"github.com/yibao-dev/yibao"
)

// Adjustment is what one hospital's result changes for the next period, with its inputs.
type Adjustment struct {
	Hospital     string    `json:"hospital"`
	PeerGroup    string    `json:"peer_group"`
	Rank         int       `json:"rank"`
	PeerSize     int       `json:"peer_size"`
	Closeness    float64   `json:"closeness"`
	Grade        string    `json:"grade"`
	CoefBefore   float64   `json:"coef_before"`
	CoefChange   float64   `json:"coef_change"` // relative, e.g. +0.031
	CoefAfter    float64   `json:"coef_after"`
	BudgetBefore yibao.Fen `json:"budget_before_fen"`
	BudgetChange float64   `json:"budget_change"`
	BudgetAfter  yibao.Fen `json:"budget_after_fen"`
	Reason       string    `json:"reason"` // Chinese
}

// Link applies the linkage rules per peer group: the top share (by TOPSIS rank) gains up
// to TopMax of coefficient scaled by closeness (bonus = TopMax × closeness), the bottom
// share loses up to BottomMax scaled by distance (cut = BottomMax × (1 − closeness));
// coefficients are capped; budgets change by grade, and with budget neutrality all budgets
// are rescaled so that their sum is unchanged (exactly, to the fen, by largest remainder).
func Link(results []Result, coef map[string]float64, budget map[string]yibao.Fen, r LinkageRules) ([]Adjustment, error) {
	groups := map[string][]int{}
	for i, res := range results {
		groups[res.PeerGroup] = append(groups[res.PeerGroup], i)
	}
	out := make([]Adjustment, len(results))
	for _, idx := range groups {
		n := len(idx)
		top := int(math.Floor(r.TopShare*float64(n) + 1e-9))
		bottom := int(math.Floor(r.BottomShare*float64(n) + 1e-9))
		if r.TopShare > 0 && top == 0 && n >= 5 {
			top = 1
		}
		if r.BottomShare > 0 && bottom == 0 && n >= 10 {
			bottom = 1
		}
		order := append([]int(nil), idx...)
		sort.SliceStable(order, func(a, b int) bool { return results[order[a]].Closeness > results[order[b]].Closeness })
		for pos, i := range order {
			res := results[i]
			a := Adjustment{Hospital: res.Hospital, PeerGroup: res.PeerGroup, Rank: res.Rank, PeerSize: n, Closeness: res.Closeness,
				Grade: res.Grade, CoefBefore: 1, BudgetBefore: budget[res.Hospital]}
			if c, ok := coef[res.Hospital]; ok {
				a.CoefBefore = c
			}
			switch {
			case pos < top:
				a.CoefChange = r.TopMax * res.Closeness
				a.Reason = fmt.Sprintf("同组 %d 家中排名第 %d（前 %.0f%%），系数上浮", n, pos+1, r.TopShare*100)
			case pos >= n-bottom:
				a.CoefChange = -r.BottomMax * (1 - res.Closeness)
				a.Reason = fmt.Sprintf("同组 %d 家中排名第 %d（后 %.0f%%），系数下调", n, pos+1, r.BottomShare*100)
			default:
				a.Reason = fmt.Sprintf("同组 %d 家中排名第 %d，系数不变", n, pos+1)
			}
			a.CoefChange = math.Round(a.CoefChange*10000) / 10000
			a.CoefAfter = math.Round(math.Min(r.CoefMax, math.Max(r.CoefMin, a.CoefBefore*(1+a.CoefChange)))*10000) / 10000
			a.BudgetChange = r.BudgetByGrade[res.Grade]
			out[i] = a
		}
	}
	var before, after int64
	raw := make([]float64, len(out))
	for i := range out {
		before += int64(out[i].BudgetBefore)
		raw[i] = float64(out[i].BudgetBefore) * (1 + out[i].BudgetChange)
		after += int64(math.Round(raw[i]))
	}
	if r.BudgetNeutral && after > 0 {
		scale := float64(before) / sumF(raw)
		for i := range raw {
			raw[i] *= scale
		}
		assign := largestRemainder(raw, before)
		for i := range out {
			out[i].BudgetAfter = yibao.Fen(assign[i])
		}
	} else {
		for i := range out {
			out[i].BudgetAfter = yibao.Fen(math.Round(raw[i]))
		}
	}
	return out, nil
}

func sumF(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// largestRemainder rounds xs to integers whose sum is exactly total.
func largestRemainder(xs []float64, total int64) []int64 {
	out := make([]int64, len(xs))
	var sum int64
	type rem struct {
		i int
		r float64
	}
	rs := make([]rem, len(xs))
	for i, x := range xs {
		out[i] = int64(math.Floor(x))
		sum += out[i]
		rs[i] = rem{i, x - math.Floor(x)}
	}
	sort.SliceStable(rs, func(a, b int) bool { return rs[a].r > rs[b].r })
	for k := 0; sum < total && k < len(rs); k++ {
		out[rs[k].i]++
		sum++
	}
	return out
}
