package stats

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {99, 99}, {100, 100}, {0, 1}, {1, 1}} {
		if got := Percentile(s, c.p); got != c.want {
			t.Errorf("Percentile(1..100, %v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(nil) = %v, want 0", got)
	}
}

func TestSpread(t *testing.T) {
	s := Of([]float64{3, 1, 2, 10, 2})
	if s.Median != 2 || s.Min != 1 || s.Max != 10 || s.N != 5 {
		t.Fatalf("Of = %+v", s)
	}
	if got := s.Pct(); got != 400 {
		t.Errorf("Pct = %v, want 400", got)
	}
	if got := Of([]float64{1, 3}).Median; got != 2 {
		t.Errorf("median of an even count = %v, want 2", got)
	}
}

func TestRatios(t *testing.T) {
	got := Ratios([]float64{2, 3, 4}, []float64{1, 0, 2})
	if len(got) != 2 || got[0] != 2 || got[1] != 2 {
		t.Errorf("Ratios = %v, want [2 2] (a zero divisor skipped)", got)
	}
}
