// Package stats summarises latency samples and repeated rounds the way
// benchstat does: a median over rounds with the spread of the rounds
// around it, and ratios computed round by round.
package stats

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0 ≤ p ≤ 100) of samples by the
// nearest-rank method, or 0 for no samples. samples is sorted in place.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	slices.Sort(samples)
	rank := int(math.Ceil(p / 100 * float64(len(samples))))
	rank = min(max(rank, 1), len(samples))
	return samples[rank-1]
}

// Latency summarises one run of latency samples.
type Latency struct {
	N        int
	P50, P99 time.Duration
	Max      time.Duration
}

// Summarize computes a Latency from samples (sorted in place).
func Summarize(samples []time.Duration) Latency {
	if len(samples) == 0 {
		return Latency{}
	}
	return Latency{
		N:   len(samples),
		P50: Percentile(samples, 50),
		P99: Percentile(samples, 99),
		Max: samples[len(samples)-1],
	}
}

// Spread is a value measured once per round: its median and how far the
// rounds stray from it.
type Spread struct {
	Median   float64
	Min, Max float64
	N        int
}

// Of summarises one value per round.
func Of(values []float64) Spread {
	if len(values) == 0 {
		return Spread{}
	}
	v := slices.Clone(values)
	slices.Sort(v)
	mid := len(v) / 2
	med := v[mid]
	if len(v)%2 == 0 {
		med = (v[mid-1] + v[mid]) / 2
	}
	return Spread{Median: med, Min: v[0], Max: v[len(v)-1], N: len(v)}
}

// Pct is the largest distance of a round from the median, in percent of
// the median: benchstat's "± x%" for five or fewer rounds, where the 95%
// confidence interval of the median is the whole range.
func (s Spread) Pct() float64 {
	if s.Median == 0 {
		return 0
	}
	return 100 * max(s.Max-s.Median, s.Median-s.Min) / math.Abs(s.Median)
}

// Ratios divides a by b round by round (rounds where b is 0 are skipped).
func Ratios(a, b []float64) []float64 {
	out := make([]float64, 0, min(len(a), len(b)))
	for i := range min(len(a), len(b)) {
		if b[i] != 0 {
			out = append(out, a[i]/b[i])
		}
	}
	return out
}

// Millis converts a duration to float milliseconds.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
