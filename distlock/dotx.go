package distlock

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/distlock/distlock/dialect"
)

// DoTx is Do with fn's work in one transaction on the Module's *sql.DB,
// which commits together with the release of the lock: it acquires the
// lock (waiting as Acquire does), begins a transaction, Guards it, runs
// fn, then drops its hold (ReleaseTx) and commits. The writes fn makes in
// tx are committed only while the lock is held, and the lock is let go in
// the same commit. If fn returns an error (or panics), or the commit
// fails, tx is rolled back and the lock released as Do releases it (on a
// context of its own, retried); DoTx returns fn's error, joined with any
// error of the commit or the release. fn must not commit or roll back tx.
// A commit whose outcome is unknown (the connection failed, or a context
// ended, while COMMIT was on its way) may have committed fn's writes and
// the release although DoTx returns its error (a *DBError).
//
// The guarded transaction keeps the lock while fn runs: no one can take it
// over before tx ends, so fn does not need the lease to be extended (an
// Extend would wait for tx too). But tx lasts at most MaxTime after its
// Guard (see Guard): fn has that long. Shortly before (MaxTime/10, at
// most a second), fn's ctx is cancelled with cause ErrLost, and at the
// bound, if fn has not returned, tx is rolled back; DoTx's error then
// matches ErrLost. (Once fn has returned, the release and the commit are
// not cut short by that timer, only by the database's own bound.) If the
// Module is closed, fn's ctx is cancelled with cause ErrClosed. If ctx
// ends, tx is rolled back (database/sql ends a transaction with the
// context it began with).
//
// On SQLite, tx holds the database's write lock: fn must not write to the
// database through another connection (distlock's own operations
// included), which would wait for tx. A failure that retrying survives
// while tx begins (SQLite busy, a deadlock) begins it again.
func (l *Lock) DoTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	g, err := l.m.guarder()
	if err != nil {
		return err
	}
	fresh := l.Token() == "" // DoTx's acquisition is its own, not a re-entry
	if err := l.Acquire(ctx); err != nil {
		return err
	}
	tok := l.Token()

	gtx, err := l.beginGuarded(ctx, g, tok)
	if err != nil {
		relErr := l.releaseAfter(ctx, tok, fresh)
		if errors.Is(err, ErrExpired) && errors.Is(relErr, ErrExpired) {
			relErr = nil // one report is enough
		}
		return errors.Join(err, relErr)
	}
	defer gtx.end()
	tx := gtx.tx

	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := make(chan struct{})
	stopped := make(chan struct{})
	var lost error
	if err := l.m.spawn(func() {
		defer close(stopped)
		if lost = l.watchGuarded(gtx.bound, stop); lost != nil {
			cancel(lost)
		}
	}); err != nil {
		close(stopped)
		lost = err
		cancel(err)
	}
	stopWatch := func() {
		close(stop)
		<-stopped
	}
	// abort rolls tx back and releases the lock on a context of its own.
	abort := func() error {
		tx.Rollback()
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
		stopWatch()
		if err := abort(); err != nil {
			l.m.cfg.Logger.WarnContext(ctx, "distlock: DoTx's function panicked; the release failed", "name", l.name, "err", err)
		}
	}()
	fnErr := fn(fctx, tx)
	returned = true
	stopWatch()
	if fnErr != nil {
		return errors.Join(fnErr, abort())
	}
	return l.commitRelease(ctx, g, gtx, tok, fresh, lost)
}

// guardedTx is DoTx's transaction.
type guardedTx struct {
	tx     *sql.Tx
	ctx    context.Context // the transaction's
	cancel context.CancelFunc
	bound  time.Time   // MaxTime after its Guard
	timer  *time.Timer // ends tx (cancels ctx) at bound
}

func (g *guardedTx) end() {
	g.timer.Stop()
	g.cancel()
}

// beginGuarded begins a transaction on the Module's pool and Guards it,
// beginning again after failures that retrying survives: SQLite busy, a
// deadlock, a lost connection (a pooled one the server closed, e.g. while
// this process was stopped), a server that cannot serve now. Nothing was
// written then, and the next Guard checks the lock again; it gives up
// when the lease (as the handle estimates it) has run out. The transaction
// lives until end, ctx's end, or its bound, whichever comes first.
func (l *Lock) beginGuarded(ctx context.Context, g dialect.Guarder, tok Token) (*guardedTx, error) {
	pause := time.Millisecond
	for {
		txCtx, cancelTx := context.WithCancel(ctx)
		start := time.Now()
		lease := l.leaseOf()
		tx, err := l.m.db.BeginTx(txCtx, nil)
		if err != nil {
			err = dbError("begin", l.name, g.Classify(err))
		} else if _, err = l.guard(txCtx, tx, tok, lease); err == nil {
			bound := start.Add(lease)
			return &guardedTx{tx: tx, ctx: txCtx, cancel: cancelTx, bound: bound,
				timer: time.AfterFunc(time.Until(bound), cancelTx)}, nil
		}
		if tx != nil {
			tx.Rollback()
		}
		cancelTx()
		if errors.Is(err, ErrExpired) {
			return nil, fmt.Errorf("%w: %q no longer held when its transaction began: %w", ErrLost, l.name, err)
		}
		switch dialect.KindOf(err) {
		case dialect.KindRetry, dialect.KindConn, dialect.KindUnavailable:
			if time.Now().Before(l.deadlineOf()) {
				break // the lease may still hold: try again
			}
			fallthrough
		default:
			return nil, err
		}
		if !sleepCtx(ctx, jitter(pause)) {
			return nil, errors.Join(err, ctx.Err())
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// watchGuarded waits until stop is closed and returns nil, or returns an
// error matching ErrLost shortly before the guarded transaction's bound,
// or ErrClosed when the Module closes.
func (l *Lock) watchGuarded(bound time.Time, stop <-chan struct{}) error {
	guard := min(l.leaseOf()/10, time.Second)
	t := time.NewTimer(time.Until(bound) - guard)
	defer t.Stop()
	select {
	case <-stop:
		return nil
	case <-l.m.ctx.Done():
		return ErrClosed
	case <-t.C:
		return fmt.Errorf("%w: %q: its guarded transaction reached its bound (MaxTime after Guard)", ErrLost, l.name)
	}
}

// commitRelease drops DoTx's hold in tx and commits; once committed, the
// handle forgets the hold. If tx cannot commit, the lock is released
// outside it. Once fn has returned, the bound's timer no longer cuts tx
// short (a commit cut short has an unknown outcome): the server's bound
// still ends a client that hangs from here on.
func (l *Lock) commitRelease(ctx context.Context, g dialect.Guarder, gtx *guardedTx, tok Token, fresh bool, lost error) error {
	gtx.timer.Stop()
	tx := gtx.tx
	holds, next, err := l.releaseTx(gtx.ctx, tx, tok, true)
	if err != nil {
		tx.Rollback()
		relErr := l.releaseAfter(ctx, tok, fresh)
		return errors.Join(lost, err, relErr)
	}
	if err := tx.Commit(); err != nil {
		err = g.Classify(err)
		// A commit cut short by its context (the bound, or the caller's
		// ctx) may have reached the server: its outcome is unknown too.
		unknown := outcomeUnknown(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
		if unknown && !fresh {
			// Had it committed, a release now would drop the outer hold
			// of the re-entered lock too: leave the handle as it is.
			return errors.Join(lost, dbError("commit", l.name, err))
		}
		relErr := l.releaseAfter(ctx, tok, fresh)
		if errors.Is(relErr, ErrExpired) && (lost != nil || unknown) {
			relErr = nil // lost, or released by the commit after all
		}
		return errors.Join(lost, dbError("commit", l.name, err), relErr)
	}
	l.mu.Lock()
	if l.tok == tok {
		l.holds = holds
		if holds == 0 {
			l.tok, l.holds = "", 0
		}
	}
	l.mu.Unlock()
	if holds == 0 {
		l.m.wakeHead(l.name, dialect.Released{Next: next}, time.Time{}) // it grants nothing
	}
	return nil
}
