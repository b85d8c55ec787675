package postgres

import "strings"

// remaining is the time a row has left, in microseconds, by the server's
// clock.
const remaining = "(extract(epoch FROM expires_at - now()) * 1000000)::bigint"

// rowColumns are read by scanRow, in this order.
const rowColumns = "name, owner, holds, fence, acquired_at, expires_at, " + remaining

// statements holds the SQL of one lock table. A row is live while
// expires_at > now(); release sets expires_at to now(), so free rows and
// expired rows are the same thing.
type statements struct {
	acquire, extend, release, inspect, list, vacuumLock, vacuum string
}

func newStatements(table string) statements {
	r := strings.NewReplacer(
		"{TABLE_fence_seq}", `"`+table+`_fence_seq"`,
		"{TABLE_released}", "'"+table+"_released'",
		"{TABLE}", `"`+table+`"`,
		"{ROW}", rowColumns,
		"{REMAINING}", remaining,
		"{TTL}", "($5::bigint * interval '1 microsecond')",
		"{WATCH}", "($6::bigint * interval '1 microsecond')",
	)
	return statements{
		// Parameters: $1 name, $2 new token hash, $3 held token hash (or
		// NULL), $4 owner, $5 time to live in µs, $6 how long a waiter
		// watches the lock in µs (0: TryAcquire).
		//
		// One statement, one round trip, always one row back. The upsert
		// inserts a new row, or takes a free/expired row as a new
		// acquisition, or re-enters a live row whose hash is $3. Otherwise
		// someone else holds it: the update rewrites the holder's values
		// unchanged (which costs no more than the row lock that a WHERE
		// would take anyway, and spares a second branch to read the
		// holder's row), and a waiter ($6 > 0) extends watched_until, so
		// that the holder's release will NOTIFY. A new acquisition's fence
		// is a fresh nextval, drawn after the row lock is taken. It is
		// acquired when the row now carries the offered hash; only a
		// re-entry leaves more than one hold, so holds > 1 tells it from a
		// new acquisition even when $2 = $3 (a retried attempt). No column
		// that changes here is indexed, so the update stays on its page
		// (HOT).
		acquire: r.Replace(`INSERT INTO {TABLE} AS t (name, token_hash, owner, holds, fence, acquired_at, expires_at)
VALUES ($1, $2, $4, 1, nextval('{TABLE_fence_seq}'), now(), now() + {TTL})
ON CONFLICT (name) DO UPDATE SET
    token_hash    = CASE WHEN t.expires_at <= now() THEN excluded.token_hash ELSE t.token_hash END,
    owner         = CASE WHEN t.expires_at <= now() THEN excluded.owner ELSE t.owner END,
    holds         = CASE WHEN t.expires_at <= now() THEN 1 WHEN t.token_hash = $3 THEN t.holds + 1 ELSE t.holds END,
    fence         = CASE WHEN t.expires_at <= now() THEN nextval('{TABLE_fence_seq}') ELSE t.fence END,
    acquired_at   = CASE WHEN t.expires_at <= now() THEN now() ELSE t.acquired_at END,
    expires_at    = CASE WHEN t.expires_at <= now() OR t.token_hash = $3 THEN now() + {TTL} ELSE t.expires_at END,
    watched_until = CASE WHEN t.expires_at <= now() OR t.token_hash = $3 THEN t.watched_until
                         ELSE greatest(t.watched_until, now() + {WATCH}) END
RETURNING coalesce(t.token_hash = $2 OR t.token_hash = $3::bytea, false), holds, fence, owner, {REMAINING}`),

		extend: r.Replace(`UPDATE {TABLE} SET expires_at = now() + ($3::bigint * interval '1 microsecond')
WHERE name = $1 AND token_hash = $2 AND expires_at > now()
RETURNING {ROW}`),

		// The last hold's release notifies the waiters of every process,
		// if any watches the lock; NOTIFY is delivered when the statement
		// commits. Notifying is not free: PostgreSQL serialises the
		// commits of notifying transactions.
		release: r.Replace(`UPDATE {TABLE} SET
    holds      = holds - 1,
    expires_at = CASE WHEN holds <= 1 THEN now() ELSE expires_at END
WHERE name = $1 AND token_hash = $2 AND expires_at > now()
RETURNING holds, CASE WHEN holds = 0 AND watched_until > now() THEN pg_notify({TABLE_released}, name) IS NULL END`),

		inspect: r.Replace(`SELECT {ROW} FROM {TABLE} WHERE name = $1 AND expires_at > now()`),

		list: r.Replace(`SELECT {ROW} FROM {TABLE} WHERE expires_at > now() ORDER BY name COLLATE "C"`),

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
		vacuum: r.Replace(`WITH batch AS (
    SELECT name FROM {TABLE} WHERE name > $1 ORDER BY name LIMIT $2
), removed AS (
    DELETE FROM {TABLE} WHERE name = ANY (ARRAY(SELECT name FROM batch)) AND expires_at <= now() RETURNING 1
)
SELECT (SELECT count(*) FROM removed), (SELECT count(*) FROM batch),
       coalesce((SELECT name FROM batch ORDER BY name DESC LIMIT 1), '')`),
	}
}
