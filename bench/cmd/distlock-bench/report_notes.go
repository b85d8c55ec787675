package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/distlock/distlock/bench/internal/hot"
	"github.com/distlock/distlock/bench/internal/stats"
	"github.com/distlock/distlock/bench/internal/target"
)

// renderNotes adds observations that this run's figures support; each is
// printed only when the figures bear it out.
func renderNotes(b *strings.Builder, res *results) {
	var notes []string
	if pg := res.db(target.Postgres); pg != nil {
		if n := notifyNote(pg); n != "" {
			notes = append(notes, n)
		}
	}
	for _, db := range measured(res) {
		if n := returningNote(db); n != "" {
			notes = append(notes, n)
		}
	}
	if pg := res.db(target.Postgres); pg != nil {
		if n := bargeNote(pg, res.Opts.HotDuration); n != "" {
			notes = append(notes, n)
		}
	}
	for _, db := range measured(res) {
		if v := db.Vacuum; v != nil && v.SlowBaseline > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d of %d live acquisitions took over 50 ms before the vacuum started, "+
				"so the slow ones during it are not all the vacuum's doing: the %d live goroutines also wait for one another.",
				db.Label, v.SlowBaseline, v.Baseline.N, vacuumWorkers))
		}
	}
	if len(notes) == 0 {
		return
	}
	b.WriteString("## Reading the results\n\n")
	for _, n := range notes {
		b.WriteString("- " + n + "\n")
	}
	b.WriteString("\n")
}

// notifyNote says so when distlock's throughput on PostgreSQL follows the
// floor that notifies rather than the plain floor.
func notifyNote(pg *dbResult) string {
	g := concurrency[len(concurrency)-1]
	med := map[string]float64{}
	for _, s := range pg.Throughput {
		if s.Workers == g {
			med[s.Key] = stats.Of(s.Rounds).Median
		}
	}
	dl, fl, fn := med[roleDistlock], med[roleFloor], med["floor-notify"]
	if dl == 0 || fl == 0 || fn == 0 || dl > 0.6*fl || fn > 0.6*fl {
		return ""
	}
	return fmt.Sprintf("PostgreSQL, %d goroutines: distlock does %.0f cycles/s, the floor %.0f, and the floor whose "+
		"second update notifies %.0f. Releases that NOTIFY commit one at a time, so distlock's throughput follows "+
		"the notifying floor, not the plain one.", g, dl, fl, fn)
}

// returningNote compares distlock with the floor whose writes return a
// value: a lock's acquire must return its fence and its release the holds
// left, so that is the floor a lock can hope for.
func returningNote(db *dbResult) string {
	fl, ret, dl := db.latency(roleFloor), db.latency("floor-returning"), db.latency(roleDistlock)
	if fl == nil || ret == nil || dl == nil {
		return ""
	}
	r := stats.Of(stats.Ratios(ret.p50(), fl.p50())).Median
	d := stats.Of(stats.Ratios(dl.p50(), fl.p50())).Median
	if r == 0 || d == 0 {
		return ""
	}
	return fmt.Sprintf("%s: two single-row updates that return what they wrote take %.2f× the floor (p50), distlock %.2f×: "+
		"a lock's writes must answer (the acquire its fence or its holder, the release the holds left), and distlock's "+
		"acquire is an INSERT … ON CONFLICT on a wider row.", db.Label, r, d)
}

// bargeNote explains pglock's hot-name figures when they show starvation:
// its waiters sleep a lease between tries, so the goroutine that has just
// released takes the lock again at once, and the others get their turns
// only after the time is up, which acq/s counts too.
func bargeNote(pg *dbResult, d time.Duration) string {
	s := pg.hot("pglock")
	if s == nil || len(s.Rounds) == 0 {
		return ""
	}
	share := stats.Of(s.minShare()).Median
	if share >= 0.5 || s.maxWait() <= d {
		return ""
	}
	return fmt.Sprintf("PostgreSQL, hot name: pglock's waiters sleep a whole lease (%v) between tries, so the goroutine "+
		"that has just released takes the lock again at once. The fewest cycles a goroutine made was %.2f of the mean, "+
		"and the longest wait %s, past the %v of measuring: pglock's acq/s counts those late turns too, and so moves "+
		"with -hot-duration.", hot.PGLockLease, share, dur(s.maxWait()), d)
}
