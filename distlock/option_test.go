package distlock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// WithMaxTime sets one handle's lease: its acquisitions and extensions
// last that long whatever the Module's MaxTime, Do keeps it alive at its
// pace, and a bad length is reported by the first operation.
func TestWithMaxTime(t *testing.T) {
	t.Parallel()
	mod, _, done := openExampleDB(distlock.Config{MaxTime: time.Hour})
	defer done()
	ctx := t.Context()
	const lease = 2 * time.Second

	l := mod.Get("short", distlock.WithMaxTime(lease))
	if err := l.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	remaining := func() time.Duration {
		t.Helper()
		info, err := mod.Inspect(ctx, "short")
		if err != nil {
			t.Fatal(err)
		}
		return info.Remaining
	}
	if r := remaining(); r > lease || r < lease-time.Second {
		t.Fatalf("after Acquire the lock has %v left, want about %v (not the Module's hour)", r, lease)
	}
	if err := l.Extend(ctx); err != nil {
		t.Fatal(err)
	}
	if r := remaining(); r > lease || r < lease-time.Second {
		t.Fatalf("after Extend the lock has %v left, want about %v", r, lease)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if got := mod.Get("other").Fence(); got != 0 { // another handle keeps the Module's default
		t.Fatalf("fence of an unused handle %d", got)
	}

	// Do keeps a short lease alive past its length.
	err := mod.Get("kept", distlock.WithMaxTime(lease)).Do(ctx, func(ctx context.Context) error {
		select {
		case <-time.After(lease + lease/2):
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	if err != nil {
		t.Fatalf("Do past the lease: %v", err)
	}

	for _, d := range []time.Duration{0, -time.Second, time.Microsecond, distlock.MaxDuration + 1} {
		if err := mod.Get("bad", distlock.WithMaxTime(d)).Acquire(ctx); !errors.Is(err, distlock.ErrInvalidConfig) {
			t.Errorf("WithMaxTime(%v): %v, want ErrInvalidConfig", d, err)
		}
	}
}
