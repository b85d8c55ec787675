// Package dialect is the seam between distlock and a database.
//
// The distlock package holds the semantics (tokens, reentrancy seen from a
// handle, waiting, keep-alive) and never imports a database driver. A
// Dialect holds everything that differs between databases: the one SQL
// statement behind each of acquire, extend and release, how the database's
// own clock is read, how driver errors are classified, how the schema is
// migrated and, where the database can push, how releases are announced.
//
// A dialect is correct when it passes the conformance suite in
// dialect/dialecttest unchanged.
package dialect

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Dialect creates Stores for one kind of database.
type Dialect interface {
	// Name is the short name of the database: "sqlite", "postgres" or "mysql".
	Name() string

	// Bind returns a Store that keeps its locks in table on db. The table
	// name has already been checked with ValidTable. Bind must not touch the
	// database (New is cheap and offline) and must never close db.
	Bind(db *sql.DB, table string) (Store, error)
}

// Store runs the statements of one lock table. Every method that takes a
// context runs exactly the statements it documents; none of them retries:
// retrying is the caller's job and is driven by the Error kinds.
type Store interface {
	// Acquire takes or re-enters a lock in one statement, by the database's
	// clock:
	//   - if the row is absent, or its expires_at has passed (which includes
	//     released rows), it becomes a new acquisition by NewHash with holds 1,
	//     a fence greater than every earlier fence of that name, and
	//     expires_at = now + TTL;
	//   - if the row is live and its hash equals HeldHash, holds is
	//     incremented and the lease renewed as Extend renews it (re-entry);
	//   - otherwise the lock is left as it is (a Listener may record
	//     Watch on its row) and Acquired is false.
	Acquire(ctx context.Context, req AcquireRequest) (AcquireResult, error)

	// Extend renews the lease of the live row of req.Name whose hash is
	// req.TokenHash, in one statement: the row's lease becomes req.TTL,
	// or with req.KeepLease stays the one it remembers (req.TTL for a row
	// that remembers none), and expires_at = now + that lease, unless
	// expires_at is already later: an extend never brings the expiry
	// closer, so that no holder's estimate of it is ever made wrong by
	// another's extend. ok is false when there is no such row. row
	// carries at least Name, Fence and Lease.
	Extend(ctx context.Context, req ExtendRequest) (row Row, ok bool, err error)

	// Release drops one hold of the live row of name whose hash is
	// tokenHash, in one statement. When holds reaches 0 the row becomes
	// free at once (its expires_at is set to now), and res.Next is the
	// ticket of the live head of the lock's line (0 when nobody waits),
	// whom the caller wakes; a Listener dialect announces it to every
	// process. A Granter dialect hands the lock to that head instead, in
	// the same statement, when its place carries a token hash (see
	// Granter): res.Fence is then the fence of that new acquisition. ok
	// is false when there is no such live row.
	Release(ctx context.Context, name string, tokenHash []byte) (res Released, ok bool, err error)

	// Enqueue gives the caller a place at the end of the line of waiters
	// of req.Name, live until now + req.Reserve by the database's clock,
	// and returns its ticket. Tickets of one name rise in arrival order.
	// A Granter dialect stores req.Hash and req.TTL with the place; the
	// others ignore them.
	Enqueue(ctx context.Context, req EnqueueRequest) (ticket int64, err error)

	// Renew keeps the place p in its line until now + reserve, and reads
	// the lock as Poll does. ok is false when the place is gone (it
	// lapsed and was removed, its holder took the lock, or a release
	// granted it the lock: st.Granted()).
	Renew(ctx context.Context, p Place, reserve time.Duration) (st QueueState, ok bool, err error)

	// Poll reads, without writing, how the lock stands for the waiter
	// at place p.
	Poll(ctx context.Context, p Place) (QueueState, error)

	// Dequeue removes the place ticket from the line of name, if it is
	// still there.
	Dequeue(ctx context.Context, name string, ticket int64) error

	// Inspect reads the live row of name; ok is false when it is free.
	Inspect(ctx context.Context, name string) (row Row, ok bool, err error)

	// List reads every live row, ordered by name.
	List(ctx context.Context) ([]Row, error)

	// VacuumBatch looks at the next limit rows in key order after the
	// row named after ("" to start from the first) and deletes those
	// among them that are free or expired, never a live one, in one short
	// transaction. It reports how many it removed and the name of the last
	// row it looked at, which the next batch starts after; next is "" when
	// no row follows after. Walking the primary key keeps every batch
	// short however many rows are live, and needs no index on expires_at
	// (which would cost every acquire and release an index update).
	// Deleting a row must not let a later acquisition of that name get a
	// smaller fence.
	VacuumBatch(ctx context.Context, after string, limit int) (removed int64, next string, err error)

	// VacuumQueue deletes up to limit lapsed places of the lines of
	// waiters (those whose waiters stopped renewing them), in one short
	// statement, and reports how many.
	VacuumQueue(ctx context.Context, limit int) (int64, error)

	// Migrate creates or upgrades the lock table with the embedded
	// migrations for this dialect, through migrations.Up.
	Migrate(ctx context.Context) error

	// Close releases what Bind and the Store's methods allocated (prepared
	// statements, listening connections). It never closes the *sql.DB.
	Close() error
}

// Listener is implemented by Stores whose database can push a message when
// a lock is released (PostgreSQL's LISTEN/NOTIFY). Push only makes waiting
// faster; waiters poll as well, so a lost notification costs latency, never
// correctness.
type Listener interface {
	// Listen blocks, calling released for each lock released by anyone
	// while someone waits for it (see Store.Release), until ctx ends or
	// the connection fails. It calls ready once it is listening, so that
	// the caller can wake every waiter for a re-check after a reconnect
	// (notifications sent meanwhile are lost).
	Listen(ctx context.Context, ready func(), released func(Notice)) error
}

// Notice is one release announced by a Listener.
type Notice struct {
	Name string
	// Next is the ticket of the head of the lock's line.
	Next int64
	// Vouched says that the notification carries proof that a release
	// sent it: a secret of the Store that took the place Next, which the
	// release read from that place. The waiter may then take the lock at
	// once, without first reading that it is free; otherwise anyone may
	// have sent it.
	Vouched bool
	// Fence, when positive, says that the release granted the lock to
	// the place Next (see Granter), with that fence. It is only to be
	// believed when Vouched.
	Fence int64
}

// Granter is implemented by Stores whose Release grants a free lock to
// the head of its line in the same statement and commit (which is then
// an acquisition, and durable): the place carries the hash of the token
// its waiter will hold (EnqueueRequest.Hash) and the lease it asks for,
// and the new acquisition expires when the place would have (so a
// waiter that died in line holds the lock no longer than it held its
// place). The waiter, woken by a Notice or reading its grant with Poll
// or Renew, holds the lock without another round trip, and makes the
// lease its own with an Extend. A place without a hash is woken, as by
// any Store, and takes the lock itself.
type Granter interface {
	// Grants reports whether Release grants (a Store may wrap another).
	Grants() bool
}

// Place is a waiter's place in the line of a lock.
type Place struct {
	Name   string
	Ticket int64
	// Hash is the hash of the token the waiter holds if a release grants
	// it the lock (see Granter), or nil.
	Hash []byte
}

// EnqueueRequest is the input of Store.Enqueue.
type EnqueueRequest struct {
	Name  string
	Owner string // informational label, stored with the place
	// Reserve is how long the place lasts unless renewed.
	Reserve time.Duration
	// Hash and TTL are the token hash and lease of the acquisition a
	// Granter's release makes for this place (see Granter).
	Hash []byte
	TTL  time.Duration
}

// Released is the outcome of Store.Release.
type Released struct {
	// Holds is the number of holds the releasing token has left.
	Holds int
	// Next is the ticket of the head of the line that the release of
	// the last hold woke or granted the lock to, or 0.
	Next int64
	// Fence is positive when the release granted the lock to Next (see
	// Granter): the fence of that acquisition, which lasts Remaining (by
	// the database's clock, measured in the same statement).
	Fence     int64
	Remaining time.Duration
}

// AcquireRequest is the input of Store.Acquire.
type AcquireRequest struct {
	Name  string
	Owner string // informational label stored on the row
	// NewHash is the hash of the fresh token that becomes the holder's when
	// the lock is free.
	NewHash []byte
	// HeldHash is the hash of the token the caller may already hold, for
	// re-entry; nil when the caller holds nothing. It may equal NewHash
	// (a retry of an attempt whose outcome was lost); Reentered must then
	// still tell a re-entry (holds grew) from a new acquisition.
	HeldHash []byte
	// TTL is the lease of a new acquisition, which the row remembers; a
	// dialect may store it rounded down (and reports what it stored as
	// the result's Row.Lease).
	TTL time.Duration
	// KeepLease makes a re-entry renew the lease the row remembers (as
	// Extend with ExtendRequest.KeepLease) rather than set it to TTL.
	KeepLease bool
	// Ticket is the caller's place in the lock's line (see Enqueue), or 0.
	// While the lock has a live line, a free lock goes only to the head
	// of the line: to a caller whose Ticket is smaller than every other
	// live ticket of the name; whoever takes it leaves the line in the
	// same statement. A caller without a ticket takes a free lock only
	// when nobody waits.
	Ticket int64
	// Wait, when positive, says that the caller will wait for the lock if
	// it is held, and attempt again within Wait. Only then must a failed
	// Acquire report the holder's Remaining (a dialect that needs a second
	// read for it spares a TryAcquire that read). A dialect that pushes
	// releases (a Listener) also records that the lock is watched until
	// now + Wait, by the database's clock, and announces its releases in
	// that window; releases of an unwatched lock announce nothing, so
	// that the common, uncontended release costs no more than its update.
	Wait time.Duration
}

// AcquireResult is the outcome of Store.Acquire.
type AcquireResult struct {
	Acquired bool
	// Reentered is true when the caller's HeldHash matched and holds grew.
	Reentered bool
	// Row describes the lock after the statement, as far as the dialect
	// reads it back in the same round trip. When Acquired it must carry
	// Name, Fence (the fence of the acquisition) and Lease (the lease it
	// was taken or renewed with, by which the caller knows how long it
	// holds the lock); otherwise, when the request's Wait is positive, it
	// must carry Name and Remaining (how long the current holder still
	// has, by the database's clock), unless the holder's row could not be
	// read (it may have vanished since), in which case Row is zero.
	Row Row
	// Queued is true when the acquisition was taken from the request's
	// place in line (AcquireRequest.Ticket) but the dialect could not
	// remove the place with it: the caller removes it (it lapses by
	// itself otherwise). A dialect never reports a failure once the lock
	// is taken: the caller would offer a new token, and the acquisition
	// would be held by nobody until it expires.
	Queued bool
}

// Row is one lock as the database sees it. Row never carries a token or a
// token hash.
type Row struct {
	Name       string
	Owner      string
	Holds      int
	Fence      int64
	AcquiredAt time.Time
	ExpiresAt  time.Time
	// Remaining is ExpiresAt minus the database's now, measured by the
	// database in the same statement; it lets a client that does not share
	// the database's clock know how long the lock lasts.
	Remaining time.Duration
	// Waiters is the number of live places in the lock's line (Inspect,
	// List).
	Waiters int
	// Lease is the lease length the row remembers for its acquisition:
	// what a new acquisition was taken with and what Extend renews. It is
	// 0 for a row written before rows remembered their lease.
	Lease time.Duration
}

// ExtendRequest is the input of Store.Extend.
type ExtendRequest struct {
	Name      string
	TokenHash []byte
	// TTL is the lease to set, which the row then remembers; a dialect
	// may store it rounded down (and reports what it stored as Row.Lease).
	TTL time.Duration
	// KeepLease renews the lease the row remembers instead, and leaves
	// it as it is; TTL then serves a row that remembers none (written
	// before rows remembered their lease), and becomes its lease.
	KeepLease bool
}

// QueueState is how a lock stands for one waiter in its line.
type QueueState struct {
	// Free: nobody holds the lock (its row is absent, released or
	// expired).
	Free bool
	// Ahead is the number of live places before the waiter's: 0 for the
	// head of the line, who may take the lock when it is free.
	Ahead int
	// Remaining is how long the holder still has, when it is held.
	Remaining time.Duration
	// Fence, when positive, says that a release granted the lock to the
	// waiter (its place's Hash holds it; see Granter): it holds the lock,
	// with that fence, for Remaining.
	Fence int64
	// Leave says that the grant spent the place without removing it:
	// the waiter removes it (see AcquireResult.Queued).
	Leave bool
}

// Granted reports whether a release granted the lock to the waiter.
func (st QueueState) Granted() bool { return st.Fence > 0 }

// ErrListenUnsupported is returned (wrapped) by Listener.Listen when push
// wake-ups cannot work with this *sql.DB (e.g. another driver than the
// dialect's own); the caller stops trying and relies on polling.
var ErrListenUnsupported = errors.New("push wake-ups unsupported")
