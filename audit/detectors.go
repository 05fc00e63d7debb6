package audit

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// CrossSettlement runs the detectors that need a person's history: split admission,
// overlapping stays and frequent admission. stays may come in any order and mix persons.
func (kb *KB) CrossSettlement(stays []Stay) []Finding {
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
	d := kb.Detectors
	var out []Finding
	for _, p := range persons {
		h := by[p]
		sort.SliceStable(h, func(i, j int) bool {
			if !h[i].Admission.Equal(h[j].Admission) {
				return h[i].Admission.Before(h[j].Admission)
			}
			return h[i].SetlID < h[j].SetlID
		})
		for i, b := range h {
			for _, a := range h[:i] {
				if b.Admission.Before(a.Discharge) {
					out = append(out, stayFinding(b, "OVL-001", fmt.Sprintf("入院时间 %s 早于同一参保人在 %s 的住院（%s）出院时间 %s，住院期间重叠",
						b.Admission.Format("2006-01-02 15:04"), a.Hospital, a.SetlID, a.Discharge.Format("2006-01-02 15:04")), a.SetlID))
					break
				}
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
				n := 0
				window := time.Duration(d.FrequentWindowDays) * 24 * time.Hour
				for _, a := range h[:i+1] {
					if !a.Planned && !a.Admission.After(b.Admission) && b.Admission.Sub(a.Admission) < window {
						n++
					}
				}
				if n > d.FrequentMax {
					out = append(out, stayFinding(b, "FRQ-001", fmt.Sprintf("%d 天内第 %d 次非计划住院，超过 %d 次", d.FrequentWindowDays, n, d.FrequentMax)))
				}
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
