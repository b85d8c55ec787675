package distlock

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/distlock/distlock/dialect"
)

// acquire tries to take the lock and, if wait is set, waits for it until
// it succeeds or ctx ends. A waiter that finds the lock held takes a place
// in the lock's line (see line.go) and waits for its turn: a release wakes
// the head of the line alone, in this Module at once and, on dialects
// that push, anywhere; otherwise the first waiter of this Module polls
// with reads. Where the release grants the lock to the head (see
// grant.go), the woken waiter holds it without another statement.
// Waiting never writes but to renew the place.
//
// A waiting acquire waits through failures that retrying survives: lost
// connections, statements cut short, a server that cannot serve now (see
// waitThrough), backing off from RetryInterval to MaxRetryInterval with
// jitter. Whenever a failure hides whether an offered token took the
// lock, that token is offered again by the next attempt, and given back
// (see giveBack) if the acquire ends without it.
func (l *Lock) acquire(ctx context.Context, wait bool) (acquired bool, err error) {
	if l.err != nil {
		return false, l.err
	}
	if err := l.m.alive(); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, &notAcquiredError{cause: err}
	}
	start, attempts := time.Now(), 0
	if l.Token() == "" { // a re-entry is not an acquisition to observe
		defer func() {
			l.m.observe(ctx, Event{Op: OpAcquire, Name: l.name, Wait: time.Since(start), Attempts: attempts,
				Acquired: acquired, Err: err})
		}()
	}
	var within time.Duration // see dialect.AcquireRequest.Wait
	if wait {
		l.m.listen()
		within = reserve
	}
	pause := l.m.cfg.RetryInterval
	var pending Token // see attempt
	var lastErr error // the last failure a waiting acquire waited through
	var q *inLine     // the place in line, once taken
	defer func() {
		if q != nil {
			q.leave()
		}
	}()
	// Where waiters of this Module already wait in the lock's line, the
	// lock is taken, and a free one would go to the head of the line: a
	// new waiter joins the line at once rather than try first. (A failed
	// attempt locks the lock's row on every database, and so holds up the
	// release that hands the lock on.) It tries if the line turns out to
	// be free for it.
	lineFirst := wait && l.Token() == "" && l.m.waiters.lined(l.name)
	for {
		var ticket int64
		if q != nil {
			ticket = q.p.ticket
		}
		var res dialect.AcquireResult
		var offered Token
		var err error
		if lineFirst {
			lineFirst = false
			if q, err = l.join(ctx); err == nil {
				err = q.look(ctx)
			}
			if err == nil && q.known && q.st.Free && q.st.Ahead == 0 {
				continue // free for this place: try at once
			}
		} else {
			err = l.m.retry(ctx, func() (err error) {
				attempts++
				res, offered, err = l.attempt(ctx, pending, ticket, within)
				return err
			})
			if err != nil && offered != "" && outcomeUnknown(err) {
				pending = offered // it may hold the lock unseen
			}
			switch {
			case err != nil && wait && waitThrough(err, offered) && ctx.Err() == nil && l.m.alive() == nil:
			case err != nil:
				l.dropPending(pending)
				if ctx.Err() != nil {
					return false, &notAcquiredError{cause: ctx.Err(), last: lastErr}
				}
				return false, dbError("acquire", l.name, err)
			case res.Acquired:
				if q != nil {
					q.taken = !res.Queued // else leave removes the place
				}
				if pending != "" && res.Reentered && offered == pending {
					// The attempt that failed had taken the lock after all:
					// give back the second hold this one added.
					if err := l.release(ctx, pending); err != nil {
						l.m.cfg.Logger.WarnContext(ctx, "distlock: could not drop a duplicate hold", "name", l.name, "err", err)
					}
				}
				return true, nil
			case !wait:
				return false, nil
			case q == nil:
				if q, err = l.join(ctx); err == nil {
					err = q.look(ctx)
				}
			case q.known && q.st.Free && q.st.Ahead == 0:
				// The lock was free for this place when last read, and the
				// attempt found it held since: most likely by a release that
				// granted it to this place meanwhile. Read it again now.
				err = q.look(ctx)
			}
		}
		if err == nil {
			lastErr = nil // the database answers; the lock is simply held
			l.m.cfg.Logger.DebugContext(ctx, "distlock: waiting in line", "name", l.name, "holder", res.Row.Owner, "ticket", q.p.ticket)
			err = q.await(ctx, res.Row)
		}
		if err == nil && q.granted != nil && l.m.alive() == nil {
			// (Granted as the Module closes: leave gives it back, and
			// the acquire ends with ErrClosed below.)
			q.taken = true // the grant removed the place
			l.dropPending(pending)
			l.takeGrant(q.tok, *q.granted)
			return true, nil
		}
		if err != nil {
			if !survivable(err) || ctx.Err() != nil || l.m.alive() != nil {
				l.dropPending(pending)
				if ctx.Err() != nil {
					return false, &notAcquiredError{cause: ctx.Err(), last: lastErr}
				}
				return false, dbError("acquire", l.name, err)
			}
			lastErr = dbError("acquire", l.name, err)
			sleep := jitter(pause)
			pause = min(2*pause, l.m.cfg.MaxRetryInterval)
			l.m.cfg.Logger.WarnContext(ctx, "distlock: acquire failed; waiting on", "name", l.name, "err", err, "sleep", sleep)
			l.sleep(ctx, sleep)
		}
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

// sleep pauses for d, or until ctx or the Module ends.
func (l *Lock) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-l.m.ctx.Done():
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
			m.cfg.Logger.WarnContext(ctx, "distlock: database still busy; retrying", "attempts", n, "err", err)
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
