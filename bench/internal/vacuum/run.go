package vacuum

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/distlock/distlock/bench/internal/stats"
	"github.com/distlock/distlock/distlock"
)

// Slow is the acquire latency the vacuum must never cause.
const Slow = 50 * time.Millisecond

// Result is one vacuum under load.
type Result struct {
	Removed int64
	Elapsed time.Duration
	// Baseline and During are the latencies of the live acquisitions
	// that ended before the vacuum started, and of those that overlapped
	// it.
	Baseline, During stats.Latency
	// SlowBaseline and SlowDuring count acquisitions that took longer
	// than Slow.
	SlowBaseline, SlowDuring int
}

// sample is one acquisition by a live worker.
type sample struct {
	start time.Time
	took  time.Duration
}

// Run starts workers goroutines that acquire and release live names of
// their own in a loop, lets them run for baseline, then runs m.Vacuum and
// reports how long it took and how long the acquisitions took before and
// during it.
func Run(ctx context.Context, m *distlock.Module, workers int, baseline time.Duration) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		samples []sample
		errs    = make(chan error, workers)
	)
	for w := range workers {
		name := fmt.Sprintf("vacuum-live-%d", w)
		wg.Go(func() {
			var mine []sample
			defer func() {
				mu.Lock()
				samples = append(samples, mine...)
				mu.Unlock()
			}()
			for ctx.Err() == nil {
				l := m.Get(name)
				start := time.Now()
				if err := l.Acquire(ctx); err != nil {
					if ctx.Err() == nil {
						errs <- err
					}
					return
				}
				mine = append(mine, sample{start, time.Since(start)})
				if err := l.Release(context.WithoutCancel(ctx)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	time.Sleep(baseline)
	vacStart := time.Now()
	removed, err := m.Vacuum(ctx)
	vacEnd := time.Now()
	cancel()
	wg.Wait()
	close(errs)
	if err != nil {
		return Result{}, fmt.Errorf("vacuum: %w", err)
	}
	for err := range errs {
		return Result{}, fmt.Errorf("live acquisition: %w", err)
	}
	res := Result{Removed: removed, Elapsed: vacEnd.Sub(vacStart)}
	var before, during []time.Duration
	for _, s := range samples {
		switch end := s.start.Add(s.took); {
		case end.After(vacStart) && s.start.Before(vacEnd): // overlaps the vacuum
			during = append(during, s.took)
			if s.took > Slow {
				res.SlowDuring++
			}
		case !end.After(vacStart):
			before = append(before, s.took)
			if s.took > Slow {
				res.SlowBaseline++
			}
		}
	}
	res.Baseline, res.During = stats.Summarize(before), stats.Summarize(during)
	return res, nil
}
