package distlock

import (
	"context"
	"errors"
	"time"

	"github.com/distlock/distlock/internal/pace"
)

// A lock granted from the line (see dialect.Granter) is held from the
// moment the release commits, but only until the waiter's place would
// have lapsed: so a waiter that died in line stalls the lock no longer
// than it would have stalled the line. The holder makes the lease its own
// with an Extend, its pick-up, in the background: pickUpAfter after the
// grant (a lock released before then never needs one, which keeps a hot
// lock at one durable commit per hand-off), and sooner if the grant's
// expiry is nearer, at half the time left. (A transaction that Guards the
// lock holds its row, and so the pick-up, until it ends: one that starts
// at once and outlasts the grant's expiry keeps the work excluded, but the
// lock is expired after it, and the next Guard or Extend says so.)
const pickUpAfter = pace.PickUpAfter

// takeGrant makes the handle the holder of the acquisition a release
// granted to tok, and schedules its pick-up. The handle held nothing
// (a waiting acquire).
func (l *Lock) takeGrant(tok Token, g grant) {
	l.mu.Lock()
	l.tok, l.holds, l.since = tok, 1, time.Now()
	l.fence, l.lease, l.deadline, l.granted = g.fence, l.maxTime, g.deadline, g.deadline
	l.mu.Unlock()
	l.m.background(func(ctx context.Context) { l.pickUp(ctx, tok, g.deadline) })
}

// pickUp extends the granted acquisition tok, whose expiry is deadline,
// unless the handle has extended it, re-entered it or let it go first. It
// retries failures until the expiry; the handle then finds the lock
// expired, as after any Extend that did not come in time.
func (l *Lock) pickUp(ctx context.Context, tok Token, deadline time.Time) {
	wait := min(pickUpAfter, time.Until(deadline)/2)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-l.m.ctx.Done(): // Close: pick it up now, for whoever holds the token
	case <-ctx.Done():
		return
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	pause := l.m.cfg.RetryInterval
	for {
		if !l.pickUpPending(tok) {
			return // released, extended or re-entered: the lease is taken care of
		}
		err := l.extend(ctx, tok)
		if err == nil {
			return
		}
		if errors.Is(err, ErrExpired) || ctx.Err() != nil {
			l.m.cfg.Logger.WarnContext(ctx, "distlock: a lock granted from the line could not be made the holder's in time",
				"name", l.name, "err", err)
			return
		}
		if !sleepCtx(ctx, jitter(pause)) {
			continue // the next check finds the expiry passed
		}
		pause = min(2*pause, l.m.cfg.MaxRetryInterval)
	}
}

// pickUpPending reports whether the handle holds tok by a grant that no
// extend has made its own yet.
func (l *Lock) pickUpPending(tok Token) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tok == tok && !l.granted.IsZero()
}
