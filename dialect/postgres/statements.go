package postgres

import "strings"

// remaining is the time a row has left, in microseconds, by the server's
// clock.
const remaining = "(extract(epoch FROM expires_at - now()) * 1000000)::bigint"

// leaseUS is a row's lease in microseconds, 0 when it remembers none.
const leaseUS = "coalesce((extract(epoch FROM lease) * 1000000)::bigint, 0)"

// rowColumns are read by scanRow, in this order.
const rowColumns = "name, owner, holds, fence, acquired_at, expires_at, " + remaining + ", " + leaseUS

// statements holds the SQL of one lock table. A row is live while
// expires_at > now(); release sets expires_at to now(), so free rows and
// expired rows are the same thing.
type statements struct {
	acquire, acquireQueued, extend, release, inspect, list, vacuumLock, vacuum string
	queue                                                                      queueStatements
}

// acquire is the statement behind Store.Acquire (see newStatements).
const acquire = `INSERT INTO {TABLE} AS t (name, token_hash, owner, holds, fence, acquired_at, expires_at, lease)
SELECT $1, $2, $4, CASE WHEN ahead THEN 0 ELSE 1 END, nextval('{TABLE_fence_seq}'), now(),
       CASE WHEN ahead THEN now() ELSE now() + {TTL} END, {TTL}
FROM (SELECT {AHEAD} AS ahead) AS line
ON CONFLICT (name) DO UPDATE SET
    token_hash  = CASE WHEN t.expires_at <= now() AND excluded.holds = 1 THEN excluded.token_hash ELSE t.token_hash END,
    owner       = CASE WHEN t.expires_at <= now() AND excluded.holds = 1 THEN excluded.owner ELSE t.owner END,
    holds       = CASE WHEN t.expires_at <= now() AND excluded.holds = 1 THEN 1
                       WHEN t.expires_at > now() AND t.token_hash = $3 THEN t.holds + 1 ELSE t.holds END,
    fence       = CASE WHEN t.expires_at <= now() AND excluded.holds = 1 THEN nextval('{TABLE_fence_seq}') ELSE t.fence END,
    acquired_at = CASE WHEN t.expires_at <= now() AND excluded.holds = 1 THEN now() ELSE t.acquired_at END,
    lease       = CASE WHEN t.expires_at <= now() AND excluded.holds = 1 THEN excluded.lease
                       WHEN t.expires_at > now() AND t.token_hash = $3 THEN {RENEWED} ELSE t.lease END,
    expires_at  = CASE WHEN t.expires_at <= now() AND excluded.holds = 1 THEN now() + excluded.lease
                       WHEN t.expires_at > now() AND t.token_hash = $3 THEN greatest(t.expires_at, now() + {RENEWED})
                       ELSE t.expires_at END
RETURNING coalesce(t.expires_at > now() AND (t.token_hash = $2 OR t.token_hash = $3::bytea), false) AS acquired,
    holds, fence, owner, {REMAINING}, {LEASE_US},
    set_config('synchronous_commit', CASE WHEN t.expires_at > now() AND (t.token_hash = $2 OR t.token_hash = $3::bytea)
        THEN current_setting('synchronous_commit') ELSE 'off' END, true) IS NULL AS async`

func newStatements(table string) statements {
	names := []string{
		"{TABLE_fence_seq}", `"` + table + `_fence_seq"`,
		"{TABLE_ticket_seq}", `"` + table + `_ticket_seq"`,
		"{TABLE_queue}", `"` + table + `_queue"`,
		"{TABLE_released}", "'" + table + "_released'",
		"{TABLE}", `"` + table + `"`,
		"{ROW}", rowColumns,
		"{REMAINING}", remaining,
		"{TTL}", "($5::bigint * interval '1 microsecond')",
		// The lease an extend sets: the row's ($4, keep it), else $3.
		"{EXTENDED}", "CASE WHEN $4 THEN coalesce(lease, $3::bigint * interval '1 microsecond') ELSE $3::bigint * interval '1 microsecond' END",
		// The lease a re-entry renews: the row's ($7, keep it), else $5.
		"{RENEWED}", "CASE WHEN $7 THEN coalesce(t.lease, excluded.lease) ELSE excluded.lease END",
		"{LEASE_US}", leaseUS,
	}
	inner := strings.NewReplacer(names...)
	r := strings.NewReplacer(append(names, "{AHEAD}", inner.Replace(ahead), "{WAITERS}", inner.Replace(waiters))...)
	return statements{
		// Parameters: $1 name, $2 new token hash, $3 held token hash (or
		// NULL), $4 owner, $5 time to live in µs, $6 the caller's ticket in
		// the lock's line (0: none), $7 whether a re-entry keeps the
		// lease the row remembers. A re-entry never brings the expiry
		// closer (see dialect.Store.Extend).
		//
		// One statement, one round trip, always one row back. The upsert
		// inserts a new row, or takes a free/expired row as a new
		// acquisition, or re-enters a live row whose hash is $3. Otherwise
		// someone else holds it: the update rewrites the holder's values
		// unchanged (which costs no more than the row lock that a WHERE
		// would take anyway, and spares a second branch to read the
		// holder's row). While the lock's line is live, a free lock goes
		// only to its head: the proposed row says whether a live place
		// comes before the caller's ($6; any place, for a caller with
		// none) by its holds (0 when one does, read as excluded.holds),
		// and a new row proposed then is inserted free. A new
		// acquisition's fence is a fresh nextval, drawn after the row lock
		// is taken. It is acquired when the row now carries the offered
		// hash and is live; only a re-entry leaves more than one hold, so
		// holds > 1 tells it from a new acquisition even when $2 = $3 (a
		// retried attempt). No column that changes here is indexed, so the
		// update stays on its page (HOT).
		//
		// An attempt that acquires nothing changed nothing a crash could
		// lose (it rewrote the holder's values unchanged, or inserted a
		// free row, or took no place), so it commits without waiting for
		// the disk (synchronous_commit off, for this transaction only);
		// an acquisition or a re-entry commits durably.
		acquire: r.Replace(acquire),
		// The same, for a waiter taking the lock from its place in line
		// ($6), which it leaves in the same statement.
		acquireQueued: r.Replace(`WITH taken AS (` + acquire + `
), gone AS (
    DELETE FROM {TABLE_queue} AS q USING taken
    WHERE taken.acquired AND q.name = $1 AND q.ticket = $6
)
SELECT * FROM taken`),

		// Parameters: $1 name, $2 token hash, $3 lease in µs, $4 whether
		// to keep the row's lease instead. The SET expressions read the
		// row as it was.
		extend: r.Replace(`UPDATE {TABLE} SET
    lease      = {EXTENDED},
    expires_at = greatest(expires_at, now() + {EXTENDED})
WHERE name = $1 AND token_hash = $2 AND expires_at > now()
RETURNING {ROW}`),

		// The last hold's release looks at the live head of the lock's
		// line. When its place carries a token hash (see
		// dialect.Granter), the release grants it the lock in the same
		// statement: the place is removed, and the row takes its hash,
		// owner and lease, a fresh fence, and its expiry (a waiter that
		// died in line holds the lock no longer than it held its place).
		// The expiry is the one the DELETE returns: the place's latest
		// version, which every renewal its waiter saw succeed had written
		// (one that comes later finds the place gone), so the waiter's
		// own estimate of its place's expiry is one of the grant's too.
		// (Should the holder re-enter while releasing, so that the hold
		// released is not the last, the place is gone but nothing is
		// granted: its waiter finds it gone and takes another.)
		// Otherwise the lock becomes free for the head to take. Either way the head is announced to every process
		// ("ticket:nonce name", or "ticket:nonce:fence name" for a grant;
		// the nonce of the Store that took the place: see store.nonce);
		// NOTIFY is delivered when the statement commits (PostgreSQL
		// serialises the commits of notifying transactions, so a release
		// nobody waits for sends none).
		//
		// A release that grants is an acquisition and commits durably.
		// One that hands the lock to nobody commits without waiting for
		// the disk (synchronous_commit off, for this transaction only):
		// if the server crashed before the WAL reached the disk, the lost
		// release would only keep the lock until it expires, and the next
		// durable commit (the head's acquisition, which waits for this
		// one to be visible) flushes the WAL up to and including it.
		//
		// Parameters: $1 name, $2 token hash. The reply: the holds the
		// token has left, the head's ticket (when the last hold went), the
		// grant's fence (0: none) and the µs it lasts, and two columns for
		// their side effects.
		release: r.Replace(`WITH head AS (
    SELECT q.ticket, q.nonce FROM {TABLE_queue} AS q
    WHERE q.name = $1 AND q.expires_at > now() ORDER BY q.ticket LIMIT 1
), granted AS (
    DELETE FROM {TABLE_queue} AS q USING head
    WHERE q.name = $1 AND q.ticket = head.ticket AND q.token_hash IS NOT NULL
        AND EXISTS (SELECT 1 FROM {TABLE} AS t WHERE t.name = $1 AND t.token_hash = $2 AND t.expires_at > now() AND t.holds <= 1)
    RETURNING q.token_hash, q.owner, q.lease, q.expires_at
), released AS (
    UPDATE {TABLE} AS t SET
        holds       = CASE WHEN t.holds > 1 THEN t.holds - 1 WHEN g.token_hash IS NOT NULL THEN 1 ELSE 0 END,
        token_hash  = CASE WHEN t.holds <= 1 AND g.token_hash IS NOT NULL THEN g.token_hash ELSE t.token_hash END,
        owner       = CASE WHEN t.holds <= 1 AND g.token_hash IS NOT NULL THEN g.owner ELSE t.owner END,
        fence       = CASE WHEN t.holds <= 1 AND g.token_hash IS NOT NULL THEN nextval('{TABLE_fence_seq}') ELSE t.fence END,
        acquired_at = CASE WHEN t.holds <= 1 AND g.token_hash IS NOT NULL THEN now() ELSE t.acquired_at END,
        lease       = CASE WHEN t.holds <= 1 AND g.token_hash IS NOT NULL THEN g.lease ELSE t.lease END,
        expires_at  = CASE WHEN t.holds > 1 THEN t.expires_at WHEN g.token_hash IS NOT NULL THEN g.expires_at ELSE now() END
    FROM (SELECT) AS one LEFT JOIN head AS h ON true LEFT JOIN granted AS g ON true
    WHERE t.name = $1 AND t.token_hash = $2 AND t.expires_at > now()
    RETURNING t.name, CASE WHEN t.token_hash = $2 THEN t.holds ELSE 0 END AS holds,
        coalesce(h.ticket, 0) AS head, coalesce(h.nonce, 0) AS nonce,
        CASE WHEN t.token_hash = $2 THEN 0 ELSE t.fence END AS granted,
        (extract(epoch FROM t.expires_at - now()) * 1000000)::bigint AS remaining
)
SELECT r.holds, CASE WHEN r.holds = 0 THEN r.head ELSE 0 END, r.granted, r.remaining,
    CASE WHEN r.holds = 0 AND r.head > 0 THEN pg_notify({TABLE_released}, r.head || ':' || r.nonce
        || CASE WHEN r.granted > 0 THEN ':' || r.granted ELSE '' END || ' ' || r.name) IS NULL END,
    CASE WHEN r.granted = 0 THEN ` + async + ` END
FROM released AS r`),

		inspect: r.Replace(`SELECT {ROW}, {WAITERS} FROM {TABLE} WHERE name = $1 AND expires_at > now()`),

		list: r.Replace(`SELECT {ROW}, {WAITERS} FROM {TABLE} WHERE expires_at > now() ORDER BY name COLLATE "C"`),

		// Vacuum runs in a transaction that first locks out acquisitions
		// (which hold ROW EXCLUSIVE from before they draw a fence until
		// they commit), so that no acquisition that drew its fence before
		// a row was deleted can insert that name afresh after. While the
		// vacuum waits for the lock, new acquisitions queue behind it, so
		// it waits at most 10ms, then the batch is retried: an acquisition
		// waits for vacuum a batch's time, plus at most 10ms even when
		// autovacuum (whose lock conflicts too) holds the table for
		// seconds. Each batch looks at the next $2 names after $1 in the
		// primary key's order, and deletes by = ANY, which every plan
		// serves from the primary key (an IN subquery may be planned as a
		// hash join over the whole table).
		vacuumLock: r.Replace(`SET LOCAL lock_timeout = '10ms'; LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE`),
		queue:      newQueueStatements(r),

		vacuum: r.Replace(`WITH batch AS (
    SELECT name FROM {TABLE} WHERE name > $1 ORDER BY name LIMIT $2
), removed AS (
    DELETE FROM {TABLE} WHERE name = ANY (ARRAY(SELECT name FROM batch)) AND expires_at <= now() RETURNING 1
)
SELECT (SELECT count(*) FROM removed), (SELECT count(*) FROM batch),
       coalesce((SELECT name FROM batch ORDER BY name DESC LIMIT 1), '')`),
	}
}
