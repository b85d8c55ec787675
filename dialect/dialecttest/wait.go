package dialecttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
)

// acquireInBackground starts m.Acquire(name) with a 10 s limit and
// returns its result.
func acquireInBackground(b *bundle, m *distlock.Module, name string) <-chan error {
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		_, err := m.Acquire(ctx, name)
		got <- err
	}()
	return got
}

// patient polls so rarely that a test using it can only pass if the
// waiter is woken by a release or by the holder's expiry.
var patient = distlock.Config{RetryInterval: time.Hour}

// A release in the same Module wakes its waiters at once.
func testWaitWokenByLocalRelease(t *testing.T, h Harness) {
	b := setup(t, h, patient)
	name := uniqueName("wake")
	holder := b.mod.Get(name)
	if err := holder.Acquire(b.ctx); err != nil {
		t.Fatal(err)
	}
	got := acquireInBackground(b, b.mod, name)
	time.Sleep(100 * time.Millisecond) // let the waiter try once and sleep
	select {
	case err := <-got:
		t.Fatalf("Acquire returned while the lock was held: %v", err)
	default:
	}
	if err := holder.Release(b.ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter was not woken by the release (its next poll is an hour away): %v", err)
	}
}

// A waiter wakes when the holder's lock expires, even if its back-off
// would have it sleep far longer.
func testWaitNeverSleepsPastExpiry(t *testing.T, h Harness) {
	b := setup(t, h, patient)
	other := b.peer(t, distlock.Config{MaxTime: short})
	name := uniqueName("expiry-wait")
	if _, err := other.Acquire(b.ctx, name); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := b.mod.Acquire(ctx, name); err != nil {
		t.Fatalf("waiter did not wake at the holder's expiry (its next poll is an hour away): %v", err)
	}
	if waited := time.Since(start); waited < short-100*time.Millisecond {
		t.Fatalf("acquired after %v, before the holder's %v expired", waited, short)
	}
}

// Waiters in other processes get the lock once it is released, by polling
// (or by push, where the dialect has it).
func testWaitAcrossProcesses(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	waiter := b.peer(t, distlock.Config{RetryInterval: 10 * time.Millisecond})
	name := uniqueName("cross")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	got := acquireInBackground(b, waiter, name)
	time.Sleep(100 * time.Millisecond)
	if err := b.mod.Release(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter in another module: %v", err)
	}
}

// When ctx ends, Acquire gives up with an error matching both
// ErrNotAcquired and ctx.Err(), and leaves nothing behind.
func testWaitContextEnds(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{RetryInterval: 20 * time.Millisecond})
	name := uniqueName("deadline")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 200*time.Millisecond)
	defer cancel()
	l := b.mod.Get(name)
	err = l.Acquire(ctx)
	if !errors.Is(err, distlock.ErrNotAcquired) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire past its deadline: got %v, want ErrNotAcquired and DeadlineExceeded", err)
	}
	if l.Token() != "" {
		t.Fatal("a handle that gave up reports a token")
	}
	if info, err := b.mod.Inspect(b.ctx, name); err != nil || info.Holds != 1 {
		t.Fatalf("the holder's lock changed: %+v, %v", info, err)
	}
	if err := b.mod.Release(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
}

// On dialects that push (dialect.Listener), a release in one process wakes
// the waiters of every other process at once, where the connection can
// push (not through a pooler in transaction mode: there waiters poll).
func testWaitWokenByRemoteRelease(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	store, err := h.Dialect.Bind(b.db, b.table)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	l, ok := store.(dialect.Listener)
	if !ok {
		t.Skipf("the %s dialect does not push releases; its waiters poll", h.Dialect.Name())
	}
	if err := listenWorks(t, b.ctx, l); err != nil {
		t.Skipf("push wake-ups do not work on this connection (%v); its waiters poll", err)
	}
	waiter := b.peer(t, patient)
	name := uniqueName("push")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	got := acquireInBackground(b, waiter, name)
	time.Sleep(300 * time.Millisecond) // the waiter tries, starts listening, sleeps
	if err := b.mod.Release(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter in another module was not woken by the release (its next poll is an hour away): %v", err)
	}
}

// listenWorks runs l.Listen until it is ready, and returns nil, or until
// it gives up with dialect.ErrListenUnsupported, and returns that error.
// Any other outcome within 30 s fails the test.
func listenWorks(t *testing.T, ctx context.Context, l dialect.Listener) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- l.Listen(ctx, func() { close(ready) }, func(dialect.Notice) {}) }()
	select {
	case <-ready:
		cancel()
		<-done
		return nil
	case err := <-done:
		if errors.Is(err, dialect.ErrListenUnsupported) {
			return err
		}
		t.Fatalf("Listen failed before it was ready: %v", err)
	case <-ctx.Done():
		t.Fatal("Listen was neither ready nor gave up within 30s")
	}
	return nil
}
