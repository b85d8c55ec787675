package dialecttest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// events is a slog handler that passes the messages of a Module's log
// records to a channel: the signals tests wait for instead of sleeping.
type events chan string

func (e events) Enabled(context.Context, slog.Level) bool { return true }
func (e events) WithAttrs([]slog.Attr) slog.Handler       { return e }
func (e events) WithGroup(string) slog.Handler            { return e }
func (e events) Handle(_ context.Context, r slog.Record) error {
	select {
	case e <- r.Message:
	default: // nobody listens for this one
	}
	return nil
}

// await waits, at most 10 s, for a record whose message is msg.
func (e events) await(t *testing.T, msg string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-e:
			if got == msg {
				return
			}
		case <-timeout:
			t.Fatalf("no %q logged within 10s", msg)
		}
	}
}

const gaveBack = "distlock: gave back an acquisition whose outcome was lost"

// When a failure hides whether an acquire statement took the lock (its
// reply came after the caller's deadline, or the connection broke after
// the server ran it), the call fails, and the acquisition it may have
// made is given back at once: the lock is not held for MaxTime by a token
// nobody has. For TryAcquire, a waiting Acquire and Do.
func testLostOutcomeGivenBack(t *testing.T, h Harness) {
	tests := []struct {
		name     string
		fault    fault
		deadline time.Duration // of the caller's context; 0: none
		op       func(ctx context.Context, l *distlock.Lock) error
	}{
		{"TryAcquire/reply lost", replyLost, time.Second, func(ctx context.Context, l *distlock.Lock) error {
			_, err := l.TryAcquire(ctx)
			return err
		}},
		{"TryAcquire/connection lost", connLostAfter, 0, func(ctx context.Context, l *distlock.Lock) error {
			_, err := l.TryAcquire(ctx)
			return err
		}},
		{"Acquire/reply lost", replyLost, time.Second, func(ctx context.Context, l *distlock.Lock) error {
			err := l.Acquire(ctx)
			if err != nil && !(errors.Is(err, distlock.ErrNotAcquired) && errors.Is(err, context.DeadlineExceeded)) {
				return errors.New("want ErrNotAcquired and DeadlineExceeded, got " + err.Error())
			}
			return err
		}},
		{"Do/reply lost", replyLost, time.Second, func(ctx context.Context, l *distlock.Lock) error {
			return l.Do(ctx, func(context.Context) error { return errors.New("fn ran without the lock") })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, h, distlock.Config{})
			f, db := b.faulty(t)
			log := make(events, 16)
			m := b.module(t, db, distlock.Config{Logger: slog.New(log)}) // MaxTime: a minute
			name := uniqueName("lost")
			ctx := b.ctx
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			// Warm up: a dialect may look at the server on its first use.
			if _, err := m.Inspect(b.ctx, name); !errors.Is(err, distlock.ErrNotHeld) {
				t.Fatal(err)
			}
			f.inject(tt.fault)
			err := tt.op(ctx, m.Get(name))
			if err == nil {
				t.Fatal("the call succeeded; want the injected failure")
			}
			if err.Error() == "fn ran without the lock" {
				t.Fatal(err)
			}
			log.await(t, gaveBack)
			// Long before the minute's expiry, anyone can take it.
			if _, err := b.mod.TryAcquire(b.ctx, name); err != nil {
				t.Fatalf("after the give-back: %v", err)
			}
		})
	}
}

// A panic in Do's function stops the keep-alive and releases the lock
// before it goes on: a recovered panic does not leave the lock held.
func testDoPanics(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	name := uniqueName("panic")
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the function's panic", p)
			}
		}()
		_ = b.mod.Get(name).Do(b.ctx, func(context.Context) error { panic("boom") })
	}()
	if info, err := b.mod.Inspect(b.ctx, name); !errors.Is(err, distlock.ErrNotHeld) {
		t.Fatalf("after a panic in Do: %+v, %v; want the lock released", info, err)
	}
}

// Do's release at the end is retried through a broken connection, whether
// the failed release ran or not: the lock is free when Do returns.
func testDoReleaseRetried(t *testing.T, h Harness) {
	for _, fl := range []struct {
		name  string
		fault fault
	}{{"not run", connDown}, {"ran", connLostAfter}} {
		t.Run(fl.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, h, distlock.Config{})
			f, db := b.faulty(t)
			m := b.module(t, db, distlock.Config{})
			name := uniqueName("relretry")
			if _, err := m.Inspect(b.ctx, name); !errors.Is(err, distlock.ErrNotHeld) { // warm up
				t.Fatal(err)
			}
			err := m.Get(name).Do(b.ctx, func(context.Context) error {
				f.inject(fl.fault) // the next statement is the release
				return nil
			})
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if info, err := b.mod.Inspect(b.ctx, name); !errors.Is(err, distlock.ErrNotHeld) {
				t.Fatalf("after Do: %+v, %v; want the lock released", info, err)
			}
		})
	}
}

// A wait that ends while the database fails says why: the error matches
// the context's and the last database failure as well as ErrNotAcquired.
func testWaitEndsWithLastError(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	f, db := b.faulty(t)
	m := b.module(t, db, distlock.Config{RetryInterval: 10 * time.Millisecond})
	f.setAlways(connDown)
	ctx, cancel := context.WithTimeout(b.ctx, 300*time.Millisecond)
	defer cancel()
	err := m.Get(uniqueName("outage")).Acquire(ctx)
	f.setAlways(0)
	var dbErr *distlock.DBError
	if !errors.Is(err, distlock.ErrNotAcquired) || !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &dbErr) {
		t.Fatalf("Acquire during an outage: %v; want ErrNotAcquired, DeadlineExceeded and the *DBError", err)
	}
	if !errors.Is(err, errInjected) {
		t.Fatalf("Acquire during an outage: %v; want the database's error", err)
	}
}

// pauses records the back-off sleeps a waiter announces when an attempt
// fails.
type pauses struct {
	mu sync.Mutex
	d  []time.Duration
}

func (p *pauses) Enabled(context.Context, slog.Level) bool { return true }
func (p *pauses) WithAttrs([]slog.Attr) slog.Handler       { return p }
func (p *pauses) WithGroup(string) slog.Handler            { return p }
func (p *pauses) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "distlock: acquire failed; waiting on" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "sleep" {
			p.mu.Lock()
			p.d = append(p.d, a.Value.Duration())
			p.mu.Unlock()
		}
		return true
	})
	return nil
}

// Through an outage a waiter backs off exponentially from RetryInterval
// to MaxRetryInterval, each pause 0-25% longer at random.
func testBackOffThroughOutage(t *testing.T, h Harness) {
	const first, most = 10 * time.Millisecond, 80 * time.Millisecond
	b := setup(t, h, distlock.Config{})
	f, db := b.faulty(t)
	rec := &pauses{}
	m := b.module(t, db, distlock.Config{RetryInterval: first, MaxRetryInterval: most, Logger: slog.New(rec)})
	f.setAlways(connDown)
	ctx, cancel := context.WithTimeout(b.ctx, 700*time.Millisecond)
	defer cancel()
	if err := m.Get(uniqueName("outage")).Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire through an outage: %v; want it to wait until the deadline", err)
	}
	f.setAlways(0)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.d) < 6 {
		t.Fatalf("only %d pauses recorded: %v", len(rec.d), rec.d)
	}
	want := first
	jittered := false
	for i, d := range rec.d {
		if d < want || d > want+want/4 {
			t.Fatalf("pause %d = %v, want within [%v, %v] (all: %v)", i, d, want, want+want/4, rec.d)
		}
		jittered = jittered || d != want
		want = min(2*want, most)
	}
	if !jittered {
		t.Fatalf("no pause had jitter: %v", rec.d)
	}
}
