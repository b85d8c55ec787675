package mysql

import (
	"context"
	"strings"
	"time"

	"github.com/distlock/distlock/dialect"
)

// ahead is true when a live place in the line of the name comes before
// the caller's place (any live place, for a caller without one).
// Parameters: name, ticket, ticket.
const ahead = "EXISTS (SELECT 1 FROM {TABLE_queue} AS q WHERE q.name = ? AND q.expires_at > {NOW}\n" +
	"    AND (? = 0 OR q.ticket < ?))"

// aheadOfRow is ahead for a statement on the lock's row, which skips the
// places its last acquisition spent (ticket; see acquireRow). ahead,
// which reads the line before the row (the INSERT form of acquire),
// counts them until they are deleted, which only delays.
const aheadOfRow = "EXISTS (SELECT 1 FROM {TABLE_queue} AS q WHERE q.name = ? AND q.expires_at > {NOW}\n" +
	"    AND q.ticket > {TABLE}.ticket AND (? = 0 OR q.ticket < ?))"

// waiters counts the live places in the line of the lock row at hand.
const waiters = "(SELECT count(*) FROM {TABLE_queue} AS q WHERE q.name = {TABLE}.name AND q.expires_at > {NOW}\n" +
	"    AND q.ticket > {TABLE}.ticket)"

// queueStatements are the SQL of the line of waiters.
type queueStatements struct {
	enqueue, renew, poll, dequeue, taken, vacuum string
}

func newQueueStatements(r *strings.Replacer) queueStatements {
	return queueStatements{
		// Tickets come from AUTO_INCREMENT: they rise in arrival order.
		// Parameters: name, owner, reserve µs, and the grant's hash and
		// lease µs (see dialect.Granter).
		enqueue: r.Replace("INSERT INTO {TABLE_queue} (name, owner, expires_at, token_hash, lease_us)\n" +
			"VALUES (?, ?, {NOW} + INTERVAL ? MICROSECOND, ?, ?)"),
		// A place that lapsed is not revived: others may have gone past it.
		renew: r.Replace("UPDATE {TABLE_queue} SET expires_at = {NOW} + INTERVAL ? MICROSECOND\n" +
			"WHERE ticket = ? AND name = ? AND expires_at > {NOW}"),
		// Parameters: name, name, ticket, name, name, name, hash. Places
		// the lock's last acquisition spent are skipped. The last column
		// is the fence of a grant to the place's hash.
		poll: r.Replace("SELECT NOT EXISTS (SELECT 1 FROM {TABLE} AS t WHERE t.name = ? AND t.expires_at > {NOW}),\n" +
			"    (SELECT count(*) FROM {TABLE_queue} AS q WHERE q.name = ? AND q.expires_at > {NOW} AND q.ticket < ?\n" +
			"        AND q.ticket > IFNULL((SELECT t.ticket FROM {TABLE} AS t WHERE t.name = ?), 0)),\n" +
			"    coalesce((SELECT TIMESTAMPDIFF(MICROSECOND, {NOW}, t.expires_at) FROM {TABLE} AS t WHERE t.name = ?), 0),\n" +
			"    coalesce((SELECT t.fence FROM {TABLE} AS t WHERE t.name = ? AND t.expires_at > {NOW} AND t.token_hash = ?), 0)"),
		dequeue: r.Replace("DELETE FROM {TABLE_queue} WHERE ticket = ? AND name = ?"),
		vacuum:  r.Replace("DELETE FROM {TABLE_queue} WHERE expires_at <= {NOW} LIMIT ?"),
	}
}

func (s *store) Enqueue(ctx context.Context, req dialect.EnqueueRequest) (int64, error) {
	q, err := s.statements(ctx)
	if err != nil {
		return 0, err
	}
	var lease any // NULL without a hash
	if req.Hash != nil {
		lease = quantize(req.TTL)
	}
	res, err := s.exec(ctx, q.queue.enqueue, req.Name, req.Owner, req.Reserve.Microseconds(), req.Hash, lease)
	if err != nil {
		return 0, err
	}
	ticket, err := res.LastInsertId()
	return ticket, classify(err)
}

// Renew is two statements: MySQL's UPDATE returns no row.
func (s *store) Renew(ctx context.Context, p dialect.Place, reserve time.Duration) (dialect.QueueState, bool, error) {
	name, ticket := p.Name, p.Ticket
	q, err := s.statements(ctx)
	if err != nil {
		return dialect.QueueState{}, false, err
	}
	res, err := s.exec(ctx, q.queue.renew, reserve.Microseconds(), ticket, name)
	if err != nil {
		return dialect.QueueState{}, false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 && p.Hash == nil {
		return dialect.QueueState{}, false, classify(err)
	}
	st, err := s.Poll(ctx, p) // the place gone: a grant may have spent it
	return st, err == nil && n > 0, err
}

func (s *store) Poll(ctx context.Context, p dialect.Place) (dialect.QueueState, error) {
	name, ticket := p.Name, p.Ticket
	var st dialect.QueueState
	q, err := s.statements(ctx)
	if err != nil {
		return st, err
	}
	row, err := s.stmts.QueryRow(ctx, q.queue.poll, name, name, ticket, name, name, name, p.Hash)
	if err != nil {
		return st, classify(err)
	}
	var remaining int64
	_, err = dialect.ScanOne(row, func(sc dialect.Scanner) error { return sc.Scan(&st.Free, &st.Ahead, &remaining, &st.Fence) })
	st.Remaining = time.Duration(remaining) * time.Microsecond
	// A grant spends the place (the row records its ticket) without
	// removing it: its waiter removes it.
	st.Leave = st.Granted()
	return st, classify(err)
}

// Grants: see dialect.Granter and statements.release.
func (s *store) Grants() bool { return true }

func (s *store) Dequeue(ctx context.Context, name string, ticket int64) error {
	_, err := s.exec(ctx, s.sql.queue.dequeue, ticket, name)
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
