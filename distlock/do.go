package distlock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/distlock/distlock/dialect"
)

// releaseTimeout bounds the release at the end of Do, which runs even
// when the caller's context has ended.
const releaseTimeout = 30 * time.Second

// Do acquires the lock (waiting as Acquire does), runs fn, and releases
// the lock when fn returns. While fn runs, the lock is extended every
// MaxTime/3, so fn may run for any number of MaxTimes. If the lock is lost
// anyway (it could not be extended before it expired, e.g. because the
// database was unreachable), fn's context is cancelled with cause ErrLost
// (see context.Cause) and Do's error matches ErrLost; if the Module is
// closed, the cause is ErrClosed.
//
// If fn panics (or calls runtime.Goexit), Do stops the keep-alive and
// releases the lock before the panic goes on, so that a recovered panic
// (net/http recovers those of handlers) does not leave the lock held for
// the life of the process.
//
// The release at the end runs on a context of its own, bounded by 30
// seconds, and is retried through failures that retrying survives (see
// releaseAfter), so a server restart at the wrong moment does not leave
// the lock held until it expires.
//
// Do returns the acquisition's error if fn never ran, and otherwise fn's
// error joined with any error of the keep-alive or the release.
func (l *Lock) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	fresh := l.Token() == "" // Do's acquisition is its own, not a re-entry
	if err := l.Acquire(ctx); err != nil {
		return err
	}
	l.mu.Lock()
	tok := l.tok
	l.mu.Unlock()

	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := make(chan struct{})
	stopped := make(chan struct{})
	var lost error
	if err := l.m.spawn(func() {
		defer close(stopped)
		if lost = l.keepAlive(tok, stop); lost != nil {
			if errors.Is(lost, ErrLost) {
				l.m.cfg.Logger.WarnContext(ctx, "distlock: lock lost while Do ran", "name", l.name, "err", lost)
				l.mu.Lock()
				held := time.Since(l.since)
				l.mu.Unlock()
				l.m.observe(ctx, Event{Op: OpLost, Name: l.name, Held: held})
			}
			cancel(lost)
		}
	}); err != nil {
		close(stopped)
		lost = err
		cancel(err)
	}
	finish := func() error {
		close(stop)
		<-stopped
		relErr := l.releaseAfter(ctx, tok, fresh)
		if lost != nil && errors.Is(relErr, ErrExpired) {
			relErr = nil // already reported as lost
		}
		return errors.Join(lost, relErr)
	}

	returned := false
	defer func() {
		if returned {
			return
		}
		// fn panicked or called runtime.Goexit, which goes on after this.
		if err := finish(); err != nil {
			l.m.cfg.Logger.WarnContext(ctx, "distlock: Do's function panicked; the release failed", "name", l.name, "err", err)
		}
	}()
	fnErr := fn(fctx)
	returned = true
	return errors.Join(fnErr, finish())
}

// releaseAfter gives back Do's hold, on a context of its own bounded by
// releaseTimeout (the caller's may have ended). It retries what retrying
// survives: a server that cannot serve now (the release did not run) and,
// when Do's acquisition was its own rather than a re-entry, a connection
// lost or a statement cut short while the release ran. If that release
// did take effect, the next one finds nothing, which counts as released.
// A re-entry's release is not retried after a lost outcome: it could drop
// the outer hold as well.
func (l *Lock) releaseAfter(ctx context.Context, tok Token, fresh bool) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	pause := 10 * time.Millisecond
	unknown := false // an earlier attempt may have released it
	for {
		err := l.release(rctx, tok)
		if err == nil || unknown && errors.Is(err, ErrExpired) {
			return nil
		}
		k := dialect.KindOf(err)
		if k != dialect.KindUnavailable && !(fresh && outcomeUnknown(err)) {
			return err
		}
		unknown = unknown || k != dialect.KindUnavailable
		l.m.cfg.Logger.WarnContext(rctx, "distlock: release failed; retrying", "name", l.name, "err", err)
		if !sleepCtx(rctx, jitter(pause)) {
			return err
		}
		pause = min(2*pause, time.Second)
	}
}

// keepAlive extends tok every third of its lease until stop is closed.
// It returns an error matching ErrLost when the lock can no longer be
// held, and ErrClosed when the Module closes. The lease is the one each
// extension reads back: another process may set a new one (WithMaxTime
// on an attached handle), and the pace follows it.
//
// The lock counts as lost as soon as its expiry comes near without a
// successful extension: a guard of a tenth of the lease (at most a
// second) before the handle's local, conservative estimate of the
// expiry, which is never later than the database's. So fn's context is
// cancelled before anyone else can take the lock, not after.
func (l *Lock) keepAlive(tok Token, stop <-chan struct{}) error {
	lease := l.leaseOf()
	interval := lease / 3
	guard := min(lease/10, time.Second)
	// A lock granted from the line lasts only until its pick-up (see
	// grant.go): the first extension comes before half of what is left,
	// and the guard is no more than a quarter of it.
	left := time.Until(l.deadlineOf())
	next := time.NewTimer(min(interval, left/2))
	defer next.Stop()
	expiry := time.NewTimer(left - min(guard, left/4))
	defer expiry.Stop()
	var lastErr error
	for {
		select {
		case <-stop:
			return nil
		case <-l.m.ctx.Done():
			return ErrClosed
		case <-expiry.C:
			if left := time.Until(l.deadlineOf()); left > guard {
				// Extended meanwhile (the grant's pick-up, or an Extend
				// through the handle).
				expiry.Reset(left - guard)
				continue
			}
			if lastErr == nil {
				return fmt.Errorf("%w: %q could not be extended in time", ErrLost, l.name)
			}
			return fmt.Errorf("%w: %q could not be extended in time: %w", ErrLost, l.name, lastErr)
		case <-next.C:
		}
		deadline := l.deadlineOf()
		ctx, cancel := context.WithDeadline(l.m.ctx, deadline.Add(-guard))
		err := l.extend(ctx, tok)
		cancel()
		switch {
		case err == nil:
			lease = l.leaseOf()
			interval, guard = lease/3, min(lease/10, time.Second)
			expiry.Reset(time.Until(l.deadlineOf()) - guard)
			next.Reset(interval)
		case errors.Is(err, ErrExpired):
			return fmt.Errorf("%w: %q expired before it could be extended", ErrLost, l.name)
		case l.m.ctx.Err() != nil:
			return ErrClosed
		default:
			// A passing failure: try again soon, well before the expiry.
			lastErr = err
			l.m.cfg.Logger.WarnContext(ctx, "distlock: extend failed; retrying", "name", l.name, "err", err)
			next.Reset(max(min(interval/4, time.Until(deadline)/4), time.Millisecond))
		}
	}
}

func (l *Lock) deadlineOf() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.deadline
}
