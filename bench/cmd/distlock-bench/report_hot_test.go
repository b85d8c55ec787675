package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distlock/distlock/bench/internal/handoff"
	"github.com/distlock/distlock/bench/internal/hot"
	"github.com/distlock/distlock/bench/internal/stats"
	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/bench/internal/workload"
)

// hotRound is a hand-made hot-name round: cycles in one second, waits in
// ms, cycles per goroutine (adding up to cycles).
func hotRound(cycles int, p50, p99, maxWait float64, perWaiter ...int) hot.Result {
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	return hot.Result{Cycles: cycles, Elapsed: time.Second, PerWaiter: perWaiter,
		Wait: stats.Latency{N: cycles, P50: ms(p50), P99: ms(p99), Max: ms(maxWait)}}
}

// latencyRounds is a hand-made latency series with these p50s in ms.
func latencyRounds(key string, p50s ...float64) *latencySeries {
	s := &latencySeries{Key: key}
	for _, v := range p50s {
		s.Rounds = append(s.Rounds, workload.Latency{Latency: stats.Latency{P50: time.Duration(v * float64(time.Millisecond))}})
	}
	return s
}

// handoffAt is a hand-off series of one sample per given time in ms.
func handoffAt(ms ...float64) *handoffSeries {
	s := &handoffSeries{Key: roleDistlock}
	for _, v := range ms {
		s.Samples = append(s.Samples, handoff.Sample{FromReturned: time.Duration(v * float64(time.Millisecond))})
	}
	return s
}

// hotResults is a run where PostgreSQL meets the issue 11 targets and
// MariaDB misses them; SQLite did not run.
func hotResults() *results {
	pg := &dbResult{Name: target.Postgres, Label: dbLabels[target.Postgres], Settings: target.Settings{Version: "15"},
		Hot: []*hotSeries{
			{Key: roleDistlock, Label: "distlock", Rounds: []hot.Result{
				hotRound(2000, 10, 40, 90, 800, 1200), hotRound(1800, 12, 60, 120, 900, 900), hotRound(2200, 9, 30, 70, 1000, 1200)}},
			{Key: "pglock", Label: "pglock", Rounds: []hot.Result{
				hotRound(16, 900, 4000, 4800, 0, 16), hotRound(20, 800, 3000, 5100, 4, 16), hotRound(16, 1000, 4500, 4900, 8, 8)}},
		},
		Handoff: []*handoffSeries{handoffAt(0.4, 0.6, 0.9)},
		Stall:   []stallSample{{Stall: 300 * time.Millisecond}, {Stall: 700 * time.Millisecond}, {Stall: 500 * time.Millisecond}},
		Latency: []*latencySeries{latencyRounds(roleFloor, 2, 2, 2), latencyRounds(roleDistlock, 1.6, 1.7, 1.8)},
	}
	my := &dbResult{Name: target.MySQL, Label: dbLabels[target.MySQL], Settings: target.Settings{Version: "10.11"},
		Hot: []*hotSeries{
			{Key: roleDistlock, Label: "distlock", Rounds: []hot.Result{hotRound(500, 40, 150, 300, 200, 300)}},
			{Key: "get_lock", Label: "GET_LOCK", Rounds: []hot.Result{hotRound(5000, 3, 9, 12, 2500, 2500)}},
		},
		Handoff: []*handoffSeries{handoffAt(4, 6, 8)},
		Stall:   []stallSample{{Stall: 300 * time.Millisecond}, {TimedOut: true}},
		Latency: []*latencySeries{latencyRounds(roleFloor, 2), latencyRounds(roleDistlock, 2.4)},
	}
	sq := &dbResult{Name: target.SQLite, Label: dbLabels[target.SQLite], Skipped: "not wanted"}
	return &results{Opts: options{HotDuration: 2 * time.Second}, DBs: []*dbResult{pg, my, sq}}
}

func TestHotRows(t *testing.T) {
	res := hotResults()
	got := hotRows(res.db(target.Postgres))
	want := [][]string{
		{"**distlock**", "2000 ±10%", "10.0 ±20%", "40.0 ±50%", "120", "0.91 ±12%", "–"},
		// acq/s 16, 20, 16; per-round ratios 125, 90, 137.5; min-shares 0, 0.4, 1.
		{"pglock", "16.0 ±25%", "900 ±11%", "4000 ±25%", "5100", "0.40 ±150%", "125× ±28%"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("hotRows(PostgreSQL) =\n%q\nwant\n%q", got, want)
	}
	if rows := hotRows(res.db(target.SQLite)); len(rows) != 0 {
		t.Errorf("hotRows of a database without the section = %q", rows)
	}
}

func TestRenderHot(t *testing.T) {
	var b strings.Builder
	renderHot(&b, hotResults())
	out := b.String()
	for _, want := range []string{"## 11. One hot name", "for 2s per subject", "### PostgreSQL\n", "### MariaDB/MySQL\n",
		"| GET_LOCK | 5000 | 3.00 | 9.00 | 12.0 | 1.00 | 0.10× |"} {
		if !strings.Contains(out, want) {
			t.Errorf("renderHot lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "### SQLite") {
		t.Errorf("renderHot shows a skipped database:\n%s", out)
	}
	b.Reset()
	renderHot(&b, &results{DBs: []*dbResult{{Name: target.SQLite, Settings: target.Settings{Version: "3"}}}})
	if b.Len() != 0 {
		t.Errorf("renderHot without hot-name figures wrote:\n%s", b.String())
	}
}

func TestHotVerdicts(t *testing.T) {
	got := map[string]verdict{}
	for _, v := range hotVerdicts(hotResults()) {
		got[v.goal] = v
	}
	for goal, want := range map[string]string{
		"11. PostgreSQL hot name: distlock ≥ 1.5× pglock's acquisitions/s (same run)":         met(true),
		"11. PostgreSQL: hot-name distlock ≥ 1,000 acquisitions/s":                            met(true),
		"11. MariaDB/MySQL: hot-name distlock ≥ 1,000 acquisitions/s":                         met(false),
		"11. SQLite: hot-name distlock ≥ 1,000 acquisitions/s":                                "–",
		"11. PostgreSQL: hot-name distlock p99 wait ≤ 100 ms":                                 met(true),
		"11. MariaDB/MySQL: hot-name distlock p99 wait ≤ 100 ms":                              met(false),
		"11. SQLite: hot-name distlock p99 wait ≤ 100 ms":                                     "–",
		"11. PostgreSQL: cross-process hand-off p50 ≤ 1 ms":                                   met(true),
		"11. MariaDB/MySQL: cross-process hand-off p50 ≤ 5 ms":                                met(false),
		"11. SQLite: cross-process hand-off p50 ≤ 5 ms":                                       "–",
		"11. PostgreSQL: uncontended acquire+release p50 ≤ 0.9× the write floor":              met(true),
		"11. MariaDB/MySQL: uncontended acquire+release p50 ≤ 1.1× the write floor":           met(false),
		"11. SQLite: uncontended acquire+release p50 ≤ 0.9× the write floor":                  "–",
		"11. PostgreSQL: a waiter SIGKILLed at the head of the line stalls the lock ≤ 1 s":    met(true),
		"11. MariaDB/MySQL: a waiter SIGKILLed at the head of the line stalls the lock ≤ 1 s": met(false),
		"11. SQLite: a waiter SIGKILLed at the head of the line stalls the lock ≤ 1 s":        "–",
	} {
		v, ok := got[goal]
		if !ok {
			t.Errorf("no verdict %q", goal)
			continue
		}
		if v.outcome != want {
			t.Errorf("%q: %s (%s), want %s", goal, v.outcome, v.measured, want)
		}
		if want == "–" && v.measured != "not measured" {
			t.Errorf("%q: measured %q, want not measured", goal, v.measured)
		}
	}
	if n := len(got); n != 16 {
		t.Errorf("%d issue 11 verdicts, want 16", n)
	}
	if v := got["11. PostgreSQL: a waiter SIGKILLed at the head of the line stalls the lock ≤ 1 s"]; v.measured != "p50 500 ms, max 700 ms (n = 3, 0 timed out)" {
		t.Errorf("stall verdict measured %q", v.measured)
	}
	pg := got["11. PostgreSQL hot name: distlock ≥ 1.5× pglock's acquisitions/s (same run)"]
	if want := "distlock 2000 ±10% acq/s, pglock 16.0 ±25%: 125× ±28%"; pg.measured != want {
		t.Errorf("pglock verdict measured %q, want %q", pg.measured, want)
	}
}

func TestHandoffVerdictTimeout(t *testing.T) {
	db := &dbResult{Handoff: []*handoffSeries{{Key: roleDistlock, Samples: []handoff.Sample{{TimedOut: true}}}}}
	if v := handoffVerdict("g", db, time.Hour); v.outcome != met(false) {
		t.Errorf("a timed-out hand-off: %s (%s), want missed", v.outcome, v.measured)
	}
	if v := handoffVerdict("g", nil, time.Hour); v.measured != "not measured" {
		t.Errorf("no database: measured %q", v.measured)
	}
}

func TestVerdictsKeepTarget4(t *testing.T) {
	var goals []string
	for _, v := range verdicts(hotResults()) {
		goals = append(goals, v.goal)
	}
	if !slices.Contains(goals, "4. PostgreSQL: cross-process hand-off p50 ≤ 5 ms") {
		t.Errorf("target 4 is gone: %q", goals)
	}
}

func TestWideTimes(t *testing.T) {
	for v, want := range map[float64]string{125.4: "125×", 1.234: "1.23×", 0.1: "0.10×", 0.0041: "0.0041×"} {
		if got := wideTimes(v); got != want {
			t.Errorf("wideTimes(%v) = %s, want %s", v, got, want)
		}
	}
}

func TestBargeNote(t *testing.T) {
	res := hotResults() // pglock: min-share 0.40, longest wait 5.1 s
	if n := bargeNote(res.db(target.Postgres), 2*time.Second); !strings.Contains(n, "0.40 of the mean") || !strings.Contains(n, "5.1 s") {
		t.Errorf("bargeNote = %q", n)
	}
	if n := bargeNote(res.db(target.Postgres), 10*time.Second); n != "" {
		t.Errorf("bargeNote with no wait past the measuring time = %q", n)
	}
	if n := bargeNote(res.db(target.MySQL), 2*time.Second); n != "" {
		t.Errorf("bargeNote without pglock = %q", n)
	}
}
