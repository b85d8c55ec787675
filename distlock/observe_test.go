package distlock_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// events records what an Observer receives.
type events struct {
	mu   sync.Mutex
	list []distlock.Event
}

func (e *events) Observe(_ context.Context, ev distlock.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
}

func (e *events) take() []distlock.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.list
	e.list = nil
	return out
}

// An Observer sees each acquisition's outcome (with its wait and
// attempts), each last release (with the hold time) and nothing for a
// re-entry; a waiting Acquire that times out is an acquisition that
// failed.
func TestObserver(t *testing.T) {
	t.Parallel()
	var seen events
	mod, _, done := openExampleDB(distlock.Config{Observer: &seen, RetryInterval: 5 * time.Millisecond})
	defer done()
	ctx := t.Context()

	l := mod.Get("observed")
	if err := l.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Acquire(ctx); err != nil { // re-entry
		t.Fatal(err)
	}
	other := mod.Get("observed")
	if ok, err := other.TryAcquire(ctx); ok || err != nil {
		t.Fatalf("TryAcquire of a held lock: %v, %v", ok, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	deadline, _ := wctx.Deadline()
	minWait := time.Until(deadline) // the Acquire starts after this, and ends after the deadline
	werr := other.Acquire(wctx)
	cancel()
	time.Sleep(20 * time.Millisecond)
	if err := l.Release(ctx); err != nil { // one of two holds
		t.Fatal(err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	got := seen.take()
	if len(got) != 4 {
		t.Fatalf("%d events, want 4: %+v", len(got), got)
	}
	if e := got[0]; e.Op != distlock.OpAcquire || !e.Acquired || e.Attempts != 1 || e.Name != "observed" || e.Err != nil {
		t.Errorf("first acquisition: %+v", e)
	}
	if e := got[1]; e.Op != distlock.OpAcquire || e.Acquired || e.Err != nil {
		t.Errorf("TryAcquire of a held lock: %+v", e)
	}
	if e := got[2]; e.Op != distlock.OpAcquire || e.Acquired || !errors.Is(e.Err, werr) || e.Wait < minWait {
		t.Errorf("a waiting Acquire that timed out: %+v (its error %v)", e, werr)
	}
	if e := got[3]; e.Op != distlock.OpRelease || e.Held < 70*time.Millisecond {
		t.Errorf("the last release: %+v", e)
	}
}

// A lock Do loses (its row deleted behind its back, so the next extension
// fails) is reported as OpLost.
func TestObserverLost(t *testing.T) {
	t.Parallel()
	var seen events
	mod, db, done := openExampleDB(distlock.Config{Observer: &seen})
	defer done()
	ctx := t.Context()
	err := mod.Get("lost", distlock.WithMaxTime(600*time.Millisecond)).Do(ctx, func(ctx context.Context) error {
		if _, err := db.ExecContext(ctx, "DELETE FROM distlock WHERE name = 'lost'"); err != nil {
			return err
		}
		<-ctx.Done()
		return context.Cause(ctx)
	})
	if !errors.Is(err, distlock.ErrLost) {
		t.Fatalf("Do: %v, want ErrLost", err)
	}
	var lost int
	for _, e := range seen.take() {
		if e.Op == distlock.OpLost && e.Name == "lost" && e.Held > 0 {
			lost++
		}
	}
	if lost != 1 {
		t.Fatalf("%d OpLost events, want 1", lost)
	}
}
