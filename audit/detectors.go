package audit

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"
)

// CrossSettlement runs the detectors that need a person's history: split admission,
// overlapping stays and frequent admission. stays may come in any order and mix persons.
func (kb *KB) CrossSettlement(stays []Stay) []Finding {
	out, _ := kb.CrossSettlementContext(context.Background(), stays)
	return out
}

// CrossSettlementContext is CrossSettlement that stops when ctx ends. Each person's stays
// are sorted once and swept once (O(n log n) per person, not O(n²)), so that a request
// carrying one person's whole history stays cheap.
func (kb *KB) CrossSettlementContext(ctx context.Context, stays []Stay) ([]Finding, error) {
	by := map[string][]Stay{}
	for _, s := range stays {
		if s.Person != "" {
			by[s.Person] = append(by[s.Person], s)
		}
	}
	persons := make([]string, 0, len(by))
	for p := range by {
		persons = append(persons, p)
	}
	sort.Strings(persons)
	var out []Finding
	for _, p := range persons {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out = kb.personHistory(by[p], out)
	}
	return out, nil
}

// personHistory sorts one person's stays once and sweeps them: overlap against the earlier
// stay discharged last, split admission against the previous stay, frequent admission with a
// sliding window.
func (kb *KB) personHistory(h []Stay, out []Finding) []Finding {
	d := kb.Detectors
	sort.SliceStable(h, func(i, j int) bool {
		if !h[i].Admission.Equal(h[j].Admission) {
			return h[i].Admission.Before(h[j].Admission)
		}
		return h[i].SetlID < h[j].SetlID
	})
	window := time.Duration(d.FrequentWindowDays) * 24 * time.Hour
	latest := -1        // the earlier stay discharged last: b overlaps some earlier stay iff it overlaps this one
	var unplanned []int // unplanned stays admitted within the window before the current one
	head := 0           // first live entry of unplanned
	for i, b := range h {
		if latest >= 0 && b.Admission.Before(h[latest].Discharge) {
			a := h[latest]
			out = append(out, stayFinding(b, "OVL-001", fmt.Sprintf("入院时间 %s 早于同一参保人在 %s 的住院（%s）出院时间 %s，住院期间重叠",
				b.Admission.Format("2006-01-02 15:04"), a.Hospital, a.SetlID, a.Discharge.Format("2006-01-02 15:04")), a.SetlID))
		}
		if latest < 0 || b.Discharge.After(h[latest].Discharge) {
			latest = i
		}
		if i > 0 {
			a := h[i-1]
			gap := calendarDays(a.Discharge, b.Admission)
			if !b.Planned && !b.Admission.Before(a.Discharge) && gap <= d.SplitAdmissionDays && a.Category == b.Category && a.Category != "" {
				out = append(out, stayFinding(b, "SPL-001", fmt.Sprintf("出院后 %d 天内（%s 出院）因同一主要诊断类目 %s 再次入院，非计划再入院，疑似分解住院",
					gap, a.Discharge.Format("2006-01-02"), b.Category), a.SetlID))
			}
		}
		if !b.Planned {
			unplanned = append(unplanned, i)
			for head < len(unplanned) && b.Admission.Sub(h[unplanned[head]].Admission) >= window {
				head++
			}
			if n := len(unplanned) - head; n > d.FrequentMax {
				out = append(out, stayFinding(b, "FRQ-001", fmt.Sprintf("%d 天内第 %d 次非计划住院，超过 %d 次", d.FrequentWindowDays, n, d.FrequentMax)))
			}
		}
	}
	return out
}

// ExcessiveLOS flags stays longer than factor × the mean stay of their group (the other
// stays of the group, when there are at least ExcessiveLOSMinGroup of them), else longer
// than the cap in days.
func (kb *KB) ExcessiveLOS(stays []Stay) []Finding {
	d := kb.Detectors
	sum := map[string]int{}
	n := map[string]int{}
	for _, s := range stays {
		sum[s.Group] += s.LOS
		n[s.Group]++
	}
	var out []Finding
	for _, s := range stays {
		others := n[s.Group] - 1
		if others >= d.ExcessiveLOSMinGroup {
			mean := float64(sum[s.Group]-s.LOS) / float64(others)
			if float64(s.LOS) > d.ExcessiveLOSFactor*mean {
				out = append(out, stayFinding(s, "LOS-001", fmt.Sprintf("住院 %d 天，超过同组（%s）平均住院日 %.1f 天的 %.0f 倍", s.LOS, s.Group, mean, d.ExcessiveLOSFactor)))
			}
			continue
		}
		if s.LOS > d.ExcessiveLOSCapDays {
			out = append(out, stayFinding(s, "LOS-001", fmt.Sprintf("住院 %d 天，超过 %d 天上限", s.LOS, d.ExcessiveLOSCapDays)))
		}
	}
	return out
}

func stayFinding(s Stay, ruleID, evidence string, relatedSettlements ...string) Finding {
	r := Rules[ruleID]
	f := Finding{SetlID: s.SetlID, Row: s.Row, Hospital: s.Hospital, Person: s.Person, RuleID: ruleID, Category: r.Category,
		Severity: r.Severity, Evidence: evidence}
	if len(relatedSettlements) > 0 {
		f.Evidence += "（相关结算 " + relatedSettlements[0] + "）"
	}
	return f
}

func calendarDays(a, b time.Time) int {
	ad := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	bd := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(math.Round(bd.Sub(ad).Hours() / 24))
}
