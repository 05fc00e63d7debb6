package indicators

import (
	"sort"
	"time"
)

// Readmission is the outcome of one index stay.
type Readmission struct {
	Index   string // setl_id of the index stay
	Next    string // setl_id of the next admission, "" when none within the window
	Days    int    // calendar days from discharge to the next admission
	Outcome string // unplanned, planned, transfer, none
}

// FindReadmissions looks, for every index stay, at the same person's next admission in any
// hospital: the first stay, other than the index itself, admitted on or after the date of
// the index discharge. A stay admitted on an earlier day overlaps the index stay (重叠住院,
// an audit category, not a readmission: 国考 "出院后 31 天内再住院" counts admissions after
// discharge) and is passed over; same-day admissions stay in, so that a transfer whose
// receiving hospital stamped its admission minutes before the discharge is still seen. It is
// a readmission when admitted within p.ReadmitDays calendar days of the index discharge
// (day 0 counts). It is not unplanned when the index stay recorded a
// planned readmission (days_rinp_flag_31 = 2 is written on the EARLIER stay at its
// discharge: planned[index] true), or when the index stay ended in a transfer (dscg_way 2
// or 3) and the next admission began within p.TransferHours (one episode of care). Only
// the first following admission is judged: a transfer's receiving stay is its own index
// stay with its own follow-up. all holds every stay that may follow an index stay,
// including those discharged after the period.
func FindReadmissions(index []*Stay, all []Stay, planned map[string]bool, p Policy) map[string]Readmission {
	byPerson := map[string][]*Stay{}
	for i := range all {
		s := &all[i]
		byPerson[s.Person] = append(byPerson[s.Person], s)
	}
	for _, ss := range byPerson {
		sort.SliceStable(ss, func(i, j int) bool { return ss[i].Admission.Before(ss[j].Admission) })
	}
	out := make(map[string]Readmission, len(index))
	for _, ix := range index {
		r := Readmission{Index: ix.SetlID, Outcome: "none"}
		ss := byPerson[ix.Person]
		k := sort.Search(len(ss), func(i int) bool { return calendarDays(ix.Discharge, ss[i].Admission) >= 0 })
		for ; k < len(ss); k++ {
			if ss[k].SetlID != ix.SetlID {
				break
			}
		}
		if k < len(ss) {
			next := ss[k]
			days := calendarDays(ix.Discharge, next.Admission)
			if days <= p.ReadmitDays {
				r.Next, r.Days = next.SetlID, days
				gap := next.Admission.Sub(ix.Discharge)
				switch {
				case planned[ix.SetlID]:
					r.Outcome = "planned"
				case (ix.Disposition == "2" || ix.Disposition == "3") && gap <= time.Duration(p.TransferHours)*time.Hour:
					r.Outcome = "transfer"
				default:
					r.Outcome = "unplanned"
				}
			}
		}
		out[ix.SetlID] = r
	}
	return out
}

// calendarDays counts days between the dates of a and b (b's date minus a's date).
func calendarDays(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}
