package distlock

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/distlock/distlock/dialect"
)

// Lock is a handle on one named lock. A handle that acquires the lock
// holds it under its own token; acquiring again through the same handle
// (or through a handle Attached to its token, in any process) re-enters it
// and counts one more hold. The lock is free when every hold is released,
// or when MaxTime passes without an Extend.
//
// A Lock is safe for concurrent use, but it is one holder: goroutines
// sharing a handle share its holds.
type Lock struct {
	m    *Module
	name string
	err  error // a bad name, token or option, reported by every operation
	// maxTime is the lease length of this handle's acquisitions
	// (WithMaxTime, else Config.MaxTime).
	maxTime time.Duration
	// ownLease is true when WithMaxTime set maxTime: then the handle's
	// re-entries and Extends set the lease the row remembers to it, where
	// others renew the lease the row remembers.
	ownLease bool

	mu       sync.Mutex
	tok      Token         // "" when not held
	holds    int           // the row's holds, as last seen
	fence    int64         // fence of the current acquisition
	deadline time.Time     // local, conservative estimate of the expiry
	lease    time.Duration // the acquisition's lease, as last read back
	since    time.Time     // when this handle's acquisition began (for Event.Held)
	// granted is the expiry of an acquisition granted from the line and
	// not yet picked up (see grant.go); zero otherwise.
	granted time.Time
}

// String describes the handle without its token, so that printing a Lock
// (%v, %+v) never leaks it.
func (l *Lock) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("distlock.Lock(%q, holds=%d, fence=%d)", l.name, l.holds, l.fence)
}

// GoString keeps the token out of %#v as well.
func (l *Lock) GoString() string { return l.String() }

// LogValue keeps the token out of log/slog output.
func (l *Lock) LogValue() slog.Value { return slog.StringValue(l.String()) }

// Name returns the lock's name.
func (l *Lock) Name() string { return l.name }

// Token returns the token of the handle's current acquisition, or "" when
// the handle holds nothing. Hand it to another process, which can Attach
// it to extend, release or re-enter the lock.
func (l *Lock) Token() Token {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tok
}

// Fence returns the fencing token of the handle's current acquisition, or
// 0 when it holds nothing. Every new acquisition of a name gets a fence
// greater than all earlier ones of that name, so a resource that remembers
// the highest fence it has seen can reject a holder whose lock has since
// expired and been taken by another.
func (l *Lock) Fence() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tok == "" {
		return 0
	}
	return l.fence
}

// Acquire takes the lock, waiting as long as ctx allows. On a handle that
// already holds it, Acquire re-enters at once: one more hold, and the lease
// renewed as Extend renews it. When ctx ends first it returns an error
// matching both ErrNotAcquired and ctx.Err().
//
// A waiting Acquire also waits out database outages: a lost connection
// is logged as a warning and retried until ctx ends, offering the same
// token again so that an acquisition the failure hid is found, not leaked.
func (l *Lock) Acquire(ctx context.Context) error {
	_, err := l.acquire(ctx, true)
	return err
}

// TryAcquire takes or re-enters the lock if that is possible now, without
// waiting. It reports false (and a nil error) when someone else holds it.
func (l *Lock) TryAcquire(ctx context.Context) (bool, error) {
	return l.acquire(ctx, false)
}

// Extend renews the acquisition's lease: its expiry becomes the lease's
// length from now, by the database's clock (never earlier than it was).
// The lease is the one the acquisition was taken with, which the lock's
// row remembers, whichever handle or process extends it; a handle made
// with WithMaxTime sets the lease to its own instead, from now on. It
// returns ErrNotHeld if the handle holds nothing, and ErrExpired if its
// token no longer holds the lock (after which the handle holds nothing).
func (l *Lock) Extend(ctx context.Context) error {
	tok, err := l.held(ctx)
	if err != nil {
		return err
	}
	return l.extend(ctx, tok)
}

func (l *Lock) extend(ctx context.Context, tok Token) error {
	start := time.Now()
	var row dialect.Row
	var ok bool
	err := l.m.retry(ctx, func() (err error) {
		row, ok, err = l.m.store.Extend(ctx, dialect.ExtendRequest{
			Name: l.name, TokenHash: hashToken(l.name, tok), TTL: l.maxTime, KeepLease: !l.ownLease})
		return err
	})
	if err != nil {
		return dbError("extend", l.name, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !ok {
		if l.tok == tok {
			l.tok, l.holds = "", 0
		}
		return fmt.Errorf("extend %q: %w", l.name, ErrExpired)
	}
	if l.tok == tok {
		l.fence = row.Fence
		l.renewed(start, row.Lease)
		if row.Holds > 0 { // not every dialect reads it back
			l.holds = row.Holds
		}
	}
	return nil
}

// Release drops one hold; the lock is free once every hold is released,
// and waiters in this Module are woken at once. It returns ErrNotHeld if
// the handle holds nothing, and ErrExpired if its token no longer holds
// the lock.
func (l *Lock) Release(ctx context.Context) error {
	tok, err := l.held(ctx)
	if err != nil {
		return err
	}
	return l.release(ctx, tok)
}

func (l *Lock) release(ctx context.Context, tok Token) error {
	var res dialect.Released
	var ok bool
	var sent time.Time
	err := l.m.retry(ctx, func() (err error) {
		sent = time.Now()
		res, ok, err = l.m.store.Release(ctx, l.name, hashToken(l.name, tok))
		return err
	})
	if err != nil {
		return dbError("release", l.name, err)
	}
	holds := res.Holds
	if ok && holds == 0 {
		l.m.wakeHead(l.name, res, sent)
	}
	var released *Event // observed after the handle's mutex is let go
	l.mu.Lock()
	if l.tok == tok {
		l.holds = holds
		if !ok || holds == 0 {
			if ok {
				released = &Event{Op: OpRelease, Name: l.name, Held: time.Since(l.since)}
			}
			l.tok, l.holds = "", 0
		}
	}
	l.mu.Unlock()
	if released != nil {
		l.m.observe(ctx, *released)
	}
	if !ok {
		return fmt.Errorf("release %q: %w", l.name, ErrExpired)
	}
	return nil
}

// held checks the handle and ctx, and returns the handle's token.
func (l *Lock) held(ctx context.Context) (Token, error) {
	if l.err != nil {
		return "", l.err
	}
	if err := l.m.alive(); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tok == "" {
		return "", fmt.Errorf("%q: %w", l.name, ErrNotHeld)
	}
	return l.tok, nil
}

// attempt runs one acquire statement and records its outcome. It offers
// a fresh token for a new acquisition, or pending: a token offered by an
// earlier attempt whose outcome a lost connection hid (offered as both
// new and held, so that if that attempt did take the lock, this one
// re-enters it instead of failing). It returns the token it offered for a
// new acquisition, or "" when the handle already held one (a re-entry
// attempt, whose lost outcome cannot be recovered). ticket is the caller's
// place in the lock's line, or 0. A positive wait says
// that the caller waits for the lock (dialect.AcquireRequest.Wait).
func (l *Lock) attempt(ctx context.Context, pending Token, ticket int64, wait time.Duration) (dialect.AcquireResult, Token, error) {
	l.mu.Lock()
	heldTok := l.tok
	l.mu.Unlock()
	newTok := pending
	if newTok == "" {
		newTok = newToken()
	}
	req := dialect.AcquireRequest{
		Name:      l.name,
		Owner:     l.m.cfg.Owner,
		NewHash:   hashToken(l.name, newTok),
		TTL:       l.maxTime,
		KeepLease: !l.ownLease,
		Ticket:    ticket,
		Wait:      wait,
	}
	offered := newTok
	switch {
	case heldTok != "":
		req.HeldHash = hashToken(l.name, heldTok)
		offered = ""
	case pending != "":
		req.HeldHash = req.NewHash
	}
	start := time.Now()
	res, err := l.m.store.Acquire(ctx, req)
	if err != nil || !res.Acquired {
		return res, offered, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case heldTok != "" && res.Reentered:
		l.tok, l.holds = heldTok, max(res.Row.Holds, l.holds+1)
	case res.Reentered: // pending had taken the lock
		l.tok, l.holds = pending, max(res.Row.Holds, 2)
	default:
		l.tok, l.holds, l.since = newTok, 1, start
	}
	l.fence = res.Row.Fence
	l.renewed(start, res.Row.Lease)
	return res, offered, nil
}

// renewed records that the acquisition's lease was taken or renewed by a
// statement sent at start, with the lease the database read back (the
// handle's own when it read back none). The database's expiry is then at
// least start + lease; it may be later (an extend never brings it closer).
// l.mu is held.
func (l *Lock) renewed(start time.Time, lease time.Duration) {
	if lease <= 0 {
		lease = l.maxTime
	}
	l.lease, l.deadline, l.granted = lease, start.Add(lease), time.Time{}
}

// leaseOf returns the current acquisition's lease as last read back, or
// the handle's own before anything was.
func (l *Lock) leaseOf() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lease > 0 {
		return l.lease
	}
	return l.maxTime
}
