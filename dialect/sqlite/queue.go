package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/distlock/distlock/dialect"
)

// ahead is true when a live place in the line of :name comes before the
// caller's place :ticket (any live place, for a caller without one).
const ahead = `EXISTS (SELECT 1 FROM {TABLE_queue} AS q WHERE q.name = :name AND q.expires_at > {NOW}
    AND (:ticket = 0 OR q.ticket < :ticket))`

// waiters counts the live places in the line of the lock row at hand.
const waiters = `(SELECT count(*) FROM {TABLE_queue} AS q WHERE q.name = {TABLE}.name AND q.expires_at > {NOW})`

// state reads dialect.QueueState for the place :ticket of :name whose
// waiter would hold the token hashed :hash: the lock is granted to it when
// its live row carries that hash.
const state = `NOT EXISTS (SELECT 1 FROM {TABLE} AS t WHERE t.name = :name AND t.expires_at > {NOW}),
    (SELECT count(*) FROM {TABLE_queue} AS q WHERE q.name = :name AND q.expires_at > {NOW} AND q.ticket < :ticket),
    coalesce((SELECT t.expires_at - {NOW} FROM {TABLE} AS t WHERE t.name = :name), 0),
    coalesce((SELECT t.fence FROM {TABLE} AS t WHERE t.name = :name AND t.expires_at > {NOW} AND t.token_hash = :hash), 0)`

// queueStatements are the SQL of the line of waiters.
type queueStatements struct {
	enqueue, renew, poll, dequeue, vacuum string
	// head and grant: see store.grant.
	head, grant, granted string
}

func newQueueStatements(r *strings.Replacer) queueStatements {
	st := r.Replace(state)
	return queueStatements{
		// A new rowid is one more than the greatest in use: places rise
		// in arrival order.
		// :hash and :lease (ms) are the grant's (see dialect.Granter).
		enqueue: r.Replace(`INSERT INTO {TABLE_queue} (name, owner, expires_at, token_hash, lease)
VALUES (:name, :owner, {NOW} + :reserve, :hash, :lease)
RETURNING ticket`),
		// A place that lapsed is not revived: others may have gone past it.
		renew: r.Replace(`UPDATE {TABLE_queue} SET expires_at = {NOW} + :reserve
WHERE ticket = :ticket AND name = :name AND expires_at > {NOW}
RETURNING `) + st,
		poll:    `SELECT ` + st,
		dequeue: r.Replace(`DELETE FROM {TABLE_queue} WHERE ticket = :ticket AND name = :name`),
		vacuum: r.Replace(`DELETE FROM {TABLE_queue} WHERE ticket IN (
    SELECT ticket FROM {TABLE_queue} WHERE expires_at <= {NOW} LIMIT :limit)`),
		// The live head of the line of :name, if its place can be
		// granted the lock (it carries a hash).
		head: r.Replace(`SELECT ticket, token_hash, owner, coalesce(lease, 0), expires_at FROM {TABLE_queue}
WHERE name = :name AND expires_at > {NOW} ORDER BY ticket LIMIT 1`),
		// The release of :hash's hold, granting the lock to the head read
		// by head (:to_hash, :to_owner, :to_lease, the place's expiry
		// :to_expires) if the hold is the last. The first column is the
		// holds the releasing token has left.
		grant: r.Replace(`UPDATE {TABLE} SET
    holds       = CASE WHEN holds > 1 THEN holds - 1 ELSE 1 END,
    token_hash  = CASE WHEN holds > 1 THEN token_hash ELSE :to_hash END,
    owner       = CASE WHEN holds > 1 THEN owner ELSE :to_owner END,
    fence       = CASE WHEN holds > 1 THEN fence ELSE fence + 1 END,
    acquired_at = CASE WHEN holds > 1 THEN acquired_at ELSE {NOW} END,
    lease       = CASE WHEN holds > 1 THEN lease ELSE :to_lease END,
    expires_at  = CASE WHEN holds > 1 THEN expires_at ELSE :to_expires END
WHERE name = :name AND token_hash = :hash AND expires_at > {NOW}
RETURNING CASE WHEN token_hash = :hash THEN holds ELSE 0 END, fence, expires_at - {NOW}`),
		granted: r.Replace(`DELETE FROM {TABLE_queue} WHERE ticket = :ticket`),
	}
}

func scanState(sc dialect.Scanner, st *dialect.QueueState) error {
	var remaining int64
	if err := sc.Scan(&st.Free, &st.Ahead, &remaining, &st.Fence); err != nil {
		return err
	}
	st.Remaining = time.Duration(remaining) * time.Millisecond
	return nil
}

// The line's writes (a place taken, renewed, removed) commit without
// waiting for the disk (see store.async): only a crash of the machine may
// lose one, and that ends every waiter too. (Were a place lost, its waiter
// would find it gone at its next renewal and take another.)

func (s *store) Enqueue(ctx context.Context, req dialect.EnqueueRequest) (int64, error) {
	var ticket int64
	var lease any // NULL without a hash
	if req.Hash != nil {
		lease = req.TTL.Milliseconds()
	}
	err := s.async(ctx, s.sql.queue.enqueue, func(ctx context.Context, st *sql.Stmt) error {
		return classify(st.QueryRowContext(ctx, sql.Named("name", req.Name), sql.Named("owner", req.Owner),
			sql.Named("reserve", req.Reserve.Milliseconds()), sql.Named("hash", req.Hash), sql.Named("lease", lease)).Scan(&ticket))
	})
	return ticket, err
}

// Renew reads the lock after its update; when the place is gone, with a
// second read (a grant may have removed it).
func (s *store) Renew(ctx context.Context, p dialect.Place, reserve time.Duration) (dialect.QueueState, bool, error) {
	var st dialect.QueueState
	var ok bool
	err := s.async(ctx, s.sql.queue.renew, func(ctx context.Context, stmt *sql.Stmt) (err error) {
		ok, err = dialect.ScanOne(stmt.QueryRowContext(ctx, sql.Named("name", p.Name), sql.Named("ticket", p.Ticket),
			sql.Named("reserve", reserve.Milliseconds()), sql.Named("hash", p.Hash)),
			func(sc dialect.Scanner) error { return scanState(sc, &st) })
		return classify(err)
	})
	if err != nil || ok || p.Hash == nil {
		return st, ok, err
	}
	st, err = s.Poll(ctx, p)
	return st, false, err
}

func (s *store) Poll(ctx context.Context, p dialect.Place) (dialect.QueueState, error) {
	var st dialect.QueueState
	_, err := s.queryRow(ctx, s.sql.queue.poll, func(sc dialect.Scanner) error { return scanState(sc, &st) },
		sql.Named("name", p.Name), sql.Named("ticket", p.Ticket), sql.Named("hash", p.Hash))
	return st, err
}

// Grants: see dialect.Granter and store.Release.
func (s *store) Grants() bool { return true }

func (s *store) Dequeue(ctx context.Context, name string, ticket int64) error {
	return s.async(ctx, s.sql.queue.dequeue, func(ctx context.Context, st *sql.Stmt) error {
		_, err := st.ExecContext(ctx, sql.Named("name", name), sql.Named("ticket", ticket))
		return classify(err)
	})
}

func (s *store) VacuumQueue(ctx context.Context, limit int) (int64, error) {
	var n int64
	err := s.write(ctx, func() error {
		res, err := s.stmts.Exec(ctx, s.sql.queue.vacuum, sql.Named("limit", limit))
		if err == nil {
			n, err = res.RowsAffected()
		}
		return classify(err)
	})
	return n, err
}
