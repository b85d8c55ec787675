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

// state reads dialect.QueueState for the place $2 in the line of $1.
const state = `NOT EXISTS (SELECT 1 FROM {TABLE} AS t WHERE t.name = $1 AND t.expires_at > now()),
    (SELECT count(*) FROM {TABLE_queue} AS q WHERE q.name = $1 AND q.expires_at > now() AND q.ticket < $2),
    coalesce((SELECT (extract(epoch FROM t.expires_at - now()) * 1000000)::bigint FROM {TABLE} AS t WHERE t.name = $1), 0)`

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
		// $4 is the Store's nonce (see store.nonce).
		enqueue: r.Replace(`INSERT INTO {TABLE_queue} (name, owner, expires_at, nonce)
VALUES ($1, $2, now() + $3::bigint * interval '1 microsecond', $4)
RETURNING ticket, ` + async),
		// A place that lapsed is not revived: others may have gone past it.
		renew: r.Replace(`UPDATE {TABLE_queue} SET expires_at = now() + $3::bigint * interval '1 microsecond'
WHERE name = $1 AND ticket = $2 AND expires_at > now()
RETURNING `) + st + `, ` + async,
		poll:    `SELECT ` + st,
		dequeue: r.Replace(`DELETE FROM {TABLE_queue} WHERE name = $1 AND ticket = $2 RETURNING ` + async),
		vacuum: r.Replace(`DELETE FROM {TABLE_queue} WHERE (name, ticket) IN (
    SELECT name, ticket FROM {TABLE_queue} WHERE expires_at <= now() LIMIT $1)`),
	}
}

func scanState(sc dialect.Scanner, st *dialect.QueueState) error {
	var remaining int64
	if err := sc.Scan(&st.Free, &st.Ahead, &remaining); err != nil {
		return err
	}
	st.Remaining = time.Duration(remaining) * time.Microsecond
	return nil
}

func (s *store) Enqueue(ctx context.Context, name, owner string, reserve time.Duration) (int64, error) {
	var ticket int64
	var async sql.NullBool
	_, err := s.queryRow(ctx, s.sql.queue.enqueue, func(sc dialect.Scanner) error { return sc.Scan(&ticket, &async) },
		name, owner, reserve.Microseconds(), s.nonce)
	return ticket, err
}

func (s *store) Renew(ctx context.Context, name string, ticket int64, reserve time.Duration) (dialect.QueueState, bool, error) {
	var st dialect.QueueState
	var async sql.NullBool
	ok, err := s.queryRow(ctx, s.sql.queue.renew, func(sc dialect.Scanner) error {
		return scanState(extraCols{sc, []any{&async}}, &st)
	},
		name, ticket, reserve.Microseconds())
	return st, ok, err
}

func (s *store) Poll(ctx context.Context, name string, ticket int64) (dialect.QueueState, error) {
	var st dialect.QueueState
	_, err := s.queryRow(ctx, s.sql.queue.poll, func(sc dialect.Scanner) error { return scanState(sc, &st) }, name, ticket)
	return st, err
}

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
