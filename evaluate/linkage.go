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

// Link turns results into next period's coefficients and budgets, from the same score
// that set grade and rank (GradeScore): within each peer group, with M the median
// GradeScore, a hospital within DeadBand points of M keeps its coefficient; beyond it the
// coefficient changes by ±Slope × (|GradeScore − M| − DeadBand), at most +TopMax or
// −BottomMax, and is capped to [CoefMin, CoefMax]. The change is continuous in the score,
// so a tiny score difference is a tiny coefficient difference. A group below the minimum
// size (PeerTooSmall) changes neither coefficient nor budget (before neutral rescaling). Budgets change by grade; with budget neutrality all
// budgets are rescaled so their sum is unchanged (exactly, to the fen, by largest remainder).
func Link(results []Result, coef map[string]float64, budget map[string]yibao.Fen, r LinkageRules) ([]Adjustment, error) {
	groups := map[string][]int{}
	for i, res := range results {
		groups[res.PeerGroup] = append(groups[res.PeerGroup], i)
	}
	out := make([]Adjustment, len(results))
	for _, idx := range groups {
		n := len(idx)
		var gs []float64
		for _, i := range idx {
			if !results[i].NoData {
				gs = append(gs, results[i].GradeScore)
			}
		}
		m := medianOf(gs)
		for _, i := range idx {
			res := results[i]
			a := Adjustment{Hospital: res.Hospital, PeerGroup: res.PeerGroup, Rank: res.Rank, PeerSize: n, Closeness: res.Closeness,
				Grade: res.Grade, CoefBefore: 1, BudgetBefore: budget[res.Hospital]}
			if c, ok := coef[res.Hospital]; ok {
				a.CoefBefore = c
			}
			d := res.GradeScore - m
			switch {
			case res.NoData:
				a.Reason = "无任何有数据的指标，不定级，系数与预算不变"
			case res.PeerTooSmall:
				a.Reason = fmt.Sprintf("同组仅 %d 家，不足以比较，系数不变", n)
			case math.Abs(d) <= r.DeadBand:
				a.Reason = fmt.Sprintf("同组 %d 家中排名第 %d，定级得分 %.2f 与同组中位数 %.2f 相差不超过 %.1f 分，系数不变", n, res.Rank, res.GradeScore, m, r.DeadBand)
			case d > 0:
				a.CoefChange = math.Min(r.TopMax, r.Slope*(d-r.DeadBand))
				a.Reason = fmt.Sprintf("同组 %d 家中排名第 %d，定级得分 %.2f 高于同组中位数 %.2f，系数上浮", n, res.Rank, res.GradeScore, m)
			default:
				a.CoefChange = -math.Min(r.BottomMax, r.Slope*(-d-r.DeadBand))
				a.Reason = fmt.Sprintf("同组 %d 家中排名第 %d，定级得分 %.2f 低于同组中位数 %.2f，系数下调", n, res.Rank, res.GradeScore, m)
			}
			a.CoefChange = math.Round(a.CoefChange*10000) / 10000
			a.CoefAfter = math.Round(math.Min(r.CoefMax, math.Max(r.CoefMin, a.CoefBefore*(1+a.CoefChange)))*10000) / 10000
			if !res.PeerTooSmall {
				a.BudgetChange = r.BudgetByGrade[res.Grade]
			}
			out[i] = a
		}
	}
	// Hospitals without a grade keep their budget; the others share the rest.
	var before, after int64
	var idx []int
	var raw []float64
	for i := range out {
		if results[i].NoData {
			out[i].BudgetAfter = out[i].BudgetBefore
			continue
		}
		before += int64(out[i].BudgetBefore)
		x := float64(out[i].BudgetBefore) * (1 + out[i].BudgetChange)
		idx, raw = append(idx, i), append(raw, x)
		after += int64(math.Round(x))
	}
	if r.BudgetNeutral && after > 0 {
		scale := float64(before) / sumF(raw)
		for k := range raw {
			raw[k] *= scale
		}
		assign := largestRemainder(raw, before)
		for k, i := range idx {
			out[i].BudgetAfter = yibao.Fen(assign[k])
		}
	} else {
		for k, i := range idx {
			out[i].BudgetAfter = yibao.Fen(math.Round(raw[k]))
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
