package sqlite

import "strings"

// now is SQLite's clock in Unix milliseconds. SQLite evaluates 'now' once
// per statement, so every use within one statement sees the same instant.
const now = "CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER)"

// rowColumns are read by scanRow, in this order.
const rowColumns = "name, owner, holds, fence, acquired_at, expires_at, expires_at - {NOW}, coalesce(lease, 0)"

// statements holds the SQL of one lock table. A row is live while
// expires_at > now; release sets expires_at to now, so free rows and
// expired rows are the same thing.
type statements struct {
	acquire, holder, extend, release, inspect, list, vacuumBatch, vacuum string
	queue                                                                queueStatements
}

func newStatements(table string) statements {
	row := strings.ReplaceAll(rowColumns, "{NOW}", now)
	names := []string{"{TABLE_meta}", `"` + table + `_meta"`, "{TABLE_queue}", `"` + table + `_queue"`,
		"{TABLE}", `"` + table + `"`, "{NOW}", now, "{ROW}", row,
		// The lease a re-entry or an extend renews (ms): the row's when
		// :keep says so and it has one, else :ttl.
		"{RENEWED}", "CASE WHEN :keep THEN coalesce(lease, :ttl) ELSE :ttl END"}
	inner := strings.NewReplacer(names...)
	r := strings.NewReplacer(append(names, "{AHEAD}", inner.Replace(ahead), "{WAITERS}", inner.Replace(waiters))...)
	return statements{
		// One statement: insert a new row, or take a free/expired row as a
		// new acquisition (fence + 1), or re-enter a live row whose hash is
		// :held_hash (holds + 1). Otherwise the WHERE leaves the row alone
		// and nothing is returned. Only a re-entry leaves more than one
		// hold, so holds > 1 tells it from a new acquisition even when
		// :new_hash = :held_hash (a retried attempt). A new row's fence starts above every
		// fence ever vacuumed ({TABLE_meta}.fence_floor, kept by a trigger).
		// While the lock's line is live, a free lock goes only to the head
		// of the line: the proposed row says by its holds whether a live
		// place comes before the caller's ({AHEAD}; any place, for a
		// caller without one: 0 when one does, read as excluded.holds),
		// and a new row proposed then is inserted free. Re-entry needs a
		// live row and ignores the line. The first column says whether
		// the caller now holds the lock.
		// A re-entry renews the lease as extend does.
		acquire: r.Replace(`INSERT INTO {TABLE} (name, token_hash, owner, holds, fence, acquired_at, expires_at, lease)
SELECT :name, :new_hash, :owner, 1 - line.ahead,
       COALESCE((SELECT fence_floor FROM {TABLE_meta} WHERE id = 1), 0) + 1, {NOW},
       CASE WHEN line.ahead THEN {NOW} ELSE {NOW} + :ttl END, :ttl
FROM (SELECT {AHEAD} AS ahead) AS line WHERE true
ON CONFLICT (name) DO UPDATE SET
    token_hash  = CASE WHEN expires_at > {NOW} THEN token_hash  ELSE excluded.token_hash END,
    owner       = CASE WHEN expires_at > {NOW} THEN owner       ELSE excluded.owner END,
    holds       = CASE WHEN expires_at > {NOW} THEN holds + 1   ELSE 1 END,
    fence       = CASE WHEN expires_at > {NOW} THEN fence       ELSE fence + 1 END,
    acquired_at = CASE WHEN expires_at > {NOW} THEN acquired_at ELSE {NOW} END,
    lease       = CASE WHEN expires_at > {NOW} THEN {RENEWED}   ELSE :ttl END,
    expires_at  = CASE WHEN expires_at > {NOW} THEN max(expires_at, {NOW} + {RENEWED}) ELSE {NOW} + :ttl END
WHERE expires_at <= {NOW} AND excluded.holds = 1 OR expires_at > {NOW} AND token_hash = :held_hash
RETURNING expires_at > {NOW}, holds > 1, {ROW}`),

		// Read only when acquire found the lock held, to learn for how long.
		holder: r.Replace(`SELECT {ROW} FROM {TABLE} WHERE name = :name`),

		// The SET expressions read the row as it was; the expiry never
		// comes closer (see dialect.Store.Extend).
		extend: r.Replace(`UPDATE {TABLE} SET lease = {RENEWED}, expires_at = max(expires_at, {NOW} + {RENEWED})
WHERE name = :name AND token_hash = :hash AND expires_at > {NOW}
RETURNING {ROW}`),

		// The last hold's release also names the head of the lock's line,
		// whom the releaser wakes. It does nothing when it would be the
		// last and the head's place carries a hash: that release grants
		// the lock (see store.grant). With :grantable false it releases
		// regardless (inside grant's transaction).
		release: r.Replace(`UPDATE {TABLE} SET
    holds      = holds - 1,
    expires_at = CASE WHEN holds <= 1 THEN {NOW} ELSE expires_at END
WHERE name = :name AND token_hash = :hash AND expires_at > {NOW}
    AND (holds > 1 OR NOT :grantable OR NOT coalesce((SELECT q.token_hash IS NOT NULL FROM {TABLE_queue} AS q
        WHERE q.name = :name AND q.expires_at > {NOW} ORDER BY ticket LIMIT 1), 0))
RETURNING holds, CASE WHEN holds = 0 THEN coalesce((SELECT ticket FROM {TABLE_queue} AS q
    WHERE q.name = :name AND q.expires_at > {NOW} ORDER BY ticket LIMIT 1), 0) ELSE 0 END`),

		inspect: r.Replace(`SELECT {ROW}, {WAITERS} FROM {TABLE} WHERE name = :name AND expires_at > {NOW}`),

		list: r.Replace(`SELECT {ROW}, {WAITERS} FROM {TABLE} WHERE expires_at > {NOW} ORDER BY name`),

		// Vacuum looks at the next :limit names after :after in key order
		// (a read, which never waits for the write lock), then deletes the
		// free and expired rows among them in one short write. The trigger
		// TABLE_fence_floor records the highest fence deleted.
		vacuumBatch: r.Replace(`SELECT count(*), coalesce(max(name), '') FROM (
    SELECT name FROM {TABLE} WHERE name > :after ORDER BY name LIMIT :limit)`),
		vacuum: r.Replace(`DELETE FROM {TABLE} WHERE name > :after AND name <= :last AND expires_at <= {NOW}`),

		queue: newQueueStatements(r),
	}
}
