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

	v = verdict{goal: "4. PostgreSQL: cross-process hand-off p50 ≤ 5 ms", measured: none, outcome: "–"}
	if pg != nil {
		if h := pg.handoff(roleDistlock); h != nil && len(h.Samples) > 0 {
			st := h.stats()
			v.measured = fmt.Sprintf("p50 %s, p99 %s (n = %d)", dur(st.P50), dur(st.P99), st.N)
			v.outcome = met(!isNever(st.P50) && st.P50 <= targetHandoffP50)
		}
	}
	out = append(out, v)

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
	return out
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
		"the holder's release call returning to the waiter's acquire returning.\n\n")
}
