package distlock

import (
	"context"
	"errors"
	"time"

	"github.com/distlock/distlock/dialect"
)

// giveBackTimeout bounds the background release of an acquisition whose
// outcome a failure hid (see giveBack), however the database behaves.
const giveBackTimeout = 5 * time.Second

// giveBackChecks are the pauses after which giveBack looks again for an
// acquisition it did not find: a statement whose reply was lost may still
// be on its way to the server, and land after the first look.
var giveBackChecks = []time.Duration{0, 200 * time.Millisecond, time.Second}

// outcomeUnknown reports whether a failed statement may have taken effect:
// its connection failed, or time ran out, while it was in flight.
func outcomeUnknown(err error) bool {
	k := dialect.KindOf(err)
	return k == dialect.KindConn || k == dialect.KindTimeout
}

// survivable reports whether waiting on after err may succeed: the
// connection failed or time ran out, or the server cannot serve now.
func survivable(err error) bool {
	return outcomeUnknown(err) || dialect.KindOf(err) == dialect.KindUnavailable
}

// giveBack releases, in the background, the acquisition of name by tok
// that a failed statement may have made unseen (its reply was lost to a
// deadline or a broken connection), so that a lock nobody has a token for
// is free within a second or so instead of lingering until it expires. If
// there is no such acquisition, the releases find nothing, harmlessly: tok
// was never handed to anyone.
//
// It runs on a context of its own, not the caller's (which has usually
// ended), with bounded, backed-off attempts, and Close waits for it: a
// Module being closed still gives back what it may hold.
func (m *Module) giveBack(name string, tok Token) {
	m.background(func(ctx context.Context) {
		l := &Lock{m: m, name: name}
		found, err := l.giveBack(ctx, tok)
		switch {
		case err != nil:
			m.cfg.Logger.WarnContext(ctx, "distlock: could not give back an acquisition whose outcome was lost; it lasts until it expires",
				"name", name, "err", err)
		case found:
			m.cfg.Logger.InfoContext(ctx, "distlock: gave back an acquisition whose outcome was lost", "name", name)
		default:
			m.cfg.Logger.DebugContext(ctx, "distlock: no acquisition to give back", "name", name)
		}
	})
}

// background runs f in a goroutine on a context of its own, bounded by
// giveBackTimeout, that Close waits for: work that must be done even as
// the Module shuts down. After Close it is not run (and logged).
func (m *Module) background(f func(ctx context.Context)) {
	m.mu.Lock()
	if m.storeGone {
		m.mu.Unlock()
		m.cfg.Logger.Warn("distlock: Module closed; background clean-up skipped")
		return
	}
	m.giving.Add(1)
	m.mu.Unlock()
	go func() {
		defer m.giving.Done()
		ctx, cancel := context.WithTimeout(context.Background(), giveBackTimeout)
		defer cancel()
		f(ctx)
	}()
}

// giveBack releases every hold of tok on l's name. It reports whether it
// found an acquisition, and the last database error if it gave up.
func (l *Lock) giveBack(ctx context.Context, tok Token) (found bool, err error) {
	hash := hashToken(l.name, tok)
	pause := 20 * time.Millisecond
	for _, wait := range giveBackChecks {
		if !sleepCtx(ctx, wait) {
			return found, nil
		}
		for {
			sent := time.Now()
			res, ok, err := l.m.store.Release(ctx, l.name, hash)
			if err != nil {
				if !sleepCtx(ctx, jitter(pause)) {
					return found, errors.Join(err, ctx.Err())
				}
				pause = min(2*pause, time.Second)
				continue
			}
			if !ok {
				break // nothing (left) to release now
			}
			found = true
			if res.Holds == 0 {
				l.m.wakeHead(l.name, res, sent)
				return true, nil
			}
			// A retried attempt may have left two holds: drop the next.
		}
		if found {
			return true, nil
		}
	}
	return found, nil
}

// sleepCtx sleeps for d, or until ctx ends; it reports whether it slept
// the whole time.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
