package mysql

import "strings"

// now is the server's clock in UTC, fixed for the whole statement.
const now = "UTC_TIMESTAMP(6)"

// rowColumns are read by scanRow, in this order; times are microseconds
// (since the Unix epoch, and left until expiry), so that scanning does not
// depend on the DSN's parseTime.
const rowColumns = "name, owner, holds, fence, " +
	"TIMESTAMPDIFF(MICROSECOND, '1970-01-01', acquired_at), " +
	"TIMESTAMPDIFF(MICROSECOND, '1970-01-01', expires_at), " +
	"TIMESTAMPDIFF(MICROSECOND, {NOW}, expires_at), IFNULL(lease_us, 0)"

// leaseCode is the row's lease (lease_us) as the reply of an extend or a
// re-entry carries it beside the fence in one LAST_INSERT_ID, in 19 bits:
// a decimal float, mantissa << 5 | exponent, the exponent being the
// number of lease_us's trailing decimal zeros; 0 when the row remembers
// no lease. The mantissa fits in 14 bits because lease_us never has more
// significant digits than that allows (see quantize). The fence above it
// stays below 2^42: a name acquired a thousand times a second reaches
// that in 139 years.
const leaseCode = "IFNULL((CAST(TRIM(TRAILING '0' FROM lease_us) AS UNSIGNED) << 5)" +
	" | (CHAR_LENGTH(lease_us) - CHAR_LENGTH(TRIM(TRAILING '0' FROM lease_us))), 0)"

// Outcome kinds of the acquire statement, in the low two bits of the
// LAST_INSERT_ID it sets; the rest holds the fence, or for kindHeld the
// holder's time left in microseconds.
const (
	kindNew       = 0 // inserted, or took a free/expired row
	kindReentered = 1
	kindHeld      = 2 // someone else holds it; nothing was written
)

// statements holds the SQL of one lock table. A row is live while
// expires_at > now; release sets expires_at to now, so free rows and
// expired rows are the same thing.
type statements struct {
	acquire, acquireRow, extend, release, inspect, list string
	vacuumScan, vacuumLock, vacuumDelete, vacuumFloor   string
	queue                                               queueStatements
}

// newStatements returns the SQL of table for MySQL and MariaDB, or for
// TiDB, which reads the fence floor otherwise (see tidb.go).
func newStatements(table string, tidb bool) statements {
	row := strings.ReplaceAll(rowColumns, "{NOW}", now)
	names := []string{"{TABLE_meta}", "`" + table + "_meta`", "{TABLE_queue}", "`" + table + "_queue`",
		"{TABLE}", "`" + table + "`", "{NOW}", now, "{ROW}", row}
	inner := strings.NewReplacer(names...)
	// How the acquire's INSERT reads the fence floor, and where its row
	// comes from.
	floor := [3]string{inner.Replace("(SELECT fence_floor FROM {TABLE_meta} WHERE id = 1 LOCK IN SHARE MODE)"), "VALUES (", ")"}
	// How Vacuum passes over a row a guarded transaction holds.
	skip := "SKIP LOCKED"
	if tidb {
		// A scalar subquery in VALUES is evaluated when TiDB plans the
		// statement, and its retry after Vacuum deleted the row reuses
		// the stale floor: fences went backwards (see tidb.go).
		floor = [3]string{"m.fence_floor", "SELECT ", inner.Replace("\nFROM {TABLE_meta} AS m WHERE m.id = 1 FOR UPDATE")}
		// TiDB accepts SKIP LOCKED but locks nothing then (see tidb.go).
		skip = "NOWAIT"
	}
	r := strings.NewReplacer(append(names, "{AHEAD}", inner.Replace(ahead), "{WAITERS}", inner.Replace(waiters),
		"{AHEAD_OF_ROW}", inner.Replace(aheadOfRow),
		"{LEASE_CODE}", leaseCode,
		// The lease a re-entry or an extend renews: the row's, when the
		// caller keeps it and the row has one, else the caller's TTL.
		// Parameters: keep, ttl µs, ttl µs.
		"{RENEWED}", "IF(?, IFNULL(lease_us, ?), ?)",
		"{FLOOR}", floor[0], "{ROW_FROM}", floor[1], "{ROW_FROM_END}", floor[2])...)
	return statements{
		// One statement. Parameters: name, new hash, owner, ttl µs for the
		// insert; then held hash, held hash, owner, new hash, held hash,
		// ttl µs for the update. Conditions read expires_at and token_hash
		// before they are assigned (token_hash only changes when the row
		// was expired, which expires_at's condition already covers), so
		// left-to-right and simultaneous evaluation agree. A new row's
		// fence starts above every fence ever vacuumed; the shared lock on
		// the meta row orders the insert after any vacuum deleting the name.
		//
		// While the lock's line is live, a free lock goes only to its head:
		// the proposed row's holds says whether a live place comes before
		// the caller's ({AHEAD}, asked three times with the name and the
		// caller's ticket, 0 for none), read back as VALUES(holds) by the
		// update, and a new row proposed then is inserted free and
		// reported held, with the fence floor as its fence (the next
		// acquisition of it adds one). Re-entry needs a live row. The line is read by
		// subqueries in VALUES, which InnoDB runs as consistent reads: an
		// INSERT … SELECT would share-lock the places it reads until the
		// statement ends, and an acquire waiting for a held row would then
		// hold up every waiter's enqueue and renewal behind it.
		//
		// The proposed row's lease_us is the TTL. A re-entry renews the
		// lease as extend does, and its reply carries the row's lease
		// ({LEASE_CODE}, read after lease_us is assigned when assignments
		// go left to right, before it when simultaneous: the same value
		// whenever the caller keeps the row's lease, except 0 for a row
		// that had none, for which the caller knows it used its TTL).
		// Parameters: name, new hash, owner, the line's three times, ttl
		// µs twice; then held hash; held hash, keep, ttl µs, ttl µs; held
		// hash; owner; new hash; held hash, keep, ttl µs, ttl µs.
		//
		// The fence floor is read by a scalar subquery in VALUES, under a
		// shared lock, so that acquisitions of different names do not wait
		// for each other; see tidb.go for why TiDB reads it otherwise.
		acquire: r.Replace("INSERT INTO {TABLE} (name, token_hash, owner, holds, fence, acquired_at, expires_at, lease_us)\n" +
			"{ROW_FROM}?, ?, ?, 1 - {AHEAD},\n" +
			"    IF({AHEAD}, LAST_INSERT_ID(2 + 0 * {FLOOR}) * 0 + {FLOOR},\n" +
			"       LAST_INSERT_ID(4 * ({FLOOR} + 1)) DIV 4),\n" +
			"    {NOW}, IF({AHEAD}, {NOW}, {NOW} + INTERVAL ? MICROSECOND), ?{ROW_FROM_END}\n" +
			"ON DUPLICATE KEY UPDATE\n" +
			"    holds = CASE WHEN expires_at <= {NOW} AND VALUES(holds) = 1 THEN 1\n" +
			"        WHEN expires_at > {NOW} AND token_hash = ? THEN holds + 1 ELSE holds END,\n" +
			"    lease_us = CASE WHEN expires_at <= {NOW} AND VALUES(holds) = 1 THEN VALUES(lease_us)\n" +
			"        WHEN expires_at > {NOW} AND token_hash = ? THEN {RENEWED} ELSE lease_us END,\n" +
			"    fence = CASE\n" +
			"        WHEN expires_at <= {NOW} AND VALUES(holds) = 1 THEN LAST_INSERT_ID(4 * (fence + 1)) DIV 4\n" +
			"        WHEN expires_at > {NOW} AND token_hash = ? THEN fence + 0 * LAST_INSERT_ID(4 * ((fence << 19) | {LEASE_CODE}) + 1)\n" +
			"        ELSE fence + 0 * LAST_INSERT_ID(4 * GREATEST(TIMESTAMPDIFF(MICROSECOND, {NOW}, expires_at), 0) + 2) END,\n" +
			"    acquired_at = CASE WHEN expires_at <= {NOW} AND VALUES(holds) = 1 THEN {NOW} ELSE acquired_at END,\n" +
			"    owner = CASE WHEN expires_at <= {NOW} AND VALUES(holds) = 1 THEN ? ELSE owner END,\n" +
			"    token_hash = CASE WHEN expires_at <= {NOW} AND VALUES(holds) = 1 THEN ? ELSE token_hash END,\n" +
			"    expires_at = CASE WHEN expires_at <= {NOW} AND VALUES(holds) = 1 THEN {NOW} + INTERVAL VALUES(lease_us) MICROSECOND\n" +
			"        WHEN expires_at > {NOW} AND token_hash = ? THEN GREATEST(expires_at, {NOW} + INTERVAL {RENEWED} MICROSECOND)\n" +
			"        ELSE expires_at END"),
		// The same decision on a row that exists, by an UPDATE, which
		// costs InnoDB less than the INSERT that first fails on the
		// duplicate key: almost every acquisition finds its lock's row,
		// free or held. LAST_INSERT_ID is 0 when there is no row (every
		// outcome sets it above 0); then the INSERT above runs.
		// Parameters: name, ticket, ticket ({AHEAD_OF_ROW}), held hash;
		// ttl µs, held hash, keep, ttl µs, ttl µs; held hash; owner; new
		// hash; held hash; ticket; name. A re-entry's expiry reads
		// lease_us as just assigned.
		//
		// A new acquisition records the ticket of the place it was taken
		// from, which spends that place (and any before it): the line
		// skips it from this commit on, so no second statement (and
		// commit) removes it before the holder goes on; the caller deletes
		// it afterwards, off the hot path (AcquireResult.Queued).
		//
		// MySQL assigns left to right, each assignment seeing the ones
		// before, so the first marks a new acquisition with holds = -1
		// (which no row ever keeps) for the others to read, and the last
		// sets it to 1; {AHEAD} is read once. (Under MariaDB's
		// SIMULTANEOUS_ASSIGNMENT sql_mode the marker would not be seen:
		// the Store then keeps to the INSERT, see prober.) Conditions on expires_at and
		// token_hash read them before they are assigned. The line is read
		// by a subquery of the UPDATE, which share-locks the places it
		// reads, after the row lock is taken and until this statement
		// commits.
		acquireRow: r.Replace("UPDATE {TABLE} SET\n" +
			"    holds = CASE WHEN expires_at <= {NOW} AND NOT {AHEAD_OF_ROW} THEN -1\n" +
			"        WHEN expires_at > {NOW} AND token_hash = ? THEN holds + 1 ELSE holds END,\n" +
			"    lease_us = CASE WHEN holds = -1 THEN ?\n" +
			"        WHEN expires_at > {NOW} AND token_hash = ? THEN IF(?, IFNULL(lease_us, ?), ?) ELSE lease_us END,\n" +
			"    fence = CASE\n" +
			"        WHEN holds = -1 THEN LAST_INSERT_ID(4 * (fence + 1)) DIV 4\n" +
			"        WHEN expires_at > {NOW} AND token_hash = ? THEN fence + 0 * LAST_INSERT_ID(4 * ((fence << 19) | {LEASE_CODE}) + 1)\n" +
			"        ELSE fence + 0 * LAST_INSERT_ID(4 * GREATEST(TIMESTAMPDIFF(MICROSECOND, {NOW}, expires_at), 0) + 2) END,\n" +
			"    acquired_at = CASE WHEN holds = -1 THEN {NOW} ELSE acquired_at END,\n" +
			"    owner = CASE WHEN holds = -1 THEN ? ELSE owner END,\n" +
			"    token_hash = CASE WHEN holds = -1 THEN ? ELSE token_hash END,\n" +
			"    expires_at = CASE WHEN holds = -1 THEN {NOW} + INTERVAL lease_us MICROSECOND\n" +
			"        WHEN expires_at > {NOW} AND token_hash = ? THEN GREATEST(expires_at, {NOW} + INTERVAL lease_us MICROSECOND)\n" +
			"        ELSE expires_at END,\n" +
			"    ticket = CASE WHEN holds = -1 THEN ? ELSE ticket END,\n" +
			"    holds = CASE WHEN holds = -1 THEN 1 ELSE holds END\n" +
			"WHERE name = ?"),
		// LAST_INSERT_ID is the fence << 19 | the row's {LEASE_CODE} (see
		// acquire on reading it), or 0 when no live row matched. The
		// expiry never comes closer (see dialect.Store.Extend); its
		// {RENEWED} gives the same value whether lease_us was assigned
		// before it or not. Parameters: keep, ttl µs, ttl µs, keep, ttl
		// µs, ttl µs, name, hash.
		extend: r.Replace("UPDATE {TABLE} SET lease_us = {RENEWED},\n" +
			"    expires_at = GREATEST(expires_at, {NOW} + INTERVAL {RENEWED} MICROSECOND),\n" +
			"    fence = fence + 0 * LAST_INSERT_ID((fence << 19) | {LEASE_CODE})\n" +
			"WHERE name = ? AND token_hash = ? AND expires_at > {NOW}"),
		// LAST_INSERT_ID is the holds before the release (≥ 1), or 0 when
		// no live row matched. The last hold's release grants the lock
		// to the live head of the line when its place carries a hash (see
		// dialect.Granter): the row takes the place's hash, owner and
		// lease, the next fence and the place's expiry (a waiter that
		// died in line holds the lock no longer than its place), and
		// records the place's ticket, which spends it (the line skips it;
		// its waiter removes it, see QueueState.Leave). Otherwise the row
		// becomes free, for the head to take.
		//
		// The head is a derived table, materialized before the row is
		// updated, which skips the places the lock's last acquisition
		// spent. It reads them from the lock's row (l): a primary key
		// lookup, so the optimizer reads it first, as a constant, and the
		// line is read from the first place after them in the (name,
		// ticket) index, not from the first of the name (under a hot lock
		// that was some 160 places that their waiters had removed but
		// InnoDB had not yet purged, every one of them locked). It reads
		// FOR UPDATE: a read of the row that the statement then updates
		// would take a shared lock first, and its upgrade deadlocked with
		// any acquire attempt already waiting for the row (InnoDB rolled
		// back about one attempt in ten under a hot lock); it also locks
		// the head's place until this statement commits. (ReleaseTx, in the caller's transaction, does not read
		// the line: held until that transaction ends, such locks
		// deadlocked with waiters taking places.) Every condition reads
		// holds, which is assigned last, and the head: left-to-right and
		// simultaneous assignment agree. Parameters: name, name, name,
		// hash.
		release: r.Replace("UPDATE {TABLE} AS t LEFT JOIN (\n" +
			"    SELECT q.ticket, q.token_hash, q.owner, q.lease_us, q.expires_at\n" +
			"    FROM {TABLE} AS l JOIN {TABLE_queue} AS q ON q.name = l.name AND q.ticket > IFNULL(l.ticket, 0)\n" +
			"    WHERE q.name = ? AND l.name = ? AND q.expires_at > {NOW}\n" +
			"    ORDER BY q.ticket LIMIT 1 FOR UPDATE) AS h ON h.token_hash IS NOT NULL\n" +
			"SET t.expires_at = CASE WHEN t.holds > 1 THEN t.expires_at WHEN h.ticket IS NOT NULL THEN h.expires_at ELSE {NOW} END,\n" +
			"    t.token_hash = CASE WHEN t.holds <= 1 AND h.ticket IS NOT NULL THEN h.token_hash ELSE t.token_hash END,\n" +
			"    t.owner = CASE WHEN t.holds <= 1 AND h.ticket IS NOT NULL THEN h.owner ELSE t.owner END,\n" +
			"    t.fence = CASE WHEN t.holds <= 1 AND h.ticket IS NOT NULL THEN t.fence + 1 ELSE t.fence END,\n" +
			"    t.acquired_at = CASE WHEN t.holds <= 1 AND h.ticket IS NOT NULL THEN {NOW} ELSE t.acquired_at END,\n" +
			"    t.lease_us = CASE WHEN t.holds <= 1 AND h.ticket IS NOT NULL THEN h.lease_us ELSE t.lease_us END,\n" +
			"    t.ticket = CASE WHEN t.holds <= 1 AND h.ticket IS NOT NULL THEN h.ticket ELSE t.ticket END,\n" +
			"    t.holds = CASE WHEN t.holds <= 1 AND h.ticket IS NOT NULL THEN LAST_INSERT_ID(t.holds) * 0 + 1\n" +
			"        ELSE LAST_INSERT_ID(t.holds) - 1 END\n" +
			"WHERE t.name = ? AND t.token_hash = ? AND t.expires_at > {NOW}"),
		inspect: r.Replace("SELECT {ROW}, {WAITERS} FROM {TABLE} WHERE name = ? AND expires_at > {NOW}"),
		list:    r.Replace("SELECT {ROW}, {WAITERS} FROM {TABLE} WHERE expires_at > {NOW} ORDER BY name"),

		queue: newQueueStatements(r),

		// Vacuum, in one short transaction: read the next batch of names
		// after the last one looked at, without locking; lock those of
		// them that are free or expired, reading their fences; delete
		// exactly those; raise the fence floor to their highest fence. The
		// meta row, which every acquisition reads in share mode, is locked
		// last, so that acquisitions wait only for the end of a batch.
		// (An acquisition of a name being deleted may deadlock with the
		// batch; InnoDB then rolls one of them back and it is retried.)
		// SKIP LOCKED passes over a row that a guarded transaction holds
		// (see guard.go): waiting for it would keep the rows locked before
		// it, and so their acquisitions, waiting as long.
		vacuumScan: r.Replace("SELECT name, expires_at <= {NOW} FROM {TABLE} WHERE name > ? ORDER BY name LIMIT ?"),
		//
		// The delete checks the expiry again, though the rows are locked:
		// it costs nothing and keeps a live row even where a lock was not
		// taken.
		vacuumLock:   r.Replace("SELECT name, fence FROM {TABLE} WHERE name IN (%s) AND expires_at <= {NOW} FOR UPDATE " + skip),
		vacuumDelete: r.Replace("DELETE FROM {TABLE} WHERE name IN (%s) AND expires_at <= {NOW}"),
		vacuumFloor:  r.Replace("UPDATE {TABLE_meta} SET fence_floor = GREATEST(fence_floor, ?) WHERE id = 1"),
	}
}
