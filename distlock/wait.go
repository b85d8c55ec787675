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
	if wait {
		l.m.listen()
	}
	pause := l.m.cfg.RetryInterval
	for {
		var released <-chan struct{}
		unwatch := func() {}
		if wait {
			released, unwatch = l.m.wake.watch(l.name)
		}
		var res dialect.AcquireResult
		err := l.m.retry(ctx, func() (err error) {
			res, err = l.attempt(ctx)
			return err
		})
		if err != nil || res.Acquired || !wait {
			unwatch()
			if err != nil {
				if ctx.Err() != nil {
					return false, errors.Join(ErrNotAcquired, ctx.Err())
				}
				return false, dbError("acquire", l.name, err)
			}
			return res.Acquired, nil
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
			return false, errors.Join(ErrNotAcquired, err)
		}
		if err := l.m.alive(); err != nil {
			return false, err
		}
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
