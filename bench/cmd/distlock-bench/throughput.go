package main

import (
	"context"
	"fmt"

	"github.com/distlock/distlock/bench/internal/floor"
	"github.com/distlock/distlock/bench/internal/lockers"
	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/bench/internal/workload"
	"github.com/distlock/distlock/distlock"
)

// concurrency is the number of goroutines of the throughput runs.
var concurrency = []int{1, 8, 32}

// runThroughput measures acquire+release cycles per second with 1, 8 and
// 32 goroutines, each on a name of its own, beside the floor with each
// goroutine on a row of its own (and, on PostgreSQL, the floor whose
// second update also sends a NOTIFY, as distlock's release does).
func runThroughput(ctx context.Context, e *env, db *dbResult, t *target.Target) error {
	f, err := floor.New(ctx, t, 64)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := t.Module(ctx, lockTable, distlock.Config{MaxTime: e.opts.Lease})
	if err != nil {
		return err
	}
	defer m.Close()
	l := lockers.Distlock(m)
	type subject struct {
		key, label string
		newOp      func(g, i int) workload.Op
	}
	subjects := []subject{
		{roleDistlock, "distlock Acquire + Release, a name per goroutine", func(g, i int) workload.Op {
			return cycle(l, fmt.Sprintf("throughput-%s-%d-%d", e.runID, g, i))
		}},
		{roleFloor, "floor: 2× UPDATE, a row per goroutine", func(_, i int) workload.Op { return f.Writes(i + 1) }},
	}
	if t.Name == target.Postgres {
		subjects = append(subjects, subject{"floor-notify", "floor with NOTIFY in the 2nd UPDATE (as distlock's release)",
			func(_, i int) workload.Op { return f.NotifyWrites(i + 1) }})
	}
	series := map[[2]any]*throughputSeries{}
	for _, g := range concurrency {
		for _, s := range subjects {
			ts := &throughputSeries{Key: s.key, Label: s.label, Workers: g}
			series[[2]any{s.key, g}] = ts
			db.Throughput = append(db.Throughput, ts)
		}
	}
	for r := range e.opts.Rounds {
		for _, g := range concurrency {
			for i := range subjects {
				s := subjects[(i+r)%len(subjects)]
				tp, err := workload.MeasureThroughput(ctx, g, func(i int) workload.Op { return s.newOp(g, i) },
					warmup(e.opts.Duration), e.opts.Duration)
				if err != nil {
					return fmt.Errorf("%s with %d goroutines: %w", s.key, g, err)
				}
				ts := series[[2]any{s.key, g}]
				ts.Rounds = append(ts.Rounds, tp.OpsPerSec)
			}
		}
		e.logf("throughput %s round %d/%d done", db.Name, r+1, e.opts.Rounds)
	}
	return nil
}
