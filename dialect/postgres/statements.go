package postgres

import "strings"

// rowColumns are read by scanRow, in this order; the last is the time
// left, in microseconds, by the server's clock.
const rowColumns = "name, owner, holds, fence, acquired_at, expires_at, " +
	"(extract(epoch FROM expires_at - now()) * 1000000)::bigint"

// statements holds the SQL of one lock table. A row is live while
// expires_at > now(); release sets expires_at to now(), so free rows and
// expired rows are the same thing. Parameters: $1 name, $2 new token
// hash, $3 held token hash (or NULL), $4 owner, $5 time to live in µs.
type statements struct {
	acquire, extend, release, inspect, list, vacuumLock, vacuum string
}

func newStatements(table string) statements {
	r := strings.NewReplacer(
		"{TABLE_fence_seq}", `"`+table+`_fence_seq"`,
		"{TABLE_released}", "'"+table+"_released'",
		"{TABLE}", `"`+table+`"`,
		"{ROW}", rowColumns,
		"{TTL}", "($5::bigint * interval '1 microsecond')",
	)
	return statements{
		// One statement, one round trip. The upsert inserts a new row, or
		// takes a free/expired row as a new acquisition, or re-enters a
		// live row whose hash is $3; otherwise its WHERE leaves the row
		// alone, and the second branch reads the holder's row instead, so
		// that a waiter learns how long to sleep. A new acquisition's
		// fence is a fresh nextval, drawn after the row lock is taken.
		// Only a re-entry leaves more than one hold, so holds > 1 tells it
		// from a new acquisition even when $2 = $3 (a retried attempt).
		acquire: r.Replace(`WITH acquired AS (
    INSERT INTO {TABLE} AS t (name, token_hash, owner, holds, fence, acquired_at, expires_at)
    VALUES ($1, $2, $4, 1, nextval('{TABLE_fence_seq}'), now(), now() + {TTL})
    ON CONFLICT (name) DO UPDATE SET
        token_hash  = CASE WHEN t.expires_at > now() THEN t.token_hash  ELSE excluded.token_hash END,
        owner       = CASE WHEN t.expires_at > now() THEN t.owner       ELSE excluded.owner END,
        holds       = CASE WHEN t.expires_at > now() THEN t.holds + 1   ELSE 1 END,
        fence       = CASE WHEN t.expires_at > now() THEN t.fence       ELSE nextval('{TABLE_fence_seq}') END,
        acquired_at = CASE WHEN t.expires_at > now() THEN t.acquired_at ELSE now() END,
        expires_at  = now() + {TTL}
    WHERE t.expires_at <= now() OR t.token_hash = $3::bytea
    RETURNING t.holds > 1 AS reentered, {ROW}
)
SELECT true, reentered, {ROW} FROM acquired
UNION ALL
SELECT false, false, {ROW} FROM {TABLE} WHERE name = $1 AND NOT EXISTS (SELECT FROM acquired)`),

		extend: r.Replace(`UPDATE {TABLE} SET expires_at = now() + ($3::bigint * interval '1 microsecond')
WHERE name = $1 AND token_hash = $2 AND expires_at > now()
RETURNING {ROW}`),

		// The last hold's release notifies the waiters of every process;
		// NOTIFY is delivered when the statement commits.
		release: r.Replace(`WITH released AS (
    UPDATE {TABLE} SET
        holds      = holds - 1,
        expires_at = CASE WHEN holds <= 1 THEN now() ELSE expires_at END
    WHERE name = $1 AND token_hash = $2 AND expires_at > now()
    RETURNING name, holds
)
SELECT holds, CASE WHEN holds = 0 THEN (SELECT 1 FROM pg_notify({TABLE_released}, name)) END
FROM released`),

		inspect: r.Replace(`SELECT {ROW} FROM {TABLE} WHERE name = $1 AND expires_at > now()`),

		list: r.Replace(`SELECT {ROW} FROM {TABLE} WHERE expires_at > now() ORDER BY name COLLATE "C"`),

		// Vacuum runs in a transaction that first locks out acquisitions
		// (which hold {ROW} EXCLUSIVE from before they draw a fence until
		// they commit), so that no acquisition that drew its fence before
		// a row was deleted can insert that name afresh after. The lock
		// waits at most 50ms, then the batch is retried.
		vacuumLock: r.Replace(`SET LOCAL lock_timeout = '50ms'; LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE`),
		vacuum: r.Replace(`DELETE FROM {TABLE} WHERE expires_at <= now() AND name IN (
    SELECT name FROM {TABLE} WHERE expires_at <= now() ORDER BY expires_at LIMIT $1)`),
	}
}
