package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/distlock/distlock/dialect"
)

type store struct {
	db    *sql.DB
	table string
	sql   statements
	stmts *dialect.Stmts // parsed once per connection, not on every call

	guardSQL guardStatements // see guard.go

	// turn is held while a statement that writes runs. SQLite has one
	// writer at a time; goroutines of one process that collided on its
	// lock would each sleep in SQLite's busy handler, up to 100ms a time
	// and in no order, so that a vacuum could starve acquisitions for
	// seconds. Waiting for the turn instead is first come, first served.
	// Other processes are still kept apart by SQLite's lock.
	turn chan struct{}

	// granting holds the names (string → struct{}) whose last release
	// here granted the lock to their line: their next release goes
	// straight to grant (see Release).
	granting sync.Map
}

func newStore(db *sql.DB, table string) *store {
	return &store{db: db, table: table, sql: newStatements(table), stmts: dialect.NewStmts(db), turn: make(chan struct{}, 1),
		guardSQL: newGuardStatements(table)}
}

// write runs f, which writes, in this store's turn.
func (s *store) write(ctx context.Context, f func() error) error {
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err() // nothing ran
	}
	defer func() { <-s.turn }()
	return f()
}

// onConn runs f, in the Store's turn to write, on a connection of the
// pool of its own (which f may set up and undo, or discard).
func (s *store) onConn(ctx context.Context, f func(conn *sql.Conn) error) error {
	return s.write(ctx, func() error {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return classify(err)
		}
		defer conn.Close()
		return f(conn)
	})
}

func (s *store) Acquire(ctx context.Context, req dialect.AcquireRequest) (dialect.AcquireResult, error) {
	var res dialect.AcquireResult
	var heldHash any // NULL when the caller holds nothing
	if req.HeldHash != nil {
		heldHash = req.HeldHash
	}
	var found, live bool
	err := s.write(ctx, func() (err error) {
		found, err = s.queryRow(ctx, s.sql.acquire, func(sc dialect.Scanner) error {
			return scanRow(sc, &res.Row, []any{&live, &res.Reentered})
		},
			sql.Named("name", req.Name),
			sql.Named("new_hash", req.NewHash),
			sql.Named("held_hash", heldHash),
			sql.Named("owner", req.Owner),
			sql.Named("ttl", req.TTL.Milliseconds()),
			sql.Named("keep", req.KeepLease),
			sql.Named("ticket", req.Ticket),
		)
		found = found && live // not a free row inserted behind a line
		if err == nil && found && req.Ticket != 0 {
			// Taken from a place in line: leave the line. The lock is
			// taken even if that fails (busy); the caller removes the place.
			_, qerr := s.stmts.Exec(ctx, s.sql.queue.dequeue, sql.Named("name", req.Name), sql.Named("ticket", req.Ticket))
			res.Queued = qerr != nil
		}
		return err
	})
	if err != nil || found || req.Wait <= 0 {
		res.Acquired = found
		return res, err
	}
	// Held by someone else: read for how long, so that the waiter does not
	// sleep past the expiry (a TryAcquire does not need to know). A read
	// never waits for SQLite's write lock.
	_, err = s.queryRow(ctx, s.sql.holder, func(sc dialect.Scanner) error {
		return scanRow(sc, &res.Row, nil)
	}, sql.Named("name", req.Name))
	return res, err
}

func (s *store) Extend(ctx context.Context, req dialect.ExtendRequest) (dialect.Row, bool, error) {
	var row dialect.Row
	var ok bool
	err := s.write(ctx, func() (err error) {
		ok, err = s.queryRow(ctx, s.sql.extend, func(sc dialect.Scanner) error { return scanRow(sc, &row, nil) },
			sql.Named("name", req.Name), sql.Named("hash", req.TokenHash),
			sql.Named("ttl", req.TTL.Milliseconds()), sql.Named("keep", req.KeepLease))
		return err
	})
	return row, ok, err
}

// Release commits without waiting for the disk (see async). Such a
// release hands the lock to nobody: if the machine lost power before the
// WAL reached the disk, the lost release would only keep the lock until it
// expires, and the next durable commit (the next acquisition, which sees
// the release) syncs the WAL up to and including it. The statement leaves
// alone a last hold whose release would grant the lock to the head of its
// line: grant does that, durably. A lock whose last release here granted
// it is likely to have a line again: its release goes to grant at once,
// rather than first run a transaction that would leave the hold alone
// (where the line has gone meanwhile, grant releases durably).
func (s *store) Release(ctx context.Context, name string, tokenHash []byte) (dialect.Released, bool, error) {
	if _, ok := s.granting.Load(name); ok {
		return s.grant(ctx, name, tokenHash)
	}
	var res dialect.Released
	var ok bool
	err := s.async(ctx, s.sql.release, func(ctx context.Context, st *sql.Stmt) (err error) {
		ok, err = dialect.ScanOne(st.QueryRowContext(ctx, sql.Named("name", name), sql.Named("hash", tokenHash), sql.Named("grantable", true)),
			func(sc dialect.Scanner) error { return sc.Scan(&res.Holds, &res.Next) })
		return classify(err)
	})
	if err == nil && !ok {
		// Not held, or its last hold goes to the head of the line.
		return s.grant(ctx, name, tokenHash)
	}
	return res, ok, err
}

// async runs query's statement (f runs it), in the Store's turn to write,
// committing without waiting for the disk: on a connection of the pool
// switched to synchronous=NORMAL for it, and back to FULL after (a
// connection that could not be switched back is discarded). In WAL mode a
// NORMAL commit reaches the operating system, so it survives the crash of
// any process; only a crash of the machine (which ends every process
// that shares the file) may lose it.
//
// The statement runs in a transaction of its own (the setting cannot
// change inside one), where database/sql reuses the statement prepared on
// that connection: outside one, a statement on a *sql.Conn is parsed
// again on every call, which cost more than the rest of a release.
func (s *store) async(ctx context.Context, query string, f func(ctx context.Context, st *sql.Stmt) error) error {
	prepared, err := s.stmts.ForTx(ctx, query)
	if err != nil {
		return classify(err)
	}
	return s.onConn(ctx, func(conn *sql.Conn) error {
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
			return classify(err)
		}
		defer func() {
			if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL"); err != nil {
				// Never hand a connection that skips syncs back to the pool.
				dialect.Discard(conn)
			}
		}()
		return s.inTx(ctx, conn, func(tx *sql.Tx) error {
			st, err := prepared.In(ctx, tx)
			if err != nil {
				return classify(err)
			}
			return f(ctx, st)
		})
	})
}

// inTx runs f in a transaction on conn, and commits it if f succeeds.
func (s *store) inTx(ctx context.Context, conn *sql.Conn, f func(tx *sql.Tx) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := f(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			dialect.Discard(conn) // its transaction's state is unknown
		}
		return err
	}
	return classify(tx.Commit())
}

// txRow runs st in tx like queryRow.
func (s *store) txRow(ctx context.Context, tx *sql.Tx, st dialect.TxStmt, scan func(dialect.Scanner) error, args ...any) (bool, error) {
	stmt, err := st.In(ctx, tx)
	if err != nil {
		return false, classify(err)
	}
	ok, err := dialect.ScanOne(stmt.QueryRowContext(ctx, args...), scan)
	return ok, classify(err)
}

// place is the head of a line, as head reads it.
type place struct {
	ticket  int64
	hash    []byte
	owner   string
	lease   int64 // ms
	expires int64 // Unix ms
}

// grantStmts are the statements of grant, prepared for its transaction.
type grantStmts struct{ head, grant, granted, release dialect.TxStmt }

func (s *store) grantStmts(ctx context.Context) (g grantStmts, err error) {
	for _, st := range []struct {
		to    *dialect.TxStmt
		query string
	}{{&g.head, s.sql.queue.head}, {&g.grant, s.sql.queue.grant}, {&g.granted, s.sql.queue.granted}, {&g.release, s.sql.release}} {
		if *st.to, err = s.stmts.ForTx(ctx, st.query); err != nil {
			return g, classify(err)
		}
	}
	return g, nil
}

// grant releases tokenHash's hold and, if it was the last, grants the lock
// to the head of the line, in one transaction on a pool connection, which
// commits durably: the grant is an acquisition. The lock takes the place's
// hash, owner and lease, the next fence, and the place's expiry (a waiter
// that died in line holds the lock no longer than its place), and the
// place is removed. The head is read again inside the transaction, which
// takes the write lock as it begins (BEGIN IMMEDIATE, Open's _txlock); on
// a pool whose transactions begin deferred, a writer that comes between
// the read and the grant makes the grant fail busy, and it is retried.
func (s *store) grant(ctx context.Context, name string, tokenHash []byte) (dialect.Released, bool, error) {
	g, err := s.grantStmts(ctx)
	if err != nil {
		return dialect.Released{}, false, err
	}
	var res dialect.Released
	var ok bool
	err = s.onConn(ctx, func(conn *sql.Conn) error {
		return s.inTx(ctx, conn, func(tx *sql.Tx) error {
			var h place
			found, err := s.txRow(ctx, tx, g.head, func(sc dialect.Scanner) error {
				return sc.Scan(&h.ticket, &h.hash, &h.owner, &h.lease, &h.expires)
			}, sql.Named("name", name))
			if err != nil {
				return err
			}
			if !found || h.hash == nil { // the place went meanwhile: a plain release, durable here
				ok, err = s.txRow(ctx, tx, g.release, func(sc dialect.Scanner) error { return sc.Scan(&res.Holds, &res.Next) },
					sql.Named("name", name), sql.Named("hash", tokenHash), sql.Named("grantable", false))
				return err
			}
			var remaining int64
			ok, err = s.txRow(ctx, tx, g.grant, func(sc dialect.Scanner) error { return sc.Scan(&res.Holds, &res.Fence, &remaining) },
				sql.Named("name", name), sql.Named("hash", tokenHash),
				sql.Named("to_hash", h.hash), sql.Named("to_owner", h.owner), sql.Named("to_lease", h.lease),
				sql.Named("to_expires", h.expires))
			if err != nil || !ok {
				return err
			}
			if res.Holds > 0 {
				res.Fence = 0
				return nil
			}
			granted, err := g.granted.In(ctx, tx)
			if err == nil {
				_, err = granted.ExecContext(ctx, sql.Named("ticket", h.ticket))
			}
			if err != nil {
				return classify(err)
			}
			res.Next, res.Remaining = h.ticket, time.Duration(remaining)*time.Millisecond
			return nil
		})
	})
	if err != nil {
		return dialect.Released{}, false, err
	}
	switch {
	case res.Fence > 0:
		s.granting.Store(name, struct{}{})
	case ok && res.Holds == 0:
		s.granting.Delete(name) // nobody to grant it to
	}
	return res, ok, nil
}

func (s *store) Inspect(ctx context.Context, name string) (dialect.Row, bool, error) {
	var row dialect.Row
	ok, err := s.queryRow(ctx, s.sql.inspect, func(sc dialect.Scanner) error { return scanRowWaiters(sc, &row) },
		sql.Named("name", name))
	return row, ok, err
}

func (s *store) List(ctx context.Context) ([]dialect.Row, error) {
	rows, err := s.stmts.Query(ctx, s.sql.list)
	if err != nil {
		return nil, classify(err)
	}
	out, err := dialect.ScanAll(rows, scanRowWaiters)
	return out, classify(err)
}

func (s *store) VacuumBatch(ctx context.Context, after string, limit int) (removed int64, next string, err error) {
	var looked int64
	var last string
	if _, err := s.queryRow(ctx, s.sql.vacuumBatch, func(sc dialect.Scanner) error { return sc.Scan(&looked, &last) },
		sql.Named("after", after), sql.Named("limit", limit)); err != nil || looked == 0 {
		return 0, "", err
	}
	err = s.write(ctx, func() error {
		res, err := s.stmts.Exec(ctx, s.sql.vacuum, sql.Named("after", after), sql.Named("last", last))
		if err == nil {
			removed, err = res.RowsAffected()
		}
		return classify(err)
	})
	if err != nil || looked < int64(limit) {
		return removed, "", err // "": the end of the table
	}
	return removed, last, nil
}

// Close closes the prepared statements.
func (s *store) Close() error { return s.stmts.Close() }

// queryRow runs a statement that returns at most one row, scanning it
// with scan, and reports whether there was one.
func (s *store) queryRow(ctx context.Context, query string, scan func(dialect.Scanner) error, args ...any) (bool, error) {
	row, err := s.stmts.QueryRow(ctx, query, args...)
	if err != nil {
		return false, classify(err)
	}
	ok, err := dialect.ScanOne(row, scan)
	return ok, classify(err)
}

// scanRowWaiters reads rowColumns and then the count of waiters.
func scanRowWaiters(sc dialect.Scanner, r *dialect.Row) error {
	return scanRow(sc, r, nil, &r.Waiters)
}

// scanRow reads rowColumns, after any leading extra columns and before
// any trailing ones (after).
func scanRow(sc dialect.Scanner, r *dialect.Row, extra []any, after ...any) error {
	var acquired, expires, remaining, lease int64
	dest := append(extra, &r.Name, &r.Owner, &r.Holds, &r.Fence, &acquired, &expires, &remaining, &lease)
	if err := sc.Scan(append(dest, after...)...); err != nil {
		return err
	}
	r.AcquiredAt = time.UnixMilli(acquired).UTC()
	r.ExpiresAt = time.UnixMilli(expires).UTC()
	r.Remaining = time.Duration(remaining) * time.Millisecond
	r.Lease = time.Duration(lease) * time.Millisecond
	return nil
}
