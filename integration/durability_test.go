package integration

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// PostgreSQL commits an acquisition, an extend and a release that grants
// the lock to a waiter durably, and a release that grants nothing, a
// failed attempt and the line's writes without waiting for the disk. The
// failover pair's primary has a synchronous standby: once the standby is
// stopped, a durable commit waits for it (here, until its context ends)
// and an asynchronous one returns at once.
func TestPostgresDurableOnlyWhereItMatters(t *testing.T) {
	t.Parallel()
	p := failoverPair(t)
	h, mod := setup(t, p.tg, distlock.Config{MaxTime: time.Minute})
	other, err := distlock.New(p.open(p.tg), p.tg.Dialect, distlock.Config{Table: h.table, MaxTime: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := t.Context()
	toks := map[string]distlock.Token{}
	for _, name := range []string{"plain", "extended", "granting", "held"} {
		if toks[name], err = mod.Acquire(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	waiter := make(chan error, 1)
	go func() { waiter <- other.Get("granting").Acquire(ctx) }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if info, err := mod.Inspect(ctx, "granting"); err == nil && info.Waiters == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the waiter took no place in line within 10s")
		}
	}
	p.run("stop-standby")

	const patience = time.Second
	timed := func(f func(ctx context.Context) error) (time.Duration, error) {
		ctx, cancel := context.WithTimeout(ctx, patience)
		defer cancel()
		start := time.Now()
		err := f(ctx)
		return time.Since(start), err
	}
	for _, op := range []struct {
		what string
		f    func(ctx context.Context) error
	}{
		{"a release that grants nothing", func(ctx context.Context) error { return mod.Release(ctx, "plain", toks["plain"]) }},
		{"an attempt that finds the lock held", func(ctx context.Context) error {
			_, err := other.TryAcquire(ctx, "held")
			if err != nil && !errorsIsNotAcquired(err) {
				return err
			}
			return nil
		}},
		{"a waiter taking a place in line", func(ctx context.Context) error {
			wctx, cancel := context.WithCancel(ctx)
			defer cancel()
			go other.Get("held").Acquire(wctx) //nolint:errcheck // it waits until cancelled
			for {
				if info, err := mod.Inspect(ctx, "held"); err == nil && info.Waiters == 1 {
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				time.Sleep(5 * time.Millisecond)
			}
		}},
	} {
		took, err := timed(op.f)
		if err != nil || took > patience/2 {
			t.Errorf("%s took %v (%v) with the synchronous standby down; want it back at once: it needs no durable commit", op.what, took, err)
		}
	}
	for _, op := range []struct {
		what string
		f    func(ctx context.Context) error
	}{
		{"an acquisition", func(ctx context.Context) error { _, err := mod.TryAcquire(ctx, "fresh"); return err }},
		{"an extend", func(ctx context.Context) error { return mod.Extend(ctx, "extended", toks["extended"]) }},
		{"a release that grants the lock to a waiter", func(ctx context.Context) error {
			return mod.Release(ctx, "granting", toks["granting"])
		}},
	} {
		if took, err := timed(op.f); took < patience*9/10 {
			t.Errorf("%s returned after %v (%v) with the synchronous standby down; want it to wait for the standby (a durable commit) until its context ends", op.what, took, err)
		}
	}
}

func errorsIsNotAcquired(err error) bool { return errors.Is(err, distlock.ErrNotAcquired) }
