package postgres

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/distlock/distlock/dialect"
)

// ahead is true when a live place in the line of $1 comes before the
// caller's place $6 (any live place, for a caller without one: $6 = 0).
const ahead = `EXISTS (SELECT 1 FROM {TABLE_queue} AS q WHERE q.name = $1 AND q.expires_at > now()
    AND ($6::bigint = 0 OR q.ticket < $6::bigint))`

// waiters counts the live places in the line of the lock row at hand.
const waiters = `(SELECT count(*) FROM {TABLE_queue} AS q WHERE q.name = {TABLE}.name AND q.expires_at > now())`

// state reads dialect.QueueState for the place $2 in the line of $1
// whose waiter would hold the token hashed $3: the lock is granted to it
// when its live row carries that hash.
const state = `NOT EXISTS (SELECT 1 FROM {TABLE} AS t WHERE t.name = $1 AND t.expires_at > now()),
    (SELECT count(*) FROM {TABLE_queue} AS q WHERE q.name = $1 AND q.expires_at > now() AND q.ticket < $2),
    coalesce((SELECT (extract(epoch FROM t.expires_at - now()) * 1000000)::bigint FROM {TABLE} AS t WHERE t.name = $1), 0),
    coalesce((SELECT t.fence FROM {TABLE} AS t WHERE t.name = $1 AND t.expires_at > now() AND t.token_hash = $3::bytea), 0)`

// async makes the statement's transaction commit without waiting for the
// disk; it reads as NULL.
const async = `set_config('synchronous_commit', 'off', true) IS NULL`

// queueStatements are the SQL of the line of waiters.
type queueStatements struct {
	enqueue, renew, poll, dequeue, vacuum string
}

func newQueueStatements(r *strings.Replacer) queueStatements {
	st := r.Replace(state)
	// The line's writes commit without waiting for the disk
	// (synchronous_commit off, for their transaction only): a crash that
	// loses one loses a place, which its waiter finds gone at its next
	// renewal and takes again, or revives one that lapses by itself.
	return queueStatements{
		// Tickets come from a sequence: they rise in arrival order.
		// $4 is the Store's nonce (see store.nonce), $5 and $6 the
		// token hash and lease in µs of the grant (see dialect.Granter).
		enqueue: r.Replace(`INSERT INTO {TABLE_queue} (name, owner, expires_at, nonce, token_hash, lease)
VALUES ($1, $2, now() + $3::bigint * interval '1 microsecond', $4, $5, $6::bigint * interval '1 microsecond')
RETURNING ticket, ` + async),
		// A place that lapsed is not revived: others may have gone past
		// it. The lock is read as poll reads it ($3 the place's hash),
		// whether the place is there or not (a grant removes it).
		renew: r.Replace(`WITH renewed AS (
    UPDATE {TABLE_queue} SET expires_at = now() + $4::bigint * interval '1 microsecond'
    WHERE name = $1 AND ticket = $2 AND expires_at > now()
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM renewed), `) + st + `, ` + async,
		poll:    `SELECT ` + st,
		dequeue: r.Replace(`DELETE FROM {TABLE_queue} WHERE name = $1 AND ticket = $2 RETURNING ` + async),
		vacuum: r.Replace(`DELETE FROM {TABLE_queue} WHERE (name, ticket) IN (
    SELECT name, ticket FROM {TABLE_queue} WHERE expires_at <= now() LIMIT $1)`),
	}
}

func scanState(sc dialect.Scanner, st *dialect.QueueState, extra ...any) error {
	var remaining int64
	if err := sc.Scan(append([]any{&st.Free, &st.Ahead, &remaining, &st.Fence}, extra...)...); err != nil {
		return err
	}
	st.Remaining = time.Duration(remaining) * time.Microsecond
	return nil
}

func (s *store) Enqueue(ctx context.Context, req dialect.EnqueueRequest) (int64, error) {
	var ticket int64
	var async sql.NullBool
	var lease sql.NullInt64
	if req.Hash != nil {
		lease = sql.NullInt64{Int64: req.TTL.Microseconds(), Valid: true}
	}
	_, err := s.queryRow(ctx, s.sql.queue.enqueue, func(sc dialect.Scanner) error { return sc.Scan(&ticket, &async) },
		req.Name, req.Owner, req.Reserve.Microseconds(), s.nonce, req.Hash, lease)
	return ticket, err
}

func (s *store) Renew(ctx context.Context, p dialect.Place, reserve time.Duration) (dialect.QueueState, bool, error) {
	var st dialect.QueueState
	var ok bool
	var async sql.NullBool
	_, err := s.queryRow(ctx, s.sql.queue.renew, func(sc dialect.Scanner) error {
		return scanState(leadingCol{sc, &ok}, &st, &async)
	}, p.Name, p.Ticket, p.Hash, reserve.Microseconds())
	return st, ok, err
}

func (s *store) Poll(ctx context.Context, p dialect.Place) (dialect.QueueState, error) {
	var st dialect.QueueState
	_, err := s.queryRow(ctx, s.sql.queue.poll, func(sc dialect.Scanner) error { return scanState(sc, &st) },
		p.Name, p.Ticket, p.Hash)
	return st, err
}

// leadingCol scans the first column of a statement into first, and the
// rest as its reader expects.
type leadingCol struct {
	dialect.Scanner
	first any
}

func (l leadingCol) Scan(dest ...any) error {
	return l.Scanner.Scan(append([]any{l.first}, dest...)...)
}

// Grants: see dialect.Granter.
func (s *store) Grants() bool { return true }

func (s *store) Dequeue(ctx context.Context, name string, ticket int64) error {
	_, err := s.exec(ctx, s.sql.queue.dequeue, name, ticket)
	return err
}

func (s *store) VacuumQueue(ctx context.Context, limit int) (int64, error) {
	res, err := s.exec(ctx, s.sql.queue.vacuum, limit)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return n, classify(err)
}
