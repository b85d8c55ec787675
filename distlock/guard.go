package distlock

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/distlock/distlock/dialect"
)

// guardKey names a transaction that Guard checked for one acquisition.
type guardKey struct {
	tx   *sql.Tx
	name string
	tok  Token
}

// Guard checks, as a statement of tx, that the handle's acquisition still
// holds the lock, and makes every takeover wait until tx ends: writes made
// in tx after a nil Guard commit only while the lock is held by this
// acquisition, even if the holder was paused past its lease in between.
// tx must be a transaction on the database of the lock table (on any
// pool), begun by the caller, who commits or rolls it back.
//
// The check reads the database's clock when Guard runs, not when tx
// began: PostgreSQL's clock_timestamp() (not now(), which is frozen at
// BEGIN), MySQL's UTC_TIMESTAMP(6) (the statement's start), SQLite's
// clock. Guard returns ErrNotHeld if the handle holds nothing, and
// ErrExpired if its acquisition no longer holds the lock (it expired, was
// taken over or was released); roll tx back then. A *DBError that is
// SafeToRetry (a deadlock, a serialization failure, SQLite busy) means:
// roll tx back and run it again. Guard does not change the handle.
//
// How it holds off a takeover: PostgreSQL locks the lock's row FOR SHARE,
// MySQL/MariaDB FOR UPDATE, until tx ends; every write of that
// row (a takeover, but also the holder's own Extend or Release, a waiter's
// Acquire or TryAcquire, and Vacuum) waits for tx. SQLite makes tx a write
// transaction (a write of the row that changes nothing): SQLite has one
// writer, so every write to the database waits for tx.
//
// How long a takeover can wait behind a guarded transaction: tx is ended,
// not committed, at most MaxTime after the Guard call:
//   - while this process runs, a timer rolls tx back MaxTime after Guard
//     was called (cancelling a statement in flight); Commit then fails
//     with sql.ErrTxDone;
//   - when the process cannot (stopped, hung as a whole, cut off from the
//     database), the server ends tx, but counting from the transaction's
//     last activity, so that a takeover waits at most MaxTime after it
//     (under 2 × MaxTime after Guard): PostgreSQL ends the session when
//     tx has been idle, or one statement has run, for MaxTime
//     (idle_in_transaction_session_timeout and statement_timeout, SET
//     LOCAL by Guard, kept when already lower); MariaDB closes the
//     connection when tx has been idle for MaxTime rounded up to a second
//     (idle_transaction_timeout, MySQL: wait_timeout; these are session
//     settings, so they stay lowered on the pooled connection after tx);
//     a process that died loses its connection, which rolls tx back;
//   - SQLite has no server to end tx: a stopped process keeps every
//     writer of the database waiting until it resumes (its timer then
//     rolls tx back, if tx is still open) or exits.
//
// A later Guard in the same tx checks again; the bound counts from the
// first.
func (l *Lock) Guard(ctx context.Context, tx *sql.Tx) error {
	start := time.Now()
	tok, err := l.held(ctx)
	if err != nil {
		return err
	}
	lease := l.leaseOf()
	if _, err := l.guard(ctx, tx, tok, lease); err != nil {
		return err
	}
	key := guardKey{tx, l.name, tok}
	if _, again := l.m.guarded.LoadOrStore(key, struct{}{}); again {
		return nil
	}
	logCtx := context.WithoutCancel(ctx) // the caller's values (trace IDs) for the log
	time.AfterFunc(time.Until(start.Add(lease)), func() {
		l.m.guarded.Delete(key)
		if tx.Rollback() == nil {
			l.m.cfg.Logger.WarnContext(logCtx, "distlock: a guarded transaction was still open MaxTime after Guard; rolled back",
				"name", l.name, "maxTime", lease)
		}
	})
	return nil
}

// guard runs the dialect's Guard for tok in tx, once, bounding tx to
// lease.
func (l *Lock) guard(ctx context.Context, tx *sql.Tx, tok Token, lease time.Duration) (dialect.Row, error) {
	g, err := l.m.guarder()
	if err != nil {
		return dialect.Row{}, err
	}
	if tx == nil {
		return dialect.Row{}, fmt.Errorf("distlock: guard %q: nil *sql.Tx", l.name)
	}
	row, ok, err := g.Guard(ctx, tx, dialect.GuardRequest{
		Name: l.name, TokenHash: hashToken(l.name, tok), Bound: lease,
	})
	if err != nil {
		return row, dbError("guard", l.name, err)
	}
	if !ok {
		return row, fmt.Errorf("guard %q: %w", l.name, ErrExpired)
	}
	return row, nil
}

// ReleaseTx drops one hold of the handle's acquisition as a statement of
// tx: the release takes effect if tx commits, and not at all if it rolls
// back — "mark the job done and let go" in one commit. Like Release, it
// returns ErrNotHeld if the handle holds nothing and ErrExpired if its
// acquisition no longer holds the lock; after a Guard of the same
// acquisition in tx, an acquisition whose lease ran out while tx held it
// off still counts as holding (nobody could take it over).
//
// The handle cannot see whether tx commits, so ReleaseTx leaves it as it
// is: it goes on reporting the token and fence it has, which stay valid
// if tx rolls back. After a commit, its next operation learns of the
// release from the database (Extend and Release return ErrExpired and
// forget the token once it no longer holds; Acquire takes the lock anew),
// and the lock's waiters in this Module learn of it when they next poll
// (on PostgreSQL, the release's notification arrives with the commit).
// DoTx, which commits itself, updates its handle and wakes them at once.
func (l *Lock) ReleaseTx(ctx context.Context, tx *sql.Tx) error {
	tok, err := l.held(ctx)
	if err != nil {
		return err
	}
	_, guarded := l.m.guarded.Load(guardKey{tx, l.name, tok})
	_, _, err = l.releaseTx(ctx, tx, tok, guarded)
	return err
}

// releaseTx runs the dialect's ReleaseTx for tok in tx and returns the
// holds left and, when none are, the ticket of the head of the lock's
// line to wake once tx commits (0: nobody waits).
func (l *Lock) releaseTx(ctx context.Context, tx *sql.Tx, tok Token, guarded bool) (int, int64, error) {
	g, err := l.m.guarder()
	if err != nil {
		return 0, 0, err
	}
	if tx == nil {
		return 0, 0, fmt.Errorf("distlock: release %q: nil *sql.Tx", l.name)
	}
	holds, next, ok, err := g.ReleaseTx(ctx, tx, l.name, hashToken(l.name, tok), guarded)
	if err != nil {
		return 0, 0, dbError("release", l.name, err)
	}
	if !ok {
		return 0, 0, fmt.Errorf("release %q: %w", l.name, ErrExpired)
	}
	return holds, next, nil
}

// guarder returns the Store's dialect.Guarder.
func (m *Module) guarder() (dialect.Guarder, error) {
	g, ok := m.store.(dialect.Guarder)
	if !ok {
		return nil, fmt.Errorf("distlock: this dialect cannot guard transactions: %w", errors.ErrUnsupported)
	}
	return g, nil
}
