package distlock

import (
	"context"
	"errors"
	"fmt"
)

// Lead runs leader election on the lock name: it waits until it holds the
// lock (campaigns), then runs fn while it leads, and campaigns again when
// fn returns, until ctx ends; it then returns an error matching
// ctx.Err(). Every Module (process) that calls Lead for the same name is
// a candidate; at most one of them leads at a time.
//
// Each term is one Do: the lock is kept alive while fn runs, and if
// leadership is lost anyway (the lock could not be extended in time),
// fn's ctx is cancelled with cause ErrLost before anyone else can take
// over; fn should then stop acting as the leader and return. When fn
// returns, leadership is given up at once, even when ctx has ended (the
// release runs on a context of its own, retried for at most 30 seconds),
// so that another candidate takes over without waiting for the lease to
// run out. l.Fence() is the term: it rises strictly from one term to the
// next, across candidates; guard the leader's writes to the database
// with l.Guard (or DoTx), so that a leader paused past its term cannot
// write after its successor began.
//
// fn returning an error is logged, and the next campaign starts after a
// pause that grows with each consecutive failure (RetryInterval up to
// MaxRetryInterval); a term that ends without error pauses RetryInterval,
// so that other candidates get their turn. Lead returns at once an error
// that campaigning again cannot fix (an invalid name, a missing table,
// ErrClosed), and panics if fn panics (the lock is released first).
func (m *Module) Lead(ctx context.Context, name string, fn func(ctx context.Context, l *Lock) error) error {
	if err := ValidName(name); err != nil {
		return err
	}
	pause := m.cfg.RetryInterval
	var last error // the last term's error
	for {
		l := m.Get(name)
		ran := false
		err := l.Do(ctx, func(ctx context.Context) error {
			ran = true
			m.cfg.Logger.DebugContext(ctx, "distlock: leading", "name", name, "term", l.Fence())
			return fn(ctx, l)
		})
		switch {
		case ctx.Err() != nil:
			if err != nil && !errors.Is(err, ctx.Err()) {
				last = err
			}
			return &leadEnded{name: name, cause: ctx.Err(), last: last}
		case !ran:
			return err // the campaign itself failed: Acquire waits through what can pass
		case err != nil:
			last = err
			m.cfg.Logger.WarnContext(ctx, "distlock: leader's term ended with an error; campaigning again",
				"name", name, "err", err, "pause", pause)
		default:
			last = nil
			pause = m.cfg.RetryInterval
		}
		if !sleepCtx(ctx, jitter(pause)) {
			if err := m.alive(); err != nil && ctx.Err() == nil {
				return err
			}
			return &leadEnded{name: name, cause: ctx.Err(), last: last}
		}
		if err := m.alive(); err != nil {
			return err
		}
		if last != nil {
			pause = min(2*pause, m.cfg.MaxRetryInterval)
		}
	}
}

// leadEnded is Lead's error when its context ends: it matches the
// context's error and, if the last term ended with an error, that one.
type leadEnded struct {
	name  string
	cause error
	last  error
}

func (e *leadEnded) Error() string {
	if e.last == nil {
		return fmt.Sprintf("distlock: lead %q: %v", e.name, e.cause)
	}
	return fmt.Sprintf("distlock: lead %q: %v (last term: %v)", e.name, e.cause, e.last)
}

func (e *leadEnded) Unwrap() []error {
	if e.last == nil {
		return []error{e.cause}
	}
	return []error{e.cause, e.last}
}

// Leader describes the current leader of name, for the candidates that do
// not lead and for anyone else: Info.Owner is the leader's Config.Owner,
// Info.Fence its term. It returns ErrNotHeld when nobody leads. A leader
// whose lease ran out while a guarded transaction of its own is still
// open counts as gone, though its writes in that transaction may still
// commit (see Guard).
func (m *Module) Leader(ctx context.Context, name string) (Info, error) {
	return m.Inspect(ctx, name)
}
