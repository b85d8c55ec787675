package main

import (
	"fmt"
	"strings"

	"github.com/distlock/distlock/bench/internal/hot"
	"github.com/distlock/distlock/bench/internal/stats"
)

// renderHot writes the hot-name section: a table per database. It is
// numbered 11 after the issue whose targets it checks, and follows the
// hand-off section, the other measurement of waiting.
func renderHot(b *strings.Builder, res *results) {
	var tables []string
	for _, db := range measured(res) {
		if rows := hotRows(db); len(rows) > 0 {
			var t strings.Builder
			fmt.Fprintf(&t, "### %s\n\n", db.Label)
			table(&t, []string{"subject", "acq/s", "wait p50 ms", "wait p99 ms", "wait max ms", "min-share", "distlock ÷ peer (acq/s)"}, rows)
			tables = append(tables, t.String())
		}
	}
	if len(tables) == 0 {
		return
	}
	b.WriteString("## 11. One hot name, many waiters\n\n")
	fmt.Fprintf(b, "%d goroutines acquire and release one lock name, again and again, for %v per subject per round "+
		"(subjects in rotated order); half of them lock through one *sql.DB and half through a second one on the same "+
		"database, standing for two processes (distlock runs a Module on each). acq/s counts the cycles of a round, those "+
		"under way when the time ran out included, over the time until the last one ended. A wait runs from calling "+
		"acquire to it returning; p50 and p99 are per round and the table shows their medians over rounds, max the longest "+
		"wait of any round. min-share is the fewest cycles any goroutine made over the mean (1 is perfectly fair, 0 means "+
		"a goroutine never got the lock; median over rounds). distlock ÷ peer: distlock's acquisitions/s over the peer's, "+
		"round by round; above 1, distlock passes the lock on faster. pglock's waiters retry once per %v lease; "+
		"pg_advisory_lock's and GET_LOCK's are granted the lock by the server, flock's by the kernel.\n\n",
		hot.Waiters, res.Opts.HotDuration, hot.PGLockLease)
	b.WriteString(strings.Join(tables, ""))
}

// hotRows is db's hot-name table, distlock first.
func hotRows(db *dbResult) [][]string {
	dl := db.hot(roleDistlock)
	var rows [][]string
	for _, s := range db.Hot {
		if len(s.Rounds) == 0 {
			continue
		}
		label, ratio := s.Label, "–"
		if s.Key == roleDistlock {
			label = "**" + label + "**"
		} else if dl != nil {
			ratio = spread(stats.Of(stats.Ratios(dl.acq(), s.acq())), wideTimes)
		}
		rows = append(rows, []string{label, spread(stats.Of(s.acq()), count), spread(stats.Of(s.p50()), msec),
			spread(stats.Of(s.p99()), msec), msd(s.maxWait()), spread(stats.Of(s.minShare()), share), ratio})
	}
	return rows
}

func share(v float64) string { return fmt.Sprintf("%.2f", v) }

// wideTimes formats a ratio that may be far from 1 (distlock against
// flock, or against pglock) with two significant digits or more.
func wideTimes(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f×", v)
	case v >= 0.1:
		return times(v)
	}
	return fmt.Sprintf("%.2g×", v)
}
