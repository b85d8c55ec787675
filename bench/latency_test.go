package bench_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/distlock/distlock/bench/internal/lockers"
	"github.com/distlock/distlock/bench/internal/target"
)

// BenchmarkAcquireRelease measures one uncontended acquire+release of
// distlock, the floor (two autocommit single-row updates), two SELECT 1
// round trips, and each database's peers, all on the same *sql.DB.
func BenchmarkAcquireRelease(b *testing.B) {
	for _, db := range target.All {
		b.Run(db, func(b *testing.B) {
			t := openTarget(b, db)
			f := newFloor(b, t)
			b.Run("floor-2xUPDATE", func(b *testing.B) { loop(b, f.Writes(1)) })
			b.Run("2xSELECT1", func(b *testing.B) { loop(b, f.Selects()) })
			b.Run("distlock", func(b *testing.B) {
				l := lockers.Distlock(module(b, t, "bench_lock"))
				loop(b, cycle(b, l, "latency", false))
			})
			for _, p := range peers(b, t) {
				b.Run(p.name, func(b *testing.B) {
					l := p.open(b)
					b.Cleanup(func() { l.Close() })
					loop(b, cycle(b, l, "latency", p.fresh))
				})
			}
		})
	}
}

// peer is a lock a user might pick instead of distlock.
type peer struct {
	name string
	open func(b *testing.B) lockers.Locker
	// fresh: use a new name for every cycle, for pglock, whose lost
	// releases (lockers.IsLostRelease) leave the name held for a lease.
	fresh bool
}

// peers lists the peers of t's database.
func peers(b *testing.B, t *target.Target) []peer {
	must := func(l lockers.Locker, err error) lockers.Locker {
		if err != nil {
			b.Fatal(err)
		}
		return l
	}
	switch t.Name {
	case target.Postgres:
		return []peer{
			{name: "pg_advisory_lock", open: func(b *testing.B) lockers.Locker { return must(lockers.PGAdvisory(b.Context(), t.DB)) }},
			{name: "pglock-pgx", fresh: true, open: func(b *testing.B) lockers.Locker {
				return must(lockers.PGLock(b.Context(), t.DB, lockers.PGLockOptions{Lease: lease}))
			}},
			{name: "pglock-libpq", fresh: true, open: func(b *testing.B) lockers.Locker {
				db, err := lockers.OpenPQ(t.URL, target.PoolSize)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { db.Close() })
				return must(lockers.PGLock(b.Context(), db, lockers.PGLockOptions{Lease: lease, PQ: true}))
			}},
		}
	case target.MySQL:
		return []peer{{name: "GET_LOCK", open: func(b *testing.B) lockers.Locker { return must(lockers.GetLock(b.Context(), t.DB)) }}}
	case target.SQLite:
		return []peer{{name: "flock", open: func(b *testing.B) lockers.Locker { return lockers.Flock(b.TempDir()) }}}
	}
	return nil
}

// cycle returns one acquire+release of name by l. With fresh, every cycle
// takes a new name (lockers.FreshCycle), and a lost pglock release is
// counted, not fatal; the count is reported as lost-releases.
func cycle(b *testing.B, l lockers.Locker, name string, fresh bool) func(ctx context.Context) error {
	if !fresh {
		return func(ctx context.Context) error { return lockers.Cycle(ctx, l, name) }
	}
	op, lost := lockers.FreshCycle(l, fmt.Sprintf("%s-%d", name, time.Now().UnixNano()))
	b.Cleanup(func() { b.ReportMetric(float64(*lost), "lost-releases") })
	return op
}
