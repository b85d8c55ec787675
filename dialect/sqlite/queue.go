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

// state reads dialect.QueueState for the place :ticket of :name.
const state = `NOT EXISTS (SELECT 1 FROM {TABLE} AS t WHERE t.name = :name AND t.expires_at > {NOW}),
    (SELECT count(*) FROM {TABLE_queue} AS q WHERE q.name = :name AND q.expires_at > {NOW} AND q.ticket < :ticket),
    coalesce((SELECT t.expires_at - {NOW} FROM {TABLE} AS t WHERE t.name = :name), 0)`

// queueStatements are the SQL of the line of waiters.
type queueStatements struct {
	enqueue, renew, poll, dequeue, vacuum string
}

func newQueueStatements(r *strings.Replacer) queueStatements {
	st := r.Replace(state)
	return queueStatements{
		// A new rowid is one more than the greatest in use: places rise
		// in arrival order.
		enqueue: r.Replace(`INSERT INTO {TABLE_queue} (name, owner, expires_at) VALUES (:name, :owner, {NOW} + :reserve)
RETURNING ticket`),
		// A place that lapsed is not revived: others may have gone past it.
		renew: r.Replace(`UPDATE {TABLE_queue} SET expires_at = {NOW} + :reserve
WHERE ticket = :ticket AND name = :name AND expires_at > {NOW}
RETURNING `) + st,
		poll:    `SELECT ` + st,
		dequeue: r.Replace(`DELETE FROM {TABLE_queue} WHERE ticket = :ticket AND name = :name`),
		vacuum: r.Replace(`DELETE FROM {TABLE_queue} WHERE ticket IN (
    SELECT ticket FROM {TABLE_queue} WHERE expires_at <= {NOW} LIMIT :limit)`),
	}
}

func scanState(sc dialect.Scanner, st *dialect.QueueState) error {
	var remaining int64
	if err := sc.Scan(&st.Free, &st.Ahead, &remaining); err != nil {
		return err
	}
	st.Remaining = time.Duration(remaining) * time.Millisecond
	return nil
}

// Enqueue takes a place; its release does not grant (req.Hash and req.TTL
// are not stored).
func (s *store) Enqueue(ctx context.Context, req dialect.EnqueueRequest) (int64, error) {
	name, owner, reserve := req.Name, req.Owner, req.Reserve
	var ticket int64
	err := s.write(ctx, func() error {
		_, err := s.queryRow(ctx, s.sql.queue.enqueue, func(sc dialect.Scanner) error { return sc.Scan(&ticket) },
			sql.Named("name", name), sql.Named("owner", owner), sql.Named("reserve", reserve.Milliseconds()))
		return err
	})
	return ticket, err
}

func (s *store) Renew(ctx context.Context, p dialect.Place, reserve time.Duration) (dialect.QueueState, bool, error) {
	name, ticket := p.Name, p.Ticket
	var st dialect.QueueState
	var ok bool
	err := s.write(ctx, func() (err error) {
		ok, err = s.queryRow(ctx, s.sql.queue.renew, func(sc dialect.Scanner) error { return scanState(sc, &st) },
			sql.Named("name", name), sql.Named("ticket", ticket), sql.Named("reserve", reserve.Milliseconds()))
		return err
	})
	return st, ok, err
}

func (s *store) Poll(ctx context.Context, p dialect.Place) (dialect.QueueState, error) {
	name, ticket := p.Name, p.Ticket
	var st dialect.QueueState
	_, err := s.queryRow(ctx, s.sql.queue.poll, func(sc dialect.Scanner) error { return scanState(sc, &st) },
		sql.Named("name", name), sql.Named("ticket", ticket))
	return st, err
}

func (s *store) Dequeue(ctx context.Context, name string, ticket int64) error {
	return s.write(ctx, func() error {
		_, err := s.stmts.Exec(ctx, s.sql.queue.dequeue, sql.Named("name", name), sql.Named("ticket", ticket))
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
