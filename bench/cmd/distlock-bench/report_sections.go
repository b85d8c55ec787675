package main

import (
	"fmt"
	"strings"
	"time"

	"cirello.io/pglock"

	"github.com/distlock/distlock/bench/internal/hot"
	"github.com/distlock/distlock/bench/internal/stats"
	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/bench/internal/vacuum"
	"github.com/distlock/distlock/internal/pace"
)

// dur formats a duration in ms, or in s from one second on.
func dur(d time.Duration) string {
	switch {
	case isNever(d):
		return "timed out"
	case d >= time.Second || d <= -time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return msd(d) + " ms"
}

func measured(res *results) []*dbResult {
	var out []*dbResult
	for _, db := range res.DBs {
		if db.Skipped == "" && db.Settings.Version != "" {
			out = append(out, db)
		}
	}
	return out
}

func renderLatency(b *strings.Builder, res *results) {
	b.WriteString("## 1–2. Uncontended acquire+release, against the floor and the peers\n\n")
	b.WriteString("One goroutine, one lock name, acquire then release, again and again. " +
		"p50 and p99 are per round; the table shows their medians over rounds. " +
		"÷ floor: the subject's time over the floor's (below 1 is faster than two bare durable writes). " +
		"peer ÷ distlock: above 1, distlock is that many times faster.\n\n")
	for _, db := range measured(res) {
		if len(db.Latency) == 0 {
			continue
		}
		floor := db.latency(roleFloor)
		dl := db.latency(roleDistlock)
		var rows [][]string
		for _, s := range db.Latency {
			label := s.Label
			if s.Role == roleDistlock {
				label = "**" + label + "**"
			}
			if s.LostReleases > 0 {
				label += fmt.Sprintf(" ¹ (%d of %d releases lost)", s.LostReleases, s.ops())
			}
			row := []string{label, spread(stats.Of(s.p50()), msec), spread(stats.Of(s.p99()), msec),
				spread(stats.Of(stats.Ratios(s.p50(), floor.p50())), times),
				spread(stats.Of(stats.Ratios(s.p99(), floor.p99())), times), "–",
				spread(s.allocs(), count), spread(s.bytes(), count), thousands(int64(s.ops()))}
			if s.Role == rolePeer {
				row[5] = spread(stats.Of(stats.Ratios(s.p50(), dl.p50())), times)
			}
			rows = append(rows, row)
		}
		fmt.Fprintf(b, "### %s\n\n", db.Label)
		table(b, []string{"subject", "p50 ms", "p99 ms", "p50 ÷ floor", "p99 ÷ floor", "peer ÷ distlock (p50)", "allocs/op", "B/op", "ops"}, rows)
		for _, s := range db.Latency {
			if s.LostReleases > 0 {
				b.WriteString("¹ pglock's release failed with ErrLockAlreadyReleased: it raced the lock's own first heartbeat, " +
					"and the row stays held until its lease ends. Every pglock cycle uses a new name so that this cannot stall the next.\n\n")
				break
			}
		}
	}
}

func renderThroughput(b *strings.Builder, res *results) {
	var rows [][]string
	for _, db := range measured(res) {
		for _, g := range concurrency {
			var dl, fl, fn *throughputSeries
			for _, s := range db.Throughput {
				if s.Workers != g {
					continue
				}
				switch s.Key {
				case roleDistlock:
					dl = s
				case roleFloor:
					fl = s
				case "floor-notify":
					fn = s
				}
			}
			if dl == nil || fl == nil {
				continue
			}
			notify := "–"
			if fn != nil {
				notify = spread(stats.Of(fn.Rounds), count)
			}
			rows = append(rows, []string{db.Label, fmt.Sprint(g), spread(stats.Of(dl.Rounds), count),
				spread(stats.Of(fl.Rounds), count), spread(stats.Of(stats.Ratios(dl.Rounds, fl.Rounds)), times), notify})
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("## 3. Throughput on distinct names\n\n")
	b.WriteString("Acquire+release cycles per second, each goroutine on a name of its own; the floor's two updates " +
		"with each goroutine on a row of its own. On PostgreSQL the last column is the floor whose second update " +
		"also calls pg_notify, as every distlock release did before releases notified only locks that a waiter " +
		"watches (none here): PostgreSQL holds a database-wide lock from before the commit of a notifying " +
		"transaction until after it is flushed, so such commits cannot share a WAL flush.\n\n")
	table(b, []string{"database", "goroutines", "distlock ops/s", "floor ops/s", "distlock ÷ floor", "floor + NOTIFY ops/s"}, rows)
}

func renderHandoff(b *strings.Builder, res *results) {
	var rows [][]string
	for _, db := range measured(res) {
		for _, s := range db.Handoff {
			st := s.stats()
			timeouts := fmt.Sprint(st.TimedOut)
			if st.TimedOut > 0 {
				timeouts = fmt.Sprintf("%d (> %v)", st.TimedOut, res.Opts.HandoffLimit)
			}
			fresh := "–"
			if len(s.Fresh) > 0 {
				fresh = dur((&handoffSeries{Samples: s.Fresh}).stats().Max)
			}
			rows = append(rows, []string{db.Label, s.Label, s.Note, fmt.Sprint(st.N), dur(st.P50), dur(st.P90), dur(st.P99), dur(st.Max),
				dur(st.SentP50), timeouts, fresh})
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("## 4. Contended hand-off between processes\n\n")
	fmt.Fprintf(b, "The waiter, a process of its own, starts acquiring first; %v–%v later (at random, so that a "+
		"polling waiter is caught anywhere between two reads) the holder, this process, releases. "+
		"Times run from the holder's release call returning to the waiter's acquire returning; both processes "+
		"read time.Now().UnixNano() on one machine. A time below zero means the waiter was woken before the holder's "+
		"call returned (the server or kernel grants the lock first, then answers the holder). \"From sent\" runs from "+
		"just before the release call instead. Samples from all rounds are pooled; with few samples, p99 is the "+
		"largest but one or the largest. These are warm hand-offs: each waiter process first takes one lock "+
		"just after it started (connecting, preparing, listening), %v after the holder took it; that first "+
		"hand-off is the last column (\"fresh process\"), apart from the others.\n\n", settleMin, settleMin+settleSpread, settleMin)
	table(b, []string{"database", "lock", "how the waiter learns", "n", "p50", "p90", "p99", "max", "p50 from sent", "timeouts",
		"fresh process"}, rows)
}

func renderStall(b *strings.Builder, res *results) {
	var rows [][]string
	for _, db := range measured(res) {
		if len(db.Stall) == 0 {
			continue
		}
		n, timedOut, p50, most, kill := stallStats(db.Stall)
		rows = append(rows, []string{db.Label, fmt.Sprint(n), dur(p50), dur(most), dur(kill), fmt.Sprint(timedOut)})
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("## 12. A waiter killed at the head of the line\n\n")
	fmt.Fprintf(b, "This process holds a lock; a waiter process takes the first place in its line, a second waiter "+
		"(this process, through a Module and pool of its own) the next; the first is SIGKILLed and the holder "+
		"releases at once. The stall runs from the release call returning to the second waiter's acquire returning: "+
		"the dead waiter's place (renewed every %v, lapsing %v after its last renewal) or, where the release grants "+
		"the lock to the head of the line, the grant made to the dead place, lasts that long. \"From the kill\" runs "+
		"from the SIGKILL instead.\n\n", pace.RenewEvery, pace.Reserve)
	table(b, []string{"database", "n", "stall p50", "stall max", "p50 from the kill", "timeouts"}, rows)
}

func renderVacuum(b *strings.Builder, res *results) {
	var rows [][]string
	batch := 0
	for _, db := range measured(res) {
		r := db.Vacuum
		if r == nil {
			continue
		}
		batch = r.Batch
		lat := func(l stats.Latency) string {
			return fmt.Sprintf("%s / %s / %s", msd(l.P50), msd(l.P99), msd(l.Max))
		}
		rows = append(rows, []string{db.Label, thousands(r.Removed), dur(r.Elapsed),
			thousands(int64(float64(r.Removed) / r.Elapsed.Seconds())),
			lat(r.Baseline), lat(r.During),
			fmt.Sprintf("%d of %d / %d of %d", r.SlowBaseline, r.Baseline.N, r.SlowDuring, r.During.N), dur(r.SeedFor)})
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("## 5. Vacuum of expired rows under load\n\n")
	fmt.Fprintf(b, "The table is filled with expired rows by one server-side INSERT … SELECT, its statistics are "+
		"updated, and %d goroutines acquire and release live names of their own in a loop: first for %v alone, "+
		"then while Module.Vacuum (Config.VacuumBatch %d) runs.\n\n", vacuumWorkers, res.Opts.VacuumBaseline, batch)
	table(b, []string{"database", "rows removed", "vacuum time", "rows/s", "acquire ms p50 / p99 / max, before",
		"… during the vacuum", fmt.Sprintf("acquires > %v before / during", vacuum.Slow), "seeding"}, rows)
}

func renderMemory(b *strings.Builder, res *results) {
	var rows [][]string
	for _, db := range measured(res) {
		dl, fl := db.latency(roleDistlock), db.latency(roleFloor)
		if dl == nil || fl == nil {
			continue
		}
		rows = append(rows, []string{db.Label, spread(dl.allocs(), count), spread(dl.bytes(), count),
			spread(fl.allocs(), count), spread(fl.bytes(), count)})
	}
	var held [][]string
	for _, db := range measured(res) {
		h := db.Held
		if h == nil {
			continue
		}
		n := float64(h.Locks)
		held = append(held, []string{db.Label, thousands(int64(h.Locks)), bytesIEC(float64(h.HeapBytes)),
			fmt.Sprintf("%.0f B", float64(h.HeapBytes)/n), bytesIEC(float64(h.TableBytes)),
			fmt.Sprintf("%.0f B", float64(h.TableBytes)/n), dur(h.Elapsed)})
	}
	if len(rows)+len(held) == 0 {
		return
	}
	b.WriteString("## 6. Memory\n\n")
	if len(rows) > 0 {
		b.WriteString("Heap allocations per uncontended acquire+release (medians over the rounds of section 1; " +
			"runtime.MemStats of the whole process, background goroutines included), beside the floor's, " +
			"which is mostly the driver's own.\n\n")
		table(b, []string{"database", "distlock allocs/op", "distlock B/op", "floor allocs/op", "floor B/op"}, rows)
	}
	if len(held) > 0 {
		fmt.Fprintf(b, "A process of its own acquires the locks (%d goroutines on PostgreSQL, %d on SQLite, "+
			"which has one writer at a time) and keeps every *distlock.Lock; "+
			"the Go heap is measured after a full GC before and after (the slices of handles included). "+
			"The table size is pg_total_relation_size (heap, index, TOAST) on PostgreSQL and the growth of "+
			"the database file after a WAL checkpoint on SQLite.\n\n", heldWorkers(target.Postgres), heldWorkers(target.SQLite))
		table(b, []string{"database", "locks held", "Go heap", "heap per lock", "table on disk", "disk per lock", "acquiring took"}, held)
	}
}

func renderMethod(b *strings.Builder, res *results) {
	o := res.Opts
	fmt.Fprintf(b, `## Method

- **Rounds.** %d rounds. In a latency round every subject runs for %v in all, cut into %d slices; each
  slice runs every subject once, in an order rotated by one from slice to slice and round to round, so that
  the noise of the shared machine hits every subject alike (each subject is warmed up for %v first). In a
  throughput round every subject and goroutine count runs for %v after a %v warm-up, in rotated order; in
  a hot-name round every subject runs for %v, in rotated order.
  p50 and p99 are computed per round; tables show the median over rounds and benchstat's ± (the largest
  distance of a round from the median: the 95%% confidence interval of a median of five or fewer rounds
  is their whole range). Ratios are computed per round, then their median is taken.
- **Same pool.** distlock, the floor, the context and the peers share one *sql.DB per database
  (%d open and %d idle connections, so that no measurement pays for reconnecting), except pglock on
  lib/pq, which gets its own pool of the same size, and half of the hot name's goroutines (see Hot name
  below). distlock runs with MaxTime %v and every other setting at its default; the waiting Acquire is
  used, as users call it.
- **The floor** is two `+"`UPDATE bench_floor SET n = n + 1 WHERE id = ?`"+` in autocommit, each its own
  durable commit, through a prepared *sql.Stmt on every database (distlock's MySQL dialect prepares its
  statements too; go-sql-driver runs without interpolateParams; pgx caches prepared statements itself).
  Two `+"`SELECT 1`"+` round trips are shown beside it: what merely talking to the server costs.
- **Durability is never traded for speed**: the run refuses a database whose settings make commits
  non-durable (PostgreSQL synchronous_commit=off or fsync=off, InnoDB innodb_flush_log_at_trx_commit≠1,
  SQLite synchronous below FULL); the settings in force are listed under This run.
- **Peers.** pg_advisory_lock/pg_advisory_unlock and GET_LOCK/RELEASE_LOCK run on a pinned connection
  (GET_LOCK through statements prepared on it). cirello.io/pglock runs at its defaults but for the lease,
  which is distlock's MaxTime: its acquire is a nextval and an upsert, its release a delete, and a
  heartbeat goroutine starts with every acquisition; it runs on pgx (pglock.UnsafeNew, the same pool
  as distlock) and on lib/pq (pglock.New). flock(2) is context for SQLite: a lock on one machine that
  is neither durable nor expiring. distlock reuses one name (its row is updated in place); pglock takes
  a new name every cycle (it deletes its row on release, so it always inserts).
- **Hand-off.** This process holds; a helper process (this program re-executed) waits; a holder/waiter
  pair per subject, kept for all rounds, with one unmeasured hand-off first. %d hand-offs per subject per
  round. pglock's hand-off runs once, at all its defaults (a %v lease, waiters that retry once per lease),
  %d waiters at once, each given up after %v.
- **Hot name.** %d goroutines in this process, half on the database's pool and half on a second *sql.DB of
  the same size on the same database; each goroutine makes one unmeasured cycle first, one goroutine after
  the other. distlock runs a Module (MaxTime %v) on each pool, in a table of its own; pglock (pgx) a client
  on each pool, with a %v lease and no heartbeat (holds last a moment); pg_advisory_lock and GET_LOCK a
  connection pinned per goroutine; flock(2) a file opened per acquisition. A new lock name every round.
  No goroutine starts a cycle once the time is up; a round that has not ended %v later is given up.
- **Vacuum.** %s expired rows (32-byte token hashes, fences > 0), then Module.Vacuum under the load
  described in section 5. Once per run.
- **Memory.** %s locks held by a helper process, on PostgreSQL and SQLite (SQLite in a file of its own);
  MariaDB is left out to keep the run short. allocs/op and B/op come from runtime.MemStats over the latency
  loops; `+"`go test -bench . -benchmem`"+` gives the same per-operation figures for one run.
`, o.Rounds, o.Duration, latencySlices, warmup(o.Duration), o.Duration, warmup(o.Duration), o.HotDuration,
		target.PoolSize, target.PoolSize, o.Lease,
		o.HandoffSamples, pglock.DefaultLeaseDuration, pglockWaiters, o.HandoffLimit,
		hot.Waiters, o.Lease, hot.PGLockLease, hotGrace,
		thousands(int64(o.VacuumRows)), thousands(int64(o.HeldLocks)))
	b.WriteString("\n")
}
