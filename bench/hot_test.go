package bench_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/distlock/distlock/bench/internal/hot"
	"github.com/distlock/distlock/bench/internal/lockers"
	"github.com/distlock/distlock/bench/internal/stats"
	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/distlock"
)

// BenchmarkHotName makes 32 goroutines in two pools cycle acquire →
// release on one name, b.N cycles in all, and reports acquisitions per
// second, the wait of each acquisition (p50, p99, max, in ms) and
// fairness: the fewest cycles any goroutine made, as a share of the
// mean (1 is perfectly fair, 0 means a goroutine starved). Beside
// distlock run the locks a user would otherwise pick on the same
// database: cirello.io/pglock (a 1 s lease) and pg_advisory_lock on
// PostgreSQL, GET_LOCK on MySQL/MariaDB, flock(2) beside SQLite.
func BenchmarkHotName(b *testing.B) {
	for _, db := range target.All {
		b.Run(db, func(b *testing.B) {
			t := openTarget(b, db)
			other := openTarget2(b, t)
			table := "bench_hot"
			mods := []*distlock.Module{module(b, t, table), module(b, other, table)}
			b.Run("distlock", func(b *testing.B) {
				hotName(b, func(g int) lockers.Locker { return lockers.Distlock(mods[g%2]) })
			})
			switch db {
			case target.Postgres:
				b.Run("pglock", func(b *testing.B) {
					ls := make([]lockers.Locker, 2)
					for i, tg := range []*target.Target{t, other} {
						l, err := lockers.PGLock(b.Context(), tg.DB, lockers.PGLockOptions{Lease: hot.PGLockLease, NoHeartbeat: true})
						if err != nil {
							b.Fatal(err)
						}
						ls[i] = l
					}
					hotName(b, func(g int) lockers.Locker { return ls[g%2] })
				})
				b.Run("pg_advisory_lock", func(b *testing.B) {
					hotName(b, func(g int) lockers.Locker { return pinned(b, g, t, other, lockers.PGAdvisory) })
				})
			case target.MySQL:
				b.Run("GET_LOCK", func(b *testing.B) {
					hotName(b, func(g int) lockers.Locker { return pinned(b, g, t, other, lockers.GetLock) })
				})
			case target.SQLite:
				dir := b.TempDir()
				b.Run("flock", func(b *testing.B) {
					hotName(b, func(int) lockers.Locker { return lockers.Flock(dir) })
				})
			}
		})
	}
}

// openTarget2 opens t's database again, through a pool of its own.
func openTarget2(b *testing.B, t *target.Target) *target.Target {
	b.Helper()
	o, err := target.Open(t.Name, t.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { o.Close() })
	return o
}

// pinned returns a locker on a connection of its own from t (even g) or
// other (odd g), closed with b.
func pinned(b *testing.B, g int, t, other *target.Target, open func(context.Context, *sql.DB) (lockers.Locker, error)) lockers.Locker {
	b.Helper()
	tg := t
	if g%2 == 1 {
		tg = other
	}
	l, err := open(b.Context(), tg.DB)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

// hotName shares b.N acquire → release cycles of one name among
// hot.Waiters goroutines, goroutine g locking through locker(g), and
// reports the figures BenchmarkHotName describes.
func hotName(b *testing.B, locker func(g int) lockers.Locker) {
	ls := make([]lockers.Locker, hot.Waiters)
	for g := range ls {
		ls[g] = locker(g)
	}
	name := fmt.Sprintf("hot-%d", time.Now().UnixNano())
	r, err := hot.Run(b.Context(), ls, name, hot.Options{Cycles: b.N, Timer: b})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(r.AcqPerSec(), "acq/s")
	b.ReportMetric(stats.Millis(r.Wait.P50), "p50-wait-ms")
	b.ReportMetric(stats.Millis(r.Wait.P99), "p99-wait-ms")
	b.ReportMetric(stats.Millis(r.Wait.Max), "max-wait-ms")
	b.ReportMetric(r.MinShare(), "min-share")
}
