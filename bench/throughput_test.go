package bench_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distlock/distlock/bench/internal/lockers"
	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/bench/internal/workload"
)

// BenchmarkThroughput runs b.N acquire+release cycles spread over 1, 8 and
// 32 goroutines, each on a name of its own, and reports operations per
// second; the floor's two updates, each goroutine on a row of its own,
// run beside it.
func BenchmarkThroughput(b *testing.B) {
	for _, db := range target.All {
		b.Run(db, func(b *testing.B) {
			t := openTarget(b, db)
			f := newFloor(b, t)
			l := lockers.Distlock(module(b, t, "bench_lock"))
			for _, g := range []int{1, 8, 32} {
				b.Run(fmt.Sprintf("distlock/g=%d", g), func(b *testing.B) {
					parallel(b, g, func(i int) workload.Op {
						name := fmt.Sprintf("throughput-%d", i)
						return func(ctx context.Context) error { return lockers.Cycle(ctx, l, name) }
					})
				})
				b.Run(fmt.Sprintf("floor/g=%d", g), func(b *testing.B) {
					parallel(b, g, func(i int) workload.Op { return f.Writes(i + 1) })
				})
			}
		})
	}
}

// parallel shares b.N calls among workers goroutines, worker i calling
// newOp(i), and reports ops/s.
func parallel(b *testing.B, workers int, newOp func(i int) workload.Op) {
	ctx := b.Context()
	ops := make([]workload.Op, workers)
	for i := range ops {
		ops[i] = newOp(i)
		if err := ops[i](ctx); err != nil { // warm
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	b.ResetTimer()
	start := time.Now()
	for _, op := range ops {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := op(ctx); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
}
