package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/distlock/distlock/bench/internal/hot"
	"github.com/distlock/distlock/bench/internal/lockers"
	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/distlock"
)

// hotTable is the distlock table of the hot-name measurement, as in
// BenchmarkHotName.
const hotTable = "bench_hot"

// hotGrace is how long a hot-name round may run over -hot-duration before
// it is given up: the cycles under way when the time is up run to their
// end (pglock's waits last seconds), but a waiter stuck for good must not
// hang the run.
const hotGrace = time.Minute

type hotSubject struct {
	key, label string
	ls         []lockers.Locker // goroutine g locks through ls[g]
}

// runHot makes hot.Waiters goroutines, half on t's pool and half on a
// second pool of the same database (two processes, as far as the locks
// can tell), cycle acquire → release on one name, per subject for
// -hot-duration per round, subjects in rotated order. The subjects are
// BenchmarkHotName's.
func runHot(ctx context.Context, e *env, db *dbResult, t *target.Target) error {
	other, err := target.Open(t.Name, t.URL)
	if err != nil {
		return err
	}
	defer other.Close()
	var closers []func() error
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	pools := [2]*target.Target{t, other}
	var mods [2]lockers.Locker
	for i, tg := range pools {
		m, err := tg.Module(ctx, hotTable, distlock.Config{MaxTime: e.opts.Lease})
		if err != nil {
			return err
		}
		closers = append(closers, m.Close)
		mods[i] = lockers.Distlock(m)
	}
	subjects := []*hotSubject{{key: roleDistlock, label: "distlock, a Module per pool", ls: alternate(mods)}}
	// pinned gives every goroutine a locker of its own on a connection
	// pinned from its pool.
	pinned := func(key, label string, open func(context.Context, *sql.DB) (lockers.Locker, error)) error {
		s := &hotSubject{key: key, label: label, ls: make([]lockers.Locker, hot.Waiters)}
		for g := range s.ls {
			l, err := open(ctx, pools[g%2].DB)
			if err != nil {
				return err
			}
			closers = append(closers, l.Close)
			s.ls[g] = l
		}
		subjects = append(subjects, s)
		return nil
	}
	switch t.Name {
	case target.Postgres:
		var pl [2]lockers.Locker
		for i, tg := range pools {
			if pl[i], err = lockers.PGLock(ctx, tg.DB, lockers.PGLockOptions{Lease: hot.PGLockLease, NoHeartbeat: true}); err != nil {
				return err
			}
		}
		subjects = append(subjects, &hotSubject{key: "pglock", ls: alternate(pl),
			label: fmt.Sprintf("cirello.io/pglock %s (pgx), %v lease, no heartbeat", depVersion("cirello.io/pglock"), hot.PGLockLease)})
		err = pinned("pg_advisory", "pg_advisory_lock (a pinned connection per goroutine)", lockers.PGAdvisory)
	case target.MySQL:
		err = pinned("get_lock", "GET_LOCK (a pinned connection per goroutine)", lockers.GetLock)
	case target.SQLite:
		dir := filepath.Join(e.tmp, "flock-hot")
		if err = os.MkdirAll(dir, 0o700); err == nil {
			subjects = append(subjects, &hotSubject{key: "flock", label: "flock(2) on a file (context: not durable, no expiry)",
				ls: slices.Repeat([]lockers.Locker{lockers.Flock(dir)}, hot.Waiters)})
		}
	}
	if err != nil {
		return err
	}

	series := make([]*hotSeries, len(subjects))
	for i, s := range subjects {
		series[i] = &hotSeries{Key: s.key, Label: s.label}
	}
	db.Hot = series
	for r := range e.opts.Rounds {
		for i := range subjects {
			k := (i + r) % len(subjects)
			s := subjects[k]
			rctx, cancel := context.WithTimeout(ctx, e.opts.HotDuration+hotGrace)
			res, err := hot.Run(rctx, s.ls, e.name("hot", s.key, r), hot.Options{Duration: e.opts.HotDuration})
			cancel()
			if err != nil {
				return fmt.Errorf("%s: %w", s.key, err)
			}
			series[k].Rounds = append(series[k].Rounds, res)
		}
		d := db.hot(roleDistlock).Rounds[r]
		e.logf("hot %s round %d/%d: distlock %.0f acq/s, wait p99 %v, min-share %.2f", db.Name, r+1, e.opts.Rounds,
			d.AcqPerSec(), d.Wait.P99, d.MinShare())
	}
	return nil
}

// alternate gives the even goroutines the first locker, the odd ones the
// second.
func alternate(ls [2]lockers.Locker) []lockers.Locker {
	out := make([]lockers.Locker, hot.Waiters)
	for g := range out {
		out[g] = ls[g%2]
	}
	return out
}
