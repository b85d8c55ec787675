package distlock_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect/sqlite"
	"github.com/distlock/distlock/distlock"
)

// sleeps records the pauses a waiter announces in its debug log.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) Enabled(context.Context, slog.Level) bool { return true }
func (s *sleeps) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *sleeps) WithGroup(string) slog.Handler            { return s }
func (s *sleeps) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "distlock: waiting" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "sleep" {
			s.mu.Lock()
			s.d = append(s.d, a.Value.Duration())
			s.mu.Unlock()
		}
		return true
	})
	return nil
}

// A waiter backs off exponentially from RetryInterval to MaxRetryInterval,
// each pause 0-25% longer at random, and never past the holder's expiry.
func TestWaitBacksOffWithJitter(t *testing.T) {
	t.Parallel()
	const first, most = 10 * time.Millisecond, 80 * time.Millisecond
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "locks.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	holder, err := distlock.New(db, sqlite.Dialect(), distlock.Config{MaxTime: 700 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := holder.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	rec := &sleeps{}
	waiter, err := distlock.New(db, sqlite.Dialect(), distlock.Config{
		RetryInterval: first, MaxRetryInterval: most, Logger: slog.New(rec),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()
	if _, err := holder.Acquire(t.Context(), "busy"); err != nil {
		t.Fatal(err)
	}
	// The holder never releases: the waiter gets the lock at expiry.
	if _, err := waiter.Acquire(t.Context(), "busy"); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.d) < 5 {
		t.Fatalf("only %d pauses recorded: %v", len(rec.d), rec.d)
	}
	want := first
	jittered := false
	for i, d := range rec.d[:len(rec.d)-1] { // the last pause is cut to the expiry
		if d < want || d > want+want/4 {
			t.Fatalf("pause %d = %v, want within [%v, %v] (all: %v)", i, d, want, want+want/4, rec.d)
		}
		jittered = jittered || d != want
		want = min(2*want, most)
	}
	if last := rec.d[len(rec.d)-1]; last > want+want/4 {
		t.Fatalf("last pause %v longer than the back-off allows", last)
	}
	if !jittered {
		t.Fatalf("no pause had jitter: %v", rec.d)
	}
}
