package main

import (
	"context"
	"time"

	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/bench/internal/vacuum"
	"github.com/distlock/distlock/distlock"
)

const (
	vacuumTable   = "bench_vacuum"
	vacuumWorkers = 4
)

// runVacuum fills a distlock table with expired rows and times Vacuum
// while live acquisitions go on.
func runVacuum(ctx context.Context, e *env, db *dbResult, t *target.Target) error {
	if e.opts.VacuumRows == 0 {
		return nil
	}
	m, err := t.Module(ctx, vacuumTable, distlock.Config{MaxTime: e.opts.Lease, VacuumBatch: e.opts.VacuumBatch})
	if err != nil {
		return err
	}
	defer m.Close()
	start := time.Now()
	if err := vacuum.Seed(ctx, t, vacuumTable, e.opts.VacuumRows); err != nil {
		return err
	}
	seeded := time.Since(start)
	e.logf("vacuum %s: %d expired rows seeded in %v", db.Name, e.opts.VacuumRows, seeded.Round(time.Millisecond))
	res, err := vacuum.Run(ctx, m, vacuumWorkers, e.opts.VacuumBaseline)
	if err != nil {
		return err
	}
	e.logf("vacuum %s: %d rows in %v; acquire p99 %v during, %v before", db.Name, res.Removed,
		res.Elapsed.Round(time.Millisecond), res.During.P99, res.Baseline.P99)
	db.Vacuum = &vacuumResult{Seeded: e.opts.VacuumRows, SeedFor: seeded, Batch: m.Config().VacuumBatch, Result: res}
	return nil
}
