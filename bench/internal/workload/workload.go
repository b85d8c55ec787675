// Package workload runs operations in timed loops and measures them:
// per-operation latency with allocations, and throughput over several
// goroutines.
package workload

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/distlock/distlock/bench/internal/stats"
)

// Op is one operation, e.g. one acquire+release.
type Op func(ctx context.Context) error

// Latency is the result of one or more timed loops.
type Latency struct {
	stats.Latency
	// AllocsPerOp and BytesPerOp are the process's heap allocations per
	// operation (runtime.MemStats), background goroutines included.
	AllocsPerOp, BytesPerOp float64
}

// Recorder times an operation over several loops, so that the loops of
// different operations can be interleaved and share the machine's noise.
// The zero value is ready to use.
type Recorder struct {
	samples        []time.Duration
	mallocs, bytes uint64
}

// Run calls op one call at a time for d, and at least minOps times,
// timing each call.
func (r *Recorder) Run(ctx context.Context, op Op, d time.Duration, minOps int) error {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for n := 0; n < minOps || time.Since(start) < d; n++ {
		t0 := time.Now()
		if err := op(ctx); err != nil {
			return err
		}
		r.samples = append(r.samples, time.Since(t0))
	}
	runtime.ReadMemStats(&after)
	r.mallocs += after.Mallocs - before.Mallocs
	r.bytes += after.TotalAlloc - before.TotalAlloc
	return nil
}

// Result summarises every call timed so far, and starts afresh.
func (r *Recorder) Result() Latency {
	n := float64(len(r.samples))
	l := Latency{Latency: stats.Summarize(r.samples)}
	if n > 0 {
		l.AllocsPerOp, l.BytesPerOp = float64(r.mallocs)/n, float64(r.bytes)/n
	}
	*r = Recorder{}
	return l
}

// Warm calls op for d, and at least once, without measuring it.
func Warm(ctx context.Context, op Op, d time.Duration) error {
	start := time.Now()
	for n := 0; n < 1 || time.Since(start) < d; n++ {
		if err := op(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Throughput is the result of MeasureThroughput.
type Throughput struct {
	OpsPerSec float64 // operations completed per second of measuring
}

// MeasureThroughput runs workers goroutines, each calling its own
// operation (newOp(i)) in a loop for d after a warm-up, and counts the
// operations completed.
func MeasureThroughput(ctx context.Context, workers int, newOp func(worker int) Op, warmup, d time.Duration) (Throughput, error) {
	ops := make([]Op, workers)
	for i := range ops {
		ops[i] = newOp(i)
	}
	var (
		count    atomic.Int64
		measure  atomic.Bool
		stop     atomic.Bool
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, op := range ops {
		wg.Go(func() {
			for !stop.Load() {
				if err := op(ctx); err != nil {
					if !stop.Load() {
						errOnce.Do(func() { firstErr = err; cancel() })
					}
					return
				}
				if measure.Load() {
					count.Add(1)
				}
			}
		})
	}
	sleep(ctx, warmup)
	measure.Store(true)
	start := time.Now()
	sleep(ctx, d)
	n := count.Load()
	elapsed := time.Since(start)
	stop.Store(true)
	wg.Wait()
	if firstErr != nil {
		return Throughput{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return Throughput{}, err
	}
	return Throughput{OpsPerSec: float64(n) / elapsed.Seconds()}, nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
