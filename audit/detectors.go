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
// Each person's stays are sorted once and swept in order (linear after the sort).
//
// Two readings decide what a readmission is (docs/knowledge-base.md):
//   - planned: the EARLIER stay carries days_rinp_flag_31 = 2 (recorded at its discharge:
//     a readmission within 31 days is planned) and the readmission comes within
//     planned_readmission_days of that discharge;
//   - transfer: the earlier stay ended with dscg_way 2 or 3 and the readmission is at
//     another hospital within transfer_window_hours — the receiving end of one episode.
//
// Neither is ever a split admission or counts as a new admission for frequent admission.
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

// Readmission tells how stay b follows stay a, the person's previous stay.
func (kb *KB) plannedAfter(a, b *Stay) bool {
	return a.Planned && !b.Admission.Before(a.Discharge) && calendarDays(a.Discharge, b.Admission) <= kb.Detectors.PlannedReadmissionDays
}

func (kb *KB) transferAfter(a, b *Stay) bool {
	if a.Disposition != "2" && a.Disposition != "3" || a.Hospital == b.Hospital {
		return false
	}
	gap := b.Admission.Sub(a.Discharge)
	return gap >= 0 && gap <= time.Duration(kb.Detectors.TransferWindowHours)*time.Hour
}

// personHistory sorts one person's stays once and sweeps them: overlap against the earlier
// stay discharged last, split admission against the previous stay, frequent admission with a
// sliding window over new admissions.
func (kb *KB) personHistory(h []Stay, out []Finding) []Finding {
	d := kb.Detectors
	sort.SliceStable(h, func(i, j int) bool {
		if !h[i].Admission.Equal(h[j].Admission) {
			return h[i].Admission.Before(h[j].Admission)
		}
		return h[i].SetlID < h[j].SetlID
	})
	// counted[i]: stay i is a new, unplanned admission (not planned by its predecessor,
	// not the receiving end of a transfer).
	counted := make([]bool, len(h))
	latest := -1 // earlier stay with the latest discharge, for overlaps
	window := time.Duration(d.FrequentWindowDays) * 24 * time.Hour
	lo, n := 0, 0 // sliding window over counted admissions
	for i := range h {
		b := &h[i]
		if latest >= 0 && b.Admission.Before(h[latest].Discharge) {
			a := &h[latest]
			out = append(out, stayFinding(*b, "OVL-001", a.SetlID, fmt.Sprintf("入院时间 %s 早于同一参保人在 %s 的住院（%s）出院时间 %s，住院期间重叠",
				b.Admission.Format("2006-01-02 15:04"), a.Hospital, a.SetlID, a.Discharge.Format("2006-01-02 15:04"))))
		}
		counted[i] = true
		if i > 0 {
			a := &h[i-1]
			planned, transfer := kb.plannedAfter(a, b), kb.transferAfter(a, b)
			counted[i] = !planned && !transfer
			gap := calendarDays(a.Discharge, b.Admission)
			if counted[i] && !b.Admission.Before(a.Discharge) && gap <= d.SplitAdmissionDays && a.Category == b.Category && a.Category != "" {
				// The finding lands on the stay that was ended early: the earlier one.
				out = append(out, stayFinding(*a, "SPL-001", b.SetlID, fmt.Sprintf("%s 于 %s 出院（结算 %s）后 %d 天，同一参保人于 %s 在 %s 因同一主要诊断类目 %s 再次入院（结算 %s）；出院时未登记31天内再住院计划，亦非转院，疑似分解住院",
					a.Hospital, a.Discharge.Format("2006-01-02"), a.SetlID, gap, b.Admission.Format("2006-01-02"), b.Hospital, b.Category, b.SetlID)))
			}
		}
		if latest < 0 || h[i].Discharge.After(h[latest].Discharge) {
			latest = i
		}
		if !counted[i] {
			continue
		}
		n++
		for lo < i && (!counted[lo] || b.Admission.Sub(h[lo].Admission) >= window) {
			if counted[lo] {
				n--
			}
			lo++
		}
		if n > d.FrequentMax {
			out = append(out, stayFinding(*b, "FRQ-001", "", fmt.Sprintf("%d 天内第 %d 次非计划住院（不含计划再入院与转院接收），超过 %d 次", d.FrequentWindowDays, n, d.FrequentMax)))
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
				out = append(out, stayFinding(s, "LOS-001", "", fmt.Sprintf("住院 %d 天，超过同组（%s）平均住院日 %.1f 天的 %.0f 倍", s.LOS, s.Group, mean, d.ExcessiveLOSFactor)))
			}
			continue
		}
		if s.LOS > d.ExcessiveLOSCapDays {
			out = append(out, stayFinding(s, "LOS-001", "", fmt.Sprintf("住院 %d 天，超过 %d 天上限", s.LOS, d.ExcessiveLOSCapDays)))
		}
	}
	return out
}

func stayFinding(s Stay, ruleID, other, evidence string) Finding {
	r := Rules[ruleID]
	return Finding{SetlID: s.SetlID, Row: s.Row, Hospital: s.Hospital, Person: s.Person, Other: other, RuleID: ruleID, Category: r.Category,
		Severity: r.Severity, Evidence: evidence}
}

func calendarDays(a, b time.Time) int {
	ad := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	bd := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(math.Round(bd.Sub(ad).Hours() / 24))
}
