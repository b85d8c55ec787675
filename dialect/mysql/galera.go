package mysql

// Galera replicates a transaction to every node when it commits, but a
// node applies what the others committed a little later: a statement on
// node B may not yet see a lock that a client of node A acquired and
// whose token it has already handed to a client of B. wsrep_sync_wait
// makes a statement first wait until its node has applied everything
// committed in the cluster before the statement started (a causal read,
// costing about one round trip between the nodes). The statements that
// depend on what the caller may know from elsewhere ask for it, each for
// itself, with MariaDB's SET STATEMENT … FOR (one round trip, prepared
// like any other; the session's own setting is left alone):
//
//   - Extend and Release find the row by the caller's token. On a node
//     that has not applied the acquisition (or the last extend) they find
//     no live row and report ErrExpired for a lock the token holds, and a
//     release that found nothing leaves the lock taken until it expires.
//   - Inspect and List read: without a causal read they can report a lock
//     free that its holder, who said so, has acquired (or held after its
//     release was announced).
//   - Acquire would keep exclusion without one: it writes the row, and
//     Galera's certification rejects a write made from a row older than
//     one committed on another node (1213, a deadlock, retried). But from
//     an old row it reports a lock held that its holder has released and
//     told us so (a TryAcquire fails; a waiter sleeps for nothing), and a
//     re-entry with a token handed over from another node is taken for a
//     new acquisition, fails certification and is retried. Seeing every
//     commit that happened before it started costs it one wait between
//     nodes and makes it exact.
//   - Poll (of a waiter in line) reads whether the lock is free: from an
//     old row a waiter would wait for a release it has been told of.
//   - Vacuum does not: it deletes only rows it has locked and found free
//     or expired; a row it sees as older than it is either gets skipped
//     (seen live) or, if taken again on another node meanwhile, makes the
//     batch fail certification and roll back. It is a background job that
//     needs no one's latest write.
//
// 7 asks the wait for reads, updates and deletes, and inserts, whatever
// kind of statement the server takes each one for.
const syncWait = "SET STATEMENT wsrep_sync_wait = 7 FOR "

// galeraStatements returns plain with causal reads asked for where
// needed (see above).
func galeraStatements(plain statements) statements {
	g := plain
	for _, q := range []*string{&g.acquire, &g.acquireRow, &g.extend, &g.release, &g.inspect, &g.list, &g.queue.poll} {
		*q = syncWait + *q
	}
	return g
}
