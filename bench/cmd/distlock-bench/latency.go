package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/distlock/distlock/bench/internal/floor"
	"github.com/distlock/distlock/bench/internal/lockers"
	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/bench/internal/workload"
	"github.com/distlock/distlock/distlock"
)

// lockTable is the distlock table of the latency, throughput and hand-off
// measurements.
const lockTable = "bench_lock"

// latencySubject is one thing whose acquire+release (or floor) latency is
// measured.
type latencySubject struct {
	key, label, role string
	op               workload.Op
	lost             *int // pglock's lost releases, or nil
}

// runLatency measures every subject of db for e.opts.Duration per round,
// in interleaved slices (see below).
func runLatency(ctx context.Context, e *env, db *dbResult, t *target.Target) error {
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
	subjects, cleanup, err := latencySubjects(ctx, e, t, f, m)
	defer cleanup()
	if err != nil {
		return err
	}
	series := make([]*latencySeries, len(subjects))
	for i, s := range subjects {
		series[i] = &latencySeries{Key: s.key, Label: s.label, Role: s.role}
	}
	db.Latency = series
	for _, s := range subjects {
		if err := workload.Warm(ctx, s.op, warmup(e.opts.Duration)); err != nil {
			return fmt.Errorf("%s: warm-up: %w", s.key, err)
		}
	}
	// Each round is cut into slices; every slice runs each subject once,
	// in an order rotated from slice to slice and round to round, so that
	// the machine's noise (it is shared) hits every subject alike.
	recs := make([]workload.Recorder, len(subjects))
	slice := e.opts.Duration / latencySlices
	for r := range e.opts.Rounds {
		for sl := range latencySlices {
			for i := range subjects {
				k := (i + r + sl) % len(subjects)
				if err := recs[k].Run(ctx, subjects[k].op, slice, 4); err != nil {
					return fmt.Errorf("%s: %w", subjects[k].key, err)
				}
			}
		}
		for k := range subjects {
			series[k].Rounds = append(series[k].Rounds, recs[k].Result())
		}
		d, fl := db.latency(roleDistlock).Rounds[r], db.latency(roleFloor).Rounds[r]
		e.logf("latency %s round %d/%d: distlock p50 %v, floor p50 %v", db.Name, r+1, e.opts.Rounds, d.P50, fl.P50)
	}
	for i, s := range subjects {
		if s.lost != nil {
			series[i].LostReleases = *s.lost
		}
	}
	return nil
}

// latencySlices is how many interleaved slices a latency round is cut into.
const latencySlices = 10

// warmup is how long each subject runs unmeasured before each round.
func warmup(d time.Duration) time.Duration { return max(d/10, 50*time.Millisecond) }

// latencySubjects lists the subjects of t's database: the context (two
// SELECT 1), the floor, distlock, and the peers.
func latencySubjects(ctx context.Context, e *env, t *target.Target, f *floor.Floor, m *distlock.Module) ([]latencySubject, func(), error) {
	var closers []func() error
	cleanup := func() {
		for _, c := range closers {
			c()
		}
	}
	name := "latency-" + e.runID
	subjects := []latencySubject{
		{key: "select", label: "2× SELECT 1 (context: two round trips)", role: roleContext, op: f.Selects()},
		{key: roleFloor, label: "floor: 2× single-row UPDATE, autocommit", role: roleFloor, op: f.Writes(1)},
		{key: roleDistlock, label: "distlock Acquire + Release", role: roleDistlock, op: cycle(lockers.Distlock(m), name)},
	}
	if op := f.ReturningWrites(1); op != nil {
		subjects = append(subjects, latencySubject{key: "floor-returning",
			label: "2× single-row UPDATE … RETURNING, autocommit (context: writes that answer, as a lock's must)", role: roleContext, op: op})
	}
	add := func(key, label string, l lockers.Locker, err error) error {
		if err != nil {
			return err
		}
		closers = append(closers, l.Close)
		subjects = append(subjects, latencySubject{key: key, label: label, role: rolePeer, op: cycle(l, name)})
		return nil
	}
	switch t.Name {
	case target.Postgres:
		l, err := lockers.PGAdvisory(ctx, t.DB)
		if err := add("pg_advisory", "pg_advisory_lock + pg_advisory_unlock (pinned conn)", l, err); err != nil {
			return nil, cleanup, err
		}
		pglockLabel := fmt.Sprintf("cirello.io/pglock %s, defaults + lease %v", depVersion("cirello.io/pglock"), e.opts.Lease)
		l, err = lockers.PGLock(ctx, t.DB, lockers.PGLockOptions{Lease: e.opts.Lease})
		if err != nil {
			return nil, cleanup, err
		}
		subjects = append(subjects, freshNames("pglock", pglockLabel+" (pgx)", l, name))
		pq, err := lockers.OpenPQ(t.URL, target.PoolSize)
		if err != nil {
			return nil, cleanup, err
		}
		closers = append(closers, pq.Close)
		l, err = lockers.PGLock(ctx, pq, lockers.PGLockOptions{Lease: e.opts.Lease, PQ: true})
		if err != nil {
			return nil, cleanup, err
		}
		subjects = append(subjects, freshNames("pglock-pq", pglockLabel+" (lib/pq "+depVersion("github.com/lib/pq")+")", l, name))
	case target.MySQL:
		l, err := lockers.GetLock(ctx, t.DB)
		if err := add("get_lock", "GET_LOCK + RELEASE_LOCK (pinned conn, prepared)", l, err); err != nil {
			return nil, cleanup, err
		}
	case target.SQLite:
		if err := add("flock", "flock(2) on a file (context: not durable, no expiry)", lockers.Flock(e.tmp), nil); err != nil {
			return nil, cleanup, err
		}
	}
	return subjects, cleanup, nil
}

func cycle(l lockers.Locker, name string) workload.Op {
	return func(ctx context.Context) error { return lockers.Cycle(ctx, l, name) }
}

// freshNames is a pglock subject that takes a new name every cycle (see
// lockers.FreshCycle), its lost releases counted.
func freshNames(key, label string, l lockers.Locker, name string) latencySubject {
	op, lost := lockers.FreshCycle(l, name+"-"+key)
	return latencySubject{key: key, label: label, role: rolePeer, op: op, lost: lost}
}

// depVersion returns the version of a module this program was built with.
func depVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return "(unknown version)"
}
