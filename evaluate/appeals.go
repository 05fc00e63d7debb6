package evaluate

import (
	"errors"
	"fmt"
	"time"
)

// Appeal states.
const (
	AppealFiled       = "filed"
	AppealUnderReview = "under_review"
	AppealUpheld      = "upheld"
	AppealRejected    = "rejected"
	AppealExpired     = "expired"
)

// Calendar counts working days: weekends and configured holidays are skipped, and
// configured make-up working days (调休) count even on a weekend.
type Calendar struct {
	Holidays map[string]bool // "2025-10-01"
	Workdays map[string]bool // weekend days that are working days
}

// IsWorkday reports whether d is a working day.
func (c Calendar) IsWorkday(d time.Time) bool {
	k := d.Format("2006-01-02")
	if c.Workdays[k] {
		return true
	}
	if c.Holidays[k] {
		return false
	}
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
}

// AddWorkdays returns the end of the n-th working day after from's date (23:59:59), the
// deadline of "within n working days".
func (c Calendar) AddWorkdays(from time.Time, n int) time.Time {
	d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, from.Location())
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.IsWorkday(d) {
			n--
		}
	}
	return d.Add(24*time.Hour - time.Second)
}

// Appeal is a hospital's challenge of an adjustment or an audit finding.
type Appeal struct {
	ID          int64     `json:"id"`
	Hospital    string    `json:"hospital"`
	Target      string    `json:"target"` // adjustment:<run>:<hospital> or finding:<id>
	Reason      string    `json:"reason"`
	Published   time.Time `json:"published"`
	Filed       time.Time `json:"filed"`
	State       string    `json:"state"`
	DecideBy    time.Time `json:"decide_by"`
	DecidedBy   string    `json:"decided_by,omitempty"`
	DecidedAt   time.Time `json:"decided_at,omitempty"`
	DecisionWhy string    `json:"decision_why,omitempty"`
}

// Appeal windows: five working days to file after publication, ten to decide after filing.
const (
	FileWithin   = 5
	DecideWithin = 10
)

// ErrLate is returned for an appeal filed after its deadline.
var ErrLate = errors.New("the appeal deadline has passed")

// FileAppeal opens an appeal, refusing one filed after publication + 5 working days.
func (c Calendar) FileAppeal(a Appeal) (Appeal, error) {
	deadline := c.AddWorkdays(a.Published, FileWithin)
	if a.Filed.After(deadline) {
		return a, fmt.Errorf("%w: published %s, deadline %s (5 working days), filed %s", ErrLate,
			a.Published.Format("2006-01-02"), deadline.Format("2006-01-02"), a.Filed.Format("2006-01-02 15:04"))
	}
	if a.Reason == "" {
		return a, errors.New("an appeal needs a reason")
	}
	a.State = AppealFiled
	a.DecideBy = c.AddWorkdays(a.Filed, DecideWithin)
	return a, nil
}

// Review moves a filed appeal under review.
func (c Calendar) Review(a Appeal, now time.Time) (Appeal, error) {
	a = c.Expire(a, now)
	if a.State != AppealFiled {
		return a, fmt.Errorf("appeal %d is %s, not filed", a.ID, a.State)
	}
	a.State = AppealUnderReview
	return a, nil
}

// Decide upholds or rejects an appeal, recording who and why; a decision after the
// 10-working-day deadline is refused (the appeal has expired).
func (c Calendar) Decide(a Appeal, uphold bool, by, why string, now time.Time) (Appeal, error) {
	a = c.Expire(a, now)
	if a.State != AppealFiled && a.State != AppealUnderReview {
		return a, fmt.Errorf("appeal %d is %s and cannot be decided", a.ID, a.State)
	}
	if by == "" || why == "" {
		return a, errors.New("a decision records who decided and why")
	}
	a.State = AppealRejected
	if uphold {
		a.State = AppealUpheld
	}
	a.DecidedBy, a.DecidedAt, a.DecisionWhy = by, now, why
	return a, nil
}

// Expire marks an undecided appeal whose decision deadline has passed.
func (c Calendar) Expire(a Appeal, now time.Time) Appeal {
	if (a.State == AppealFiled || a.State == AppealUnderReview) && now.After(a.DecideBy) {
		a.State = AppealExpired
	}
	return a
}
