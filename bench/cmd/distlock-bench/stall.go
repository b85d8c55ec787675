package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/distlock"
)

// stallSample is one dead waiter at the head of a line.
type stallSample struct {
	// Stall runs from the holder's release call returning to the next
	// waiter's acquire returning; FromKill from the SIGKILL of the head.
	Stall, FromKill time.Duration
	TimedOut        bool
}

// stallLimit bounds one sample's wait for the next waiter.
const stallLimit = 30 * time.Second

// runStall measures what a waiter killed at the head of a lock's line
// costs the lock: this process holds the lock; a waiter process takes
// the first place in line; a second waiter (this process, through a
// Module and pool of its own) takes the next; the first is SIGKILLed and
// the holder releases at once. The next waiter gets the lock when the
// dead one's place lapses (or, where releases grant the lock, when the
// grant made to the dead place does).
func runStall(ctx context.Context, e *env, db *dbResult, t *target.Target) error {
	m, err := t.Module(ctx, lockTable, distlock.Config{MaxTime: e.opts.Lease})
	if err != nil {
		return err
	}
	defer m.Close()
	other, err := target.Open(t.Name, t.URL)
	if err != nil {
		return err
	}
	defer other.Close()
	next, err := other.Module(ctx, lockTable, distlock.Config{MaxTime: e.opts.Lease})
	if err != nil {
		return err
	}
	defer next.Close()
	for n := range e.opts.StallSamples {
		s, err := e.stallOnce(ctx, m, next, t, e.name("stall", n))
		if err != nil {
			return err
		}
		db.Stall = append(db.Stall, s)
	}
	e.logf("stall %s: %d samples", db.Name, len(db.Stall))
	return nil
}

// stallOnce measures one dead head of the line of name.
func (e *env) stallOnce(ctx context.Context, m, next *distlock.Module, t *target.Target, name string) (stallSample, error) {
	holder := m.Get(name)
	if err := holder.Acquire(ctx); err != nil {
		return stallSample{}, err
	}
	defer holder.Release(context.WithoutCancel(ctx)) // if the sample failed before its release
	h, err := e.startWaiter(ctx, t, roleDistlock, "")
	if err != nil {
		return stallSample{}, err
	}
	defer h.Close() // after Kill, it only reaps the process
	if err := h.Begin(ctx, []string{name}, 30*time.Second); err != nil {
		return stallSample{}, err
	}
	if err := waitersBecome(ctx, m, name, 1); err != nil {
		return stallSample{}, fmt.Errorf("the waiter process: %w", err)
	}
	got := make(chan error, 1)
	var acquired time.Time
	wctx, cancel := context.WithTimeout(ctx, stallLimit)
	defer cancel()
	l := next.Get(name)
	go func() {
		err := l.Acquire(wctx)
		acquired = time.Now()
		got <- err
	}()
	if err := waitersBecome(ctx, m, name, 2); err != nil {
		return stallSample{}, fmt.Errorf("the next waiter: %w", err)
	}
	if err := h.Kill(); err != nil {
		return stallSample{}, err
	}
	killed := time.Now()
	if err := holder.Release(ctx); err != nil {
		return stallSample{}, err
	}
	released := time.Now()
	if err := <-got; err != nil {
		if wctx.Err() != nil && ctx.Err() == nil {
			return stallSample{TimedOut: true}, nil
		}
		return stallSample{}, err
	}
	defer l.Release(context.WithoutCancel(ctx))
	return stallSample{Stall: acquired.Sub(released), FromKill: acquired.Sub(killed)}, nil
}

// waitersBecome waits until Inspect counts n places in the line of name.
func waitersBecome(ctx context.Context, m *distlock.Module, name string, n int) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := m.Inspect(ctx, name)
		if err == nil && info.Waiters == n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d waiters in line after 30s, want %d (%v)", info.Waiters, n, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// stallStats are the samples' median and largest stalls.
func stallStats(samples []stallSample) (n, timedOut int, p50, maxStall, killP50 time.Duration) {
	var stalls, kills []time.Duration
	for _, s := range samples {
		if s.TimedOut {
			timedOut++
			continue
		}
		stalls, kills = append(stalls, s.Stall), append(kills, s.FromKill)
	}
	if len(stalls) == 0 {
		return 0, timedOut, 0, 0, 0
	}
	slices.Sort(stalls)
	slices.Sort(kills)
	return len(stalls), timedOut, stalls[len(stalls)/2], stalls[len(stalls)-1], kills[len(kills)/2]
}
