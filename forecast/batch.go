package forecast

import (
	"context"
	"runtime"
	"sync"
)

// RunMany forecasts many series with the same request settings on workers goroutines
// (GOMAXPROCS when 0). A series that cannot be forecast gets a nil result and its error;
// progress, when given, is called after each series.
func RunMany(ctx context.Context, series []Series, tmpl Request, workers int, progress func(done, total int)) ([]ManyResult, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([]ManyResult, len(series))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				req := tmpl
				req.Series = series[i]
				r, err := Run(ctx, req)
				out[i] = ManyResult{Result: r, Err: err}
				if progress != nil {
					mu.Lock()
					done++
					progress(done, len(series))
					mu.Unlock()
				}
			}
		}()
	}
	for i := range series {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out, ctx.Err()
}

// ManyResult is one series' outcome in RunMany.
type ManyResult struct {
	Result *Result
	Err    error
}
