package audit

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"

	"github.com/yibao-dev/yibao"
)

// Input is one settlement to audit in a batch: the settlement itself, or a function that
// decodes it (run on a worker, so that decoding is parallel too). Decode writes into a
// value the worker reuses for every settlement it decodes: it may reuse its slices, and
// nothing of it is kept after the audit but strings.
type Input struct {
	Settlement *yibao.Settlement // owned by the batch once yielded
	Decode     func(*yibao.Settlement) error
	Row        int64
	Level      int // hospital level, 0 unknown
	// Levels gives the level by hospital code when Level is 0 (for decoded settlements,
	// whose hospital is known only after decoding).
	Levels map[string]int
	Group  string // DRG for the excessive-stay detector; "" = diagnosis category
}

type batchResult struct {
	findings []Finding
	stays    []Stay
	err      error
}

// AuditAll audits everything source yields, in parallel, then runs the cross-settlement
// and excessive-stay detectors over the inpatient stays. Findings come back sorted by
// settlement, then line serial, then rule.
func (kb *KB) AuditAll(ctx context.Context, workers int, source func(yield func(Input) error) error) ([]Finding, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	in := make(chan []Input, workers*2)
	out := make(chan batchResult, workers*2)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch yibao.Settlement
			for batch := range in {
				var r batchResult
				for _, x := range batch {
					s := x.Settlement
					if s == nil {
						s = &scratch
						if err := x.Decode(s); err != nil {
							if r.err == nil {
								r.err = fmt.Errorf("settlement row %d: %w", x.Row, err)
							}
							continue
						}
					}
					if s.Inpatient {
						r.stays = append(r.stays, StayOf(s, x.Row, x.Group))
					}
					level := x.Level
					if level == 0 && x.Levels != nil {
						level = x.Levels[s.Hospital]
					}
					for _, f := range kb.AuditSettlement(s, level) {
						f.Row = x.Row
						r.findings = append(r.findings, f)
					}
				}
				out <- r
			}
		}()
	}
	var findings []Finding
	var stays []Stay
	var werr error
	collected := make(chan struct{})
	go func() {
		for r := range out {
			findings = append(findings, r.findings...)
			stays = append(stays, r.stays...)
			if r.err != nil && werr == nil {
				werr = r.err
			}
		}
		close(collected)
	}()
	batch := make([]Input, 0, 256)
	err := source(func(x Input) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch = append(batch, x)
		if len(batch) == cap(batch) {
			in <- batch
			batch = make([]Input, 0, 256)
		}
		return nil
	})
	if len(batch) > 0 {
		in <- batch
	}
	close(in)
	wg.Wait()
	close(out)
	<-collected
	if err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	cross, err := kb.CrossSettlementContext(ctx, stays)
	if err != nil {
		return nil, err
	}
	findings = append(findings, cross...)
	findings = append(findings, kb.ExcessiveLOS(stays)...)
	SortFindings(findings)
	return findings, nil
}

// SortFindings orders findings by settlement, line serial (settlement-level first), rule.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.SetlID != b.SetlID {
			return a.SetlID < b.SetlID
		}
		if len(a.Serial) != len(b.Serial) {
			return len(a.Serial) < len(b.Serial)
		}
		if a.Serial != b.Serial {
			return a.Serial < b.Serial
		}
		return a.RuleID < b.RuleID
	})
}

// Score is precision and recall of one category against ground truth.
type Score struct {
	Category  string  `json:"category"`
	Labels    int     `json:"labels"`
	Findings  int     `json:"findings"`
	Hits      int     `json:"hits"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

// Label is one ground-truth row (labels.csv).
type Label struct{ Kind, SetlID, Serial string }

// Evaluate compares findings with labels per category, matching on (category, settlement,
// line serial); settlement-level findings match settlement-level labels.
func Evaluate(findings []Finding, labels []Label) []Score {
	type key struct{ cat, setl, sn string }
	truth := map[key]bool{}
	found := map[key]bool{}
	cats := map[string]bool{}
	for _, l := range labels {
		truth[key{l.Kind, l.SetlID, l.Serial}] = true
		cats[l.Kind] = true
	}
	for _, f := range findings {
		found[key{f.Category, f.SetlID, f.Serial}] = true
		cats[f.Category] = true
	}
	var out []Score
	for c := range cats {
		s := Score{Category: c}
		for k := range truth {
			if k.cat == c {
				s.Labels++
				if found[k] {
					s.Hits++
				}
			}
		}
		for k := range found {
			if k.cat == c {
				s.Findings++
			}
		}
		if s.Findings > 0 {
			s.Precision = float64(s.Hits) / float64(s.Findings)
		}
		if s.Labels > 0 {
			s.Recall = float64(s.Hits) / float64(s.Labels)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Category < out[j].Category })
	return out
}
