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
func (l *Lock) acquire(ctx context.Context, wait bool) (bool, error) {
	if l.err != nil {
		return false, l.err
	}
	if err := l.m.alive(); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, errors.Join(ErrNotAcquired, err)
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
	for {
		var released <-chan struct{}
		unwatch := func() {}
		if wait {
			released, unwatch = l.m.wake.watch(l.name)
		}
		var res dialect.AcquireResult
		var offered Token
		err := l.m.retry(ctx, func() (err error) {
			res, offered, err = l.attempt(ctx, pending, within)
			return err
		})
		switch {
		case err != nil && wait && offered != "" && outcomeUnknown(err) && ctx.Err() == nil && l.m.alive() == nil:
			// The connection failed mid-statement: the lock may or may not
			// be ours. Keep waiting, and offer the same token again.
			pending = offered
			l.m.cfg.Logger.Warn("distlock: acquire failed; retrying", "name", l.name, "err", err)
		case err != nil:
			unwatch()
			l.dropPending(pending)
			if ctx.Err() != nil {
				return false, errors.Join(ErrNotAcquired, ctx.Err())
			}
			return false, dbError("acquire", l.name, err)
		case res.Acquired:
			unwatch()
			if pending != "" && res.Reentered && offered == pending {
				// The attempt that failed had taken the lock after all:
				// give back the second hold this one added.
				if err := l.release(ctx, pending); err != nil {
					l.m.cfg.Logger.Warn("distlock: could not drop a duplicate hold", "name", l.name, "err", err)
				}
			}
			return true, nil
		case !wait:
			unwatch()
			return false, nil
		}

		sleep := jitter(pause)
		if rem := res.Row.Remaining; res.Row.Name != "" && rem < sleep {
			// Wake as the holder expires; +1ms covers the database's
			// millisecond clock.
			sleep = max(rem, 0) + time.Millisecond
		}
		pause = min(2*pause, l.m.cfg.MaxRetryInterval)
		l.m.cfg.Logger.Debug("distlock: waiting", "name", l.name, "holder", res.Row.Owner, "sleep", sleep)

		t := time.NewTimer(sleep)
		select {
		case <-released:
		case <-t.C:
		case <-ctx.Done():
		case <-l.m.ctx.Done():
		}
		t.Stop()
		unwatch()
		if err := ctx.Err(); err != nil {
			l.dropPending(pending)
			return false, errors.Join(ErrNotAcquired, err)
		}
		if err := l.m.alive(); err != nil {
			l.dropPending(pending)
			return false, err
		}
	}
}

// outcomeUnknown reports whether a failed statement may have taken effect.
func outcomeUnknown(err error) bool {
	k := dialect.KindOf(err)
	return k == dialect.KindConn || k == dialect.KindTimeout
}

// dropPending releases, best effort, an acquisition that a lost
// connection may have made unseen, so that it does not linger until it
// expires. If there is none, the release finds nothing, harmlessly.
func (l *Lock) dropPending(pending Token) {
	if pending == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = l.release(ctx, pending)
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
