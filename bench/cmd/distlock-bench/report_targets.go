package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/distlock/distlock/bench/internal/stats"
	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/bench/internal/vacuum"
)

// The targets.
const (
	targetFloorRatio  = 1.0                  // distlock p50 ÷ write floor p50, PostgreSQL
	targetPGLockRatio = 1.2                  // pglock p50 ÷ distlock p50, PostgreSQL
	targetHandoffP50  = 5 * time.Millisecond // PostgreSQL, cross-process

	// Issue 11: a hot name, hand-off and the floor again.
	targetHotPGLock = 1.5                    // distlock ÷ pglock acquisitions/s on a hot name, PostgreSQL
	targetHotAcq    = 1000                   // distlock acquisitions/s on a hot name, every database
	targetHotP99    = 100 * time.Millisecond // distlock's wait p99 on a hot name, every database
	targetStall     = time.Second            // a waiter killed at the head of the line stalls the lock, every database
)

// Issue 11's targets that differ by database.
var (
	targetHandoffP50By = map[string]time.Duration{
		target.Postgres: time.Millisecond, target.MySQL: 5 * time.Millisecond, target.SQLite: 5 * time.Millisecond}
	targetFloorRatioBy = map[string]float64{target.Postgres: 0.9, target.MySQL: 1.1, target.SQLite: 0.9}
)

type verdict struct{ goal, measured, outcome string }

func met(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}

func (res *results) db(name string) *dbResult {
	for _, db := range res.DBs {
		if db.Name == name {
			return db
		}
	}
	return nil
}

// ratio is the median over rounds of a's p50 ÷ b's p50, if both ran.
func ratio(db *dbResult, a, b string) (stats.Spread, bool) {
	if db == nil {
		return stats.Spread{}, false
	}
	sa, sb := db.latency(a), db.latency(b)
	if sa == nil || sb == nil || len(sa.Rounds) == 0 || len(sb.Rounds) == 0 {
		return stats.Spread{}, false
	}
	return stats.Of(stats.Ratios(sa.p50(), sb.p50())), true
}

func verdicts(res *results) []verdict {
	const none = "not measured"
	pg := res.db(target.Postgres)
	var out []verdict

	v := verdict{goal: "1. PostgreSQL: distlock acquire+release p50 ≤ 1.0× the write floor", measured: none, outcome: "–"}
	if s, ok := ratio(pg, roleDistlock, roleFloor); ok {
		v.measured = spread(s, times) + " of the floor"
		v.outcome = met(s.Median <= targetFloorRatio)
	}
	out = append(out, v)

	v = verdict{goal: "2. PostgreSQL: distlock ≥ 1.2× faster than pglock on acquire+release (p50)", measured: none, outcome: "–"}
	if s, ok := ratio(pg, "pglock", roleDistlock); ok {
		v.measured = "pglock (pgx) takes " + spread(s, times) + " distlock's time"
		if q, ok := ratio(pg, "pglock-pq", roleDistlock); ok {
			v.measured += "; pglock (lib/pq) " + spread(q, times)
		}
		v.outcome = met(s.Median >= targetPGLockRatio)
	}
	out = append(out, v)

	out = append(out, handoffVerdict(fmt.Sprintf("4. PostgreSQL: cross-process hand-off p50 ≤ %s", plainMs(targetHandoffP50)),
		pg, targetHandoffP50))

	for _, db := range res.DBs {
		if db.Vacuum == nil {
			continue
		}
		r := db.Vacuum
		out = append(out, verdict{
			goal: fmt.Sprintf("5. %s: no acquire waits more than %v during a vacuum of %s rows", db.Label, vacuum.Slow, thousands(r.Removed)),
			measured: fmt.Sprintf("max %s, %d of %d acquisitions > %v (before the vacuum: max %s, %d of %d)",
				dur(r.During.Max), r.SlowDuring, r.During.N, vacuum.Slow, dur(r.Baseline.Max), r.SlowBaseline, r.Baseline.N),
			outcome: met(r.SlowDuring == 0),
		})
	}
	return append(out, hotVerdicts(res)...)
}

// hotVerdicts are issue 11's targets: the hot name (section 11), and
// tighter hand-off and floor targets on every database.
func hotVerdicts(res *results) []verdict {
	const none = "not measured"
	var out []verdict
	v := verdict{goal: fmt.Sprintf("11. PostgreSQL hot name: distlock ≥ %.1f× pglock's acquisitions/s (same run)", targetHotPGLock),
		measured: none, outcome: "–"}
	if dl, pl := hotSeriesOf(res.db(target.Postgres), roleDistlock), hotSeriesOf(res.db(target.Postgres), "pglock"); dl != nil && pl != nil {
		r := stats.Of(stats.Ratios(dl.acq(), pl.acq()))
		v.measured = fmt.Sprintf("distlock %s acq/s, pglock %s: %s", spread(stats.Of(dl.acq()), count),
			spread(stats.Of(pl.acq()), count), spread(r, wideTimes))
		v.outcome = met(r.Median >= targetHotPGLock)
	}
	out = append(out, v)

	for _, name := range target.All {
		out = append(out, hotVerdict(fmt.Sprintf("11. %s: hot-name distlock ≥ %s acquisitions/s", dbLabels[name], thousands(targetHotAcq)),
			res.db(name), func(dl *hotSeries) (string, bool) {
				a := stats.Of(dl.acq())
				return spread(a, count) + " acq/s", a.Median >= targetHotAcq
			}))
	}
	for _, name := range target.All {
		out = append(out, hotVerdict(fmt.Sprintf("11. %s: hot-name distlock p99 wait ≤ %s", dbLabels[name], plainMs(targetHotP99)),
			res.db(name), func(dl *hotSeries) (string, bool) {
				p := stats.Of(dl.p99())
				return fmt.Sprintf("p99 %s ms (max %s)", spread(p, msec), dur(dl.maxWait())), p.Median <= stats.Millis(targetHotP99)
			}))
	}
	for _, name := range target.All {
		limit := targetHandoffP50By[name]
		out = append(out, handoffVerdict(fmt.Sprintf("11. %s: cross-process hand-off p50 ≤ %s", dbLabels[name], plainMs(limit)),
			res.db(name), limit))
	}
	for _, name := range target.All {
		v := verdict{goal: fmt.Sprintf("11. %s: a waiter SIGKILLed at the head of the line stalls the lock ≤ %g s",
			dbLabels[name], targetStall.Seconds()), measured: none, outcome: "–"}
		if db := res.db(name); db != nil && len(db.Stall) > 0 {
			n, timedOut, p50, most, _ := stallStats(db.Stall)
			v.measured = fmt.Sprintf("p50 %s, max %s (n = %d, %d timed out)", dur(p50), dur(most), n, timedOut)
			v.outcome = met(n > 0 && timedOut == 0 && most <= targetStall)
		}
		out = append(out, v)
	}
	for _, name := range target.All {
		limit := targetFloorRatioBy[name]
		v := verdict{goal: fmt.Sprintf("11. %s: uncontended acquire+release p50 ≤ %.1f× the write floor", dbLabels[name], limit),
			measured: none, outcome: "–"}
		if s, ok := ratio(res.db(name), roleDistlock, roleFloor); ok {
			v.measured = spread(s, times) + " of the floor"
			v.outcome = met(s.Median <= limit)
		}
		out = append(out, v)
	}
	return out
}

// hotVerdict is the verdict on db's distlock hot-name series: judge
// describes what it measured and whether that meets goal.
func hotVerdict(goal string, db *dbResult, judge func(*hotSeries) (string, bool)) verdict {
	v := verdict{goal: goal, measured: "not measured", outcome: "–"}
	if dl := hotSeriesOf(db, roleDistlock); dl != nil {
		var ok bool
		v.measured, ok = judge(dl)
		v.outcome = met(ok)
	}
	return v
}

// handoffVerdict checks db's distlock hand-off p50 (pooled over rounds)
// against limit.
func handoffVerdict(goal string, db *dbResult, limit time.Duration) verdict {
	v := verdict{goal: goal, measured: "not measured", outcome: "–"}
	if db == nil {
		return v
	}
	if h := db.handoff(roleDistlock); h != nil && len(h.Samples) > 0 {
		st := h.stats()
		v.measured = fmt.Sprintf("p50 %s, p99 %s (n = %d)", dur(st.P50), dur(st.P99), st.N)
		v.outcome = met(!isNever(st.P50) && st.P50 <= limit)
	}
	return v
}

// hotSeriesOf is db's hot-name series of key, if it ran at least one
// round.
func hotSeriesOf(db *dbResult, key string) *hotSeries {
	if db == nil {
		return nil
	}
	if s := db.hot(key); s != nil && len(s.Rounds) > 0 {
		return s
	}
	return nil
}

func renderTargets(b *strings.Builder, res *results) {
	b.WriteString("## Targets\n\n")
	var rows [][]string
	for _, v := range verdicts(res) {
		rows = append(rows, []string{v.goal, v.measured, v.outcome})
	}
	table(b, []string{"target", "measured in this run", "verdict"}, rows)
	b.WriteString("Ratios are medians over rounds of per-round ratios of p50s, with the largest\n" +
		"distance of a round from the median (benchstat's ±). Hand-off times run from\n" +
		"the holder's release call returning to the waiter's acquire returning. Hot-name figures\n" +
		"(section 11) are medians over rounds of per-round figures, and of per-round ratios.\n\n")
}
