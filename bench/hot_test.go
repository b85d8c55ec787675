package bench_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distlock/distlock/bench/internal/lockers"
	"github.com/distlock/distlock/bench/internal/stats"
	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/distlock"
)

// hotWaiters is the number of goroutines that want the one hot name, half
// on each of two connection pools standing for two processes.
const hotWaiters = 32

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
				hot(b, func(g int) lockers.Locker { return lockers.Distlock(mods[g%2]) })
			})
			switch db {
			case target.Postgres:
				b.Run("pglock", func(b *testing.B) {
					ls := make([]lockers.Locker, 2)
					for i, tg := range []*target.Target{t, other} {
						l, err := lockers.PGLock(b.Context(), tg.DB, lockers.PGLockOptions{Lease: time.Second, NoHeartbeat: true})
						if err != nil {
							b.Fatal(err)
						}
						ls[i] = l
					}
					hot(b, func(g int) lockers.Locker { return ls[g%2] })
				})
				b.Run("pg_advisory_lock", func(b *testing.B) {
					hot(b, func(g int) lockers.Locker { return pinned(b, g, t, other, lockers.PGAdvisory) })
				})
			case target.MySQL:
				b.Run("GET_LOCK", func(b *testing.B) {
					hot(b, func(g int) lockers.Locker { return pinned(b, g, t, other, lockers.GetLock) })
				})
			case target.SQLite:
				dir := b.TempDir()
				b.Run("flock", func(b *testing.B) {
					hot(b, func(int) lockers.Locker { return lockers.Flock(dir) })
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

// hot shares b.N acquire → release cycles of one name among hotWaiters
// goroutines, goroutine g locking through locker(g), and reports the
// figures BenchmarkHotName describes.
func hot(b *testing.B, locker func(g int) lockers.Locker) {
	ctx := b.Context()
	name := fmt.Sprintf("hot-%d", time.Now().UnixNano())
	ls := make([]lockers.Locker, hotWaiters)
	for g := range ls {
		ls[g] = locker(g)
		if err := lockers.Cycle(ctx, ls[g], name); err != nil { // warm: connect, prepare
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, hotWaiters)
	waits := make([][]time.Duration, hotWaiters)
	b.ResetTimer()
	start := time.Now()
	for g, l := range ls {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				unlock, err := l.Lock(ctx, name)
				if err != nil {
					errs <- err
					return
				}
				waits[g] = append(waits[g], time.Since(t0))
				if err := unlock(ctx); err != nil {
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
	fewest := b.N
	var all []time.Duration
	for _, w := range waits {
		fewest = min(fewest, len(w))
		all = append(all, w...)
	}
	slices.Sort(all)
	l := stats.Summarize(all)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "acq/s")
	b.ReportMetric(stats.Millis(l.P50), "p50-wait-ms")
	b.ReportMetric(stats.Millis(l.P99), "p99-wait-ms")
	b.ReportMetric(stats.Millis(l.Max), "max-wait-ms")
	b.ReportMetric(float64(fewest)/(float64(b.N)/hotWaiters), "min-share")
}
