package main

import (
	"time"

	"github.com/distlock/distlock/bench/internal/hot"
	"github.com/distlock/distlock/bench/internal/stats"
)

// Derived figures: medians over rounds and per-round ratios.

func (s *latencySeries) p50() []float64 {
	out := make([]float64, len(s.Rounds))
	for i, r := range s.Rounds {
		out[i] = stats.Millis(r.P50)
	}
	return out
}

func (s *latencySeries) p99() []float64 {
	out := make([]float64, len(s.Rounds))
	for i, r := range s.Rounds {
		out[i] = stats.Millis(r.P99)
	}
	return out
}

func (s *latencySeries) allocs() stats.Spread {
	v := make([]float64, len(s.Rounds))
	for i, r := range s.Rounds {
		v[i] = r.AllocsPerOp
	}
	return stats.Of(v)
}

func (s *latencySeries) bytes() stats.Spread {
	v := make([]float64, len(s.Rounds))
	for i, r := range s.Rounds {
		v[i] = r.BytesPerOp
	}
	return stats.Of(v)
}

func (s *latencySeries) ops() int {
	n := 0
	for _, r := range s.Rounds {
		n += r.N
	}
	return n
}

// handoffStats pools the samples of a series: percentiles of the time from
// the release returning (and from it being sent), with timed-out samples
// counted as longer than any other.
type handoffStats struct {
	N, TimedOut                 int
	P50, P90, P99, Max, SentP50 time.Duration
}

func (s *handoffSeries) stats() handoffStats {
	const never = time.Duration(1<<63 - 1)
	var ret, sent []time.Duration
	st := handoffStats{N: len(s.Samples)}
	for _, x := range s.Samples {
		if x.TimedOut {
			st.TimedOut++
			ret, sent = append(ret, never), append(sent, never)
			continue
		}
		ret, sent = append(ret, x.FromReturned), append(sent, x.FromSent)
	}
	l := stats.Summarize(ret)
	st.P50, st.P99, st.Max = l.P50, l.P99, l.Max
	st.P90 = stats.Percentile(ret, 90)
	st.SentP50 = stats.Percentile(sent, 50)
	return st
}

// isNever reports whether a pooled hand-off percentile is a timeout.
func isNever(d time.Duration) bool { return d == time.Duration(1<<63-1) }

// per returns f of every round.
func (s *hotSeries) per(f func(hot.Result) float64) []float64 {
	out := make([]float64, len(s.Rounds))
	for i, r := range s.Rounds {
		out[i] = f(r)
	}
	return out
}

func (s *hotSeries) acq() []float64 { return s.per(hot.Result.AcqPerSec) }

func (s *hotSeries) minShare() []float64 { return s.per(hot.Result.MinShare) }

func (s *hotSeries) p50() []float64 {
	return s.per(func(r hot.Result) float64 { return stats.Millis(r.Wait.P50) })
}

func (s *hotSeries) p99() []float64 {
	return s.per(func(r hot.Result) float64 { return stats.Millis(r.Wait.P99) })
}

// maxWait is the longest wait of any round.
func (s *hotSeries) maxWait() time.Duration {
	var m time.Duration
	for _, r := range s.Rounds {
		m = max(m, r.Wait.Max)
	}
	return m
}
