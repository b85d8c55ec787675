package bench_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/distlock/distlock/bench/internal/floor"
	"github.com/distlock/distlock/bench/internal/stats"
	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/distlock"
)

// lease is the MaxTime of every distlock Module here, and pglock's lease.
const lease = time.Minute

// openTarget opens the database name for b, or skips b when its URL is
// not set. SQLite gets a fresh file in b's temporary directory.
func openTarget(b *testing.B, name string) *target.Target {
	b.Helper()
	var t *target.Target
	var err error
	if name == target.SQLite {
		t, err = target.NewSQLite(b.TempDir())
	} else {
		var url string
		url, err = target.URLFromEnv(name, os.Getenv)
		if errors.Is(err, target.ErrNoURL) {
			b.Skip(err)
		}
		if err == nil {
			t, err = target.Open(name, url)
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { t.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := t.Ping(ctx); err != nil {
		b.Fatal(err)
	}
	return t
}

// module returns a migrated distlock Module on t, closed with b.
func module(b *testing.B, t *target.Target, table string) *distlock.Module {
	b.Helper()
	m, err := t.Module(b.Context(), table, distlock.Config{MaxTime: lease})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

// newFloor returns the floor statements on t, closed with b.
func newFloor(b *testing.B, t *target.Target) *floor.Floor {
	b.Helper()
	f, err := floor.New(b.Context(), t, 64)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// loop runs op b.N times (b.Loop), timing each call, and reports the
// median and 99th percentile latency in milliseconds.
func loop(b *testing.B, op func(ctx context.Context) error) {
	b.Helper()
	ctx := b.Context()
	if err := op(ctx); err != nil { // warm: connect, prepare
		b.Fatal(err)
	}
	samples := make([]time.Duration, 0, 1024)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if err := op(ctx); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(t0))
	}
	b.StopTimer()
	l := stats.Summarize(samples)
	b.ReportMetric(stats.Millis(l.P50), "p50-ms")
	b.ReportMetric(stats.Millis(l.P99), "p99-ms")
}
