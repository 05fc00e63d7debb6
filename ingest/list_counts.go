package ingest

import (
	"context"
	"time"

	"github.com/yibao-dev/yibao"
)

// ListCount counts the settlement-list records of one hospital and discharge month that a
// run read, and those it rejected with their reasons (problem codes). The evaluation's
// settlement-list pass rate (结算清单校验通过率) is computed from them. Records whose
// hospital code is missing or not a plausible code count under "?"; records without a
// readable discharge time count under the month they were ingested.
type ListCount struct {
	Hospital string
	Month    string // YYYY-MM
	Read     int
	Rejected int
	Reasons  map[string]int
}

// ListCounter is implemented by sinks that keep list counts; Run hands them the run's
// counts after the last file.
type ListCounter interface {
	AddListCounts(ctx context.Context, cs []ListCount) error
}

// listKey is the hospital and month a record is counted under; the code is data and so
// hostile: only short codes of letters, digits, '-' and '_' are kept.
func listKey(s *yibao.Settlement) (string, string) {
	h := s.Hospital
	ok := h != "" && len(h) <= 32
	for i := 0; ok && i < len(h); i++ {
		c := h[i]
		ok = c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_'
	}
	if !ok {
		h = "?"
	}
	t := s.Discharge
	if t.IsZero() {
		t = time.Now().UTC()
	}
	return h, t.Format("2006-01")
}

func (r *run) countList(res result) {
	if r.lists == nil {
		r.lists = map[[2]string]*ListCount{}
	}
	k := [2]string{res.hospital, res.month}
	if k[0] == "" {
		k[0] = "?"
	}
	if k[1] == "" {
		k[1] = time.Now().UTC().Format("2006-01")
	}
	c := r.lists[k]
	if c == nil {
		c = &ListCount{Hospital: k[0], Month: k[1], Reasons: map[string]int{}}
		r.lists[k] = c
	}
	c.Read++
	if res.s == nil {
		c.Rejected++
		for i, p := range res.reasons {
			if !seenBefore(res.reasons[:i], p.Code) {
				c.Reasons[p.Code]++
			}
		}
	}
}

func seenBefore(ps []Problem, code string) bool {
	for _, p := range ps {
		if p.Code == code {
			return true
		}
	}
	return false
}
