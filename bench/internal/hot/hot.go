// Package hot makes many goroutines take turns on one lock name, acquire
// → release as fast as they can, and measures what a hot name costs: how
// many acquisitions go through per second, how long each waited, and
// whether every goroutine got its share.
package hot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/distlock/distlock/bench/internal/lockers"
	"github.com/distlock/distlock/bench/internal/stats"
)

// Waiters is the number of goroutines that want the one hot name in the
// benchmark and in the harness, half on each of two connection pools
// standing for two processes.
const Waiters = 32

// PGLockLease is cirello.io/pglock's lease on the hot name, in the
// benchmark and the harness. Its waiters retry once per lease, so a short
// lease is its best case; holds last a moment, so it runs without a
// heartbeat (which could also race the release).
const PGLockLease = time.Second

// Options says when a Run stops: after Cycles cycles in all, or once
// Duration has passed (no goroutine starts a cycle after it), whichever
// comes first; zero means no such limit, and one limit is required.
type Options struct {
	Cycles   int
	Duration time.Duration
	// Timer, if set, is reset once the warm-up is done and stopped when
	// the last cycle ends (a *testing.B), so that a benchmark's ns/op
	// times the measured cycles alone.
	Timer interface {
		ResetTimer()
		StopTimer()
	}
}

// Result is what one Run measured.
type Result struct {
	Cycles  int           // acquire → release cycles completed
	Elapsed time.Duration // from the first cycle's start to the last one's end
	// Wait summarises every acquisition's wait: from calling Lock to it
	// returning.
	Wait stats.Latency
	// PerWaiter is how many cycles each goroutine made.
	PerWaiter []int
}

// AcqPerSec is the acquisitions per second of the run.
func (r Result) AcqPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Cycles) / r.Elapsed.Seconds()
}

// MinShare is the fewest cycles any goroutine made, as a share of the
// mean: 1 is perfectly fair, 0 means a goroutine starved.
func (r Result) MinShare() float64 {
	if r.Cycles == 0 || len(r.PerWaiter) == 0 {
		return 0
	}
	fewest := r.PerWaiter[0]
	for _, n := range r.PerWaiter {
		fewest = min(fewest, n)
	}
	return float64(fewest) / (float64(r.Cycles) / float64(len(r.PerWaiter)))
}

// Run makes one goroutine per locker cycle acquire → release on name until
// o says stop, goroutine g locking through ls[g]. Each locker first makes
// one unmeasured cycle, one after the other (it connects, prepares its
// statements, creates its row or file). The cycles under way when the
// time is up run to their end and are counted, so Elapsed can run over
// o.Duration by a few waits. The first error cancels the others' waits and
// is returned.
func Run(ctx context.Context, ls []lockers.Locker, name string, o Options) (Result, error) {
	if o.Cycles <= 0 && o.Duration <= 0 {
		return Result{}, errors.New("hot: neither a cycle count nor a duration")
	}
	for g, l := range ls {
		if err := lockers.Cycle(ctx, l, name); err != nil {
			return Result{}, fmt.Errorf("hot: warm-up of waiter %d: %w", g, err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) { errOnce.Do(func() { firstErr = err; cancel() }) }
	waits := make([][]time.Duration, len(ls))
	if o.Timer != nil {
		o.Timer.ResetTimer()
	}
	start := time.Now()
	more := func() bool {
		if o.Duration > 0 && time.Since(start) >= o.Duration {
			return false
		}
		return o.Cycles <= 0 || next.Add(1) <= int64(o.Cycles)
	}
	for g, l := range ls {
		wg.Go(func() {
			for ctx.Err() == nil && more() {
				t0 := time.Now()
				unlock, err := l.Lock(ctx, name)
				if err != nil {
					fail(err)
					return
				}
				waits[g] = append(waits[g], time.Since(t0))
				// The release gets the caller's context: a lock taken is
				// given back even after another goroutine failed.
				if err := unlock(context.WithoutCancel(ctx)); err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if o.Timer != nil {
		o.Timer.StopTimer()
	}
	if firstErr != nil {
		return Result{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err // the caller's context ended
	}
	r := Result{Elapsed: elapsed, PerWaiter: make([]int, len(ls))}
	var all []time.Duration
	for g, w := range waits {
		r.PerWaiter[g] = len(w)
		all = append(all, w...)
	}
	r.Cycles = len(all)
	r.Wait = stats.Summarize(all)
	return r, nil
}
