package dialect

import (
	"context"
	"database/sql"
	"time"
)

// Guarder is implemented by Stores that can work inside the caller's
// transaction: check a lock and hold off its takeover until the
// transaction ends (Lock.Guard, Lock.DoTx), and release it as part of
// the transaction (Lock.ReleaseTx). Every Store of this module implements
// it; distlock reports errors.ErrUnsupported for a Store that does not.
//
// Its methods run their statements in tx, which may belong to any pool on
// the database of the lock table, and never retry: after an error of kind
// KindRetry the caller rolls tx back and runs the transaction again
// (PostgreSQL aborts a transaction at its first error anyway).
type Guarder interface {
	// Guard checks, by the database's clock at the moment the statement
	// runs (not the transaction's start), that the live row of req.Name
	// has the hash req.TokenHash, and locks that row until tx ends, so
	// that no other transaction can change it (take the lock over, extend
	// or release it, vacuum the row) before tx commits or rolls back, even
	// once expires_at has passed. ok is false, and nothing is locked, when
	// there is no such live row. row carries at least Name, Holds and
	// Fence.
	//
	// Guard also makes the database end tx if the client leaves it hanging
	// (see GuardRequest.Bound), as far as the database can.
	Guard(ctx context.Context, tx *sql.Tx, req GuardRequest) (row Row, ok bool, err error)

	// ReleaseTx is Store.Release as a statement of tx: it drops one hold
	// of the row of name whose hash is tokenHash, taking effect only if tx
	// commits. Without guarded, the row must be live, as for Release. With
	// guarded (tx has locked the row with a successful Guard, so nobody
	// can have taken the lock over since), the row only needs to carry
	// tokenHash: a lease that ran out while tx held the row is still this
	// holder's until tx ends. ok is false when there is no such row. When
	// holds reaches 0, next is the ticket of the live head of the lock's
	// line (0 when nobody waits), as for Release; a Listener dialect
	// announces it when tx commits.
	ReleaseTx(ctx context.Context, tx *sql.Tx, name string, tokenHash []byte, guarded bool) (holds int, next int64, ok bool, err error)

	// Classify classifies an error of the dialect's driver (from BeginTx,
	// Commit or Rollback of a transaction that guards a lock) as an
	// *Error; nil stays nil.
	Classify(err error) error
}

// GuardRequest is the input of Guarder.Guard.
type GuardRequest struct {
	Name      string
	TokenHash []byte
	// Bound is how long the client may keep tx open after Guard: the
	// dialect sets what its database offers to end a transaction whose
	// client stopped (PostgreSQL: idle_in_transaction_session_timeout and
	// statement_timeout, local to tx; MariaDB: idle_transaction_timeout of
	// the session; MySQL: wait_timeout of the session), never raising a
	// lower setting. SQLite has no server to end it.
	Bound time.Duration
}
