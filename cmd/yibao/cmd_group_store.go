package main

import (
	"context"
	"time"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// groupStore groups every current inpatient settlement and stores the results under the
// scheme's id and version.
func groupStore(ctx context.Context, e *env, s *grouper.Scheme, dir string, workers int, quiet bool) (groupSummary, error) {
	st, err := openStore(e, dir)
	if err != nil {
		return groupSummary{}, err
	}
	defer st.Close()
	return groupStored(ctx, e, st, s, quiet)
}

func groupStored(ctx context.Context, e *env, st *sqlite.Store, s *grouper.Scheme, quiet bool) (groupSummary, error) {
	sum := groupSummary{ByStatus: map[string]int{}}
	c, err := st.Counts(ctx)
	if err != nil {
		return sum, err
	}
	prog := newProgress(e.stderr, "group: settlements", quiet)
	start := time.Now()
	var batch []sqlite.GroupingRow
	err = st.EachCurrent(ctx, sqlite.Filter{InpatientOnly: true}, func(ss sqlite.StoredSettlement) error {
		cs := grouper.CaseFromSettlement(ss.Settlement)
		r := s.Group(&cs, false)
		sum.Cases++
		sum.ByStatus[r.Status]++
		batch = append(batch, sqlite.GroupingRow{Row: ss.Row, Result: r})
		if sum.Cases%5000 == 0 {
			prog.update(sum.Cases, float64(sum.Cases)/float64(max(1, c.Inpatient)), time.Since(start))
		}
		return nil
	})
	prog.done()
	if err != nil {
		return sum, err
	}
	// One transaction for the whole run: the results of a scheme version appear together.
	return sum, st.PutGroupings(ctx, batch)
}
