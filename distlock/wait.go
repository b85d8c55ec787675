package distlock

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/distlock/distlock/dialect"
)

// acquire tries to take the lock and, if wait is set, keeps trying until
// it succeeds or ctx ends. Between attempts it sleeps with exponential
// back-off and jitter, never past the holder's expiry, and wakes at once
// when the lock is released in this Module (or, on dialects that push,
// anywhere).
//
// A waiting acquire waits through failures that retrying survives: lost
// connections, statements cut short, a server that cannot serve now (see
// waitThrough). Whenever a failure hides whether an offered token took
// the lock, that token is offered again by the next attempt, and given
// back (see giveBack) if the acquire ends without it.
func (l *Lock) acquire(ctx context.Context, wait bool) (bool, error) {
	if l.err != nil {
		return false, l.err
	}
	if err := l.m.alive(); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, &notAcquiredError{cause: err}
	}
	var within time.Duration // see dialect.AcquireRequest.Wait
	if wait {
		l.m.listen()
		// A little after the longest sleep below, by which time the next
		// attempt renews it.
		within = l.m.cfg.MaxRetryInterval + l.m.cfg.MaxRetryInterval/4 + time.Second
	}
	pause := l.m.cfg.RetryInterval
	var pending Token // see attempt
	var lastErr error // the last failure a waiting acquire waited through
	for {
		var w *wakeup
		unwatch := func() {}
		if wait {
			w, unwatch = l.m.wake.watch(l.name)
		}
		var res dialect.AcquireResult
		var offered Token
		err := l.m.retry(ctx, func() (err error) {
			res, offered, err = l.attempt(ctx, pending, within)
			return err
		})
		if err != nil && offered != "" && outcomeUnknown(err) {
			pending = offered // it may hold the lock unseen
		}
		switch {
		case err != nil && wait && waitThrough(err, offered) && ctx.Err() == nil && l.m.alive() == nil:
			lastErr = dbError("acquire", l.name, err)
			l.m.cfg.Logger.WarnContext(ctx, "distlock: acquire failed; waiting on", "name", l.name, "err", err)
		case err != nil:
			unwatch()
			l.dropPending(pending)
			if ctx.Err() != nil {
				return false, &notAcquiredError{cause: ctx.Err(), last: lastErr}
			}
			return false, dbError("acquire", l.name, err)
		case res.Acquired:
			unwatch()
			if pending != "" && res.Reentered && offered == pending {
				// The attempt that failed had taken the lock after all:
				// give back the second hold this one added.
				if err := l.release(ctx, pending); err != nil {
					l.m.cfg.Logger.WarnContext(ctx, "distlock: could not drop a duplicate hold", "name", l.name, "err", err)
				}
			}
			return true, nil
		case !wait:
			unwatch()
			return false, nil
		default:
			lastErr = nil // the database answers; the lock is simply held
		}

		sleep := jitter(pause)
		if rem := res.Row.Remaining; res.Row.Name != "" && rem < sleep {
			// Wake as the holder expires; +1ms covers the database's
			// millisecond clock.
			sleep = max(rem, 0) + time.Millisecond
		}
		pause = min(2*pause, l.m.cfg.MaxRetryInterval)
		l.m.cfg.Logger.DebugContext(ctx, "distlock: waiting", "name", l.name, "holder", res.Row.Owner, "sleep", sleep)
		l.sleep(ctx, w, unwatch, sleep)
		if err := ctx.Err(); err != nil {
			l.dropPending(pending)
			return false, &notAcquiredError{cause: err, last: lastErr}
		}
		if err := l.m.alive(); err != nil {
			l.dropPending(pending)
			return false, err
		}
	}
}

// waitThrough reports whether a waiting acquire keeps waiting after its
// attempt failed with err: the server could not serve the statement now
// (it did not run), or the connection failed or time ran out while it
// ran, when the attempt offered a new token (offered, which the next
// attempt offers again). The lost outcome of a re-entry cannot be
// recovered (it may have added a hold), so that ends the wait.
func waitThrough(err error, offered Token) bool {
	return dialect.KindOf(err) == dialect.KindUnavailable || offered != "" && outcomeUnknown(err)
}

// sleep waits until the next attempt is due: d has passed, a release woke
// w, or ctx or the Module ended; it calls unwatch when it returns. A
// wake-up pushed by the database may be spurious (anyone allowed to NOTIFY
// can send one) or stale, so it is checked with a read: while the lock is
// still held, the waiter keeps sleeping, never past the holder's expiry.
// A flood of notifications costs reads, never writes to the holder's row.
func (l *Lock) sleep(ctx context.Context, w *wakeup, unwatch func(), d time.Duration) {
	until := time.Now().Add(d)
	t := time.NewTimer(d)
	defer func() {
		t.Stop()
		unwatch()
	}()
	for {
		select {
		case <-t.C:
			return
		case <-ctx.Done():
			return
		case <-l.m.ctx.Done():
			return
		case <-w.ch:
		}
		if w.local {
			return
		}
		// Watch again before the read, so that a release right after it
		// is not missed.
		next, unwatchNext := l.m.wake.watch(l.name)
		row, held, err := l.m.store.Inspect(ctx, l.name)
		if err != nil || !held {
			unwatchNext()
			return
		}
		l.m.cfg.Logger.DebugContext(ctx, "distlock: woken, but the lock is still held", "name", l.name)
		unwatch()
		w, unwatch = next, unwatchNext
		if exp := time.Now().Add(max(row.Remaining, 0) + time.Millisecond); exp.Before(until) {
			until = exp
			t.Reset(time.Until(until))
		}
	}
}

// dropPending gives back, in the background, an acquisition that a lost
// reply may have made unseen (see giveBack).
func (l *Lock) dropPending(pending Token) {
	if pending != "" {
		l.m.giveBack(l.name, pending)
	}
}

// retry runs op until it succeeds, fails with an error that retrying
// cannot fix, or ctx ends. Only errors the dialect classified as
// dialect.KindRetry (the statement certainly had no effect: SQLite busy,
// deadlock, serialization failure) are retried, after a short pause.
func (m *Module) retry(ctx context.Context, op func() error) error {
	pause := time.Millisecond
	for n := 1; ; n++ {
		err := op()
		if err == nil || dialect.KindOf(err) != dialect.KindRetry {
			return err
		}
		if n%100 == 0 {
			m.cfg.Logger.Warn("distlock: database still busy; retrying", "attempts", n, "err", err)
		}
		t := time.NewTimer(jitter(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-m.ctx.Done():
			t.Stop()
			return errors.Join(err, ErrClosed)
		case <-t.C:
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// jitter adds 0-25% to d at random, so that waiters spread out.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d + rand.N(d/4+1)
}
