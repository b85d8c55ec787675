package mysql

// TiDB speaks MySQL's protocol and SQL, and the Store finds it once, by
// its version (serverKind), to do three things otherwise, with TiDB's
// default settings:
//
//   - The fence floor (the highest fence Vacuum ever deleted, which a new
//     row of a name must start above) is read as a joined row locked FOR
//     UPDATE: INSERT … SELECT …, m.fence_floor … FROM meta AS m WHERE
//     m.id = 1 FOR UPDATE ON DUPLICATE KEY UPDATE …. On MySQL and MariaDB
//     it is a scalar subquery in VALUES under LOCK IN SHARE MODE, which
//     orders the insert after a Vacuum that deletes the name and raises
//     the floor (Vacuum locks the meta row for update last), while
//     acquisitions of different names share the lock. TiDB refuses LOCK
//     IN SHARE MODE by default (1235: "only noop implementation"), and
//     with tidb_enable_noop_functions it takes no lock at all. Worse, it
//     evaluates a scalar subquery in VALUES once, when it plans the
//     statement, and its internal retry of an autocommit statement that
//     turned from an update into an insert (Vacuum deleted the row in
//     between) reuses that value: the row is inserted with a floor read
//     before Vacuum raised it, so the new fence can be below one that the
//     deleted row had — fences went backwards in a TiDB trial under a
//     busy Vacuum ("fence 36 after 42"). A joined row is read each time
//     the statement runs, and FOR UPDATE puts the meta row among the
//     statement's locked keys: in an explicit (pessimistic) transaction a
//     real lock, which Vacuum's update of the floor waits for; in an
//     autocommit statement, which TiDB runs optimistically by default
//     (pessimistic-auto-commit is off), a key whose change by a Vacuum
//     that committed first fails this commit, and TiDB's retry reads the
//     floor again. The price is that TiDB's first acquisitions of names
//     (the INSERT form) conflict on the meta row. TiDB's AUTO_INCREMENT and
//     sequences are cached per tidb-server and not monotonic across
//     servers, so they cannot be the fence instead.
//   - Every acquisition uses the INSERT form, never the UPDATE form of
//     known rows (statements.acquireRow), whose marker needs MySQL's
//     left-to-right assignments; TiDB's order of assignments is not
//     verified here.
//   - Vacuum locks the rows it is about to delete FOR UPDATE NOWAIT, not
//     SKIP LOCKED: TiDB accepts SKIP LOCKED but does not lock the rows
//     then (it is missing from its planner's lock types), and a row
//     re-taken and released between Vacuum's read and its delete would
//     go with a fence above the floor Vacuum raises. NOWAIT fails the
//     batch at once when a guarded transaction holds one of its rows (so
//     the others are not held locked meanwhile), and Vacuum retries it.
//     (The delete re-checks the expiry on every server too.)
//   - Its retryable errors (9007 write conflict, 8002, 8022, 8028, and
//     3572 for NOWAIT) are KindRetry: the statement was rolled back (see
//     kindOf).
//
// TiDB evaluates LAST_INSERT_ID(<constant>) when it plans a statement,
// even in a CASE branch that is never taken; every LAST_INSERT_ID(…) of
// these statements has a column-dependent argument (2 + 0 * m.fence_floor,
// not 2), and must keep one.
//
// Tickets of the line of waiters come from AUTO_INCREMENT too: across
// several tidb-servers a later place may get a smaller ticket, which only
// makes the line less than first come, first served; exclusion comes from
// the lock's row alone.
//
// Tested: the TiDB statements pass the whole conformance suite on MariaDB
// (TestConformanceTiDBStatements), and the integration module runs the
// suite, the cross-process tests and a torture with Vacuum against a
// TiDB named by DISTLOCK_TEST_TIDB_URL.
