package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/distlock/distlock/dialect"
)

// erUnknownSystemVariable: MySQL has no idle_transaction_timeout (MariaDB).
const erUnknownSystemVariable = 1193

// guardStatements are the statements that run in the caller's transaction
// (see dialect.Guarder). UTC_TIMESTAMP(6) is the time the statement
// started, not the transaction.
type guardStatements struct {
	guard, releaseTx string
	// bound sets a session variable (%s) to %d seconds, unless it is
	// already lower and not 0 (off).
	bound string
}

func newGuardStatements(table string) guardStatements {
	row := strings.ReplaceAll(rowColumns, "{NOW}", now)
	r := strings.NewReplacer("{TABLE}", "`"+table+"`", "{NOW}", now, "{ROW}", row)
	return guardStatements{
		// A locking read sees the row's latest committed version (not the
		// transaction's snapshot) and keeps a lock on it until tx ends:
		// every write of the row by another transaction (a takeover, an
		// extend, a release, a vacuum) waits until then, or until its
		// innodb_lock_wait_timeout (error 1205, which distlock retries).
		// The lock is exclusive (FOR UPDATE), not shared: with a shared
		// one, ReleaseTx's upgrade to exclusive deadlocked with a waiter
		// already queued for the row (InnoDB then rolled back either, and
		// the guarded transaction's work with it).
		guard: r.Replace("SELECT {ROW} FROM {TABLE}\n" +
			"WHERE name = ? AND token_hash = ? AND expires_at > {NOW} FOR UPDATE"),
		// Release, in tx; the third parameter (guarded) accepts a lease
		// that ran out while tx held the row. As Release (which does not
		// read the line: see statements.release).
		releaseTx: r.Replace("UPDATE {TABLE} SET\n" +
			"    expires_at = CASE WHEN holds <= 1 THEN {NOW} ELSE expires_at END,\n" +
			"    holds = LAST_INSERT_ID(holds) - 1\n" +
			"WHERE name = ? AND token_hash = ? AND (? OR expires_at > {NOW})"),
		bound: "SET SESSION %[1]s = IF(@@session.%[1]s BETWEEN 1 AND %[2]d, @@session.%[1]s, %[2]d)",
	}
}

// guardState is what the store learns about its server while guarding.
type guardState struct {
	noIdleTxTimeout atomic.Bool // MySQL: fall back on wait_timeout
}

func (s *store) Guard(ctx context.Context, tx *sql.Tx, req dialect.GuardRequest) (dialect.Row, bool, error) {
	var row dialect.Row
	ok, err := dialect.ScanOne(tx.QueryRowContext(ctx, s.guardSQL.guard, req.Name, req.TokenHash),
		func(sc dialect.Scanner) error { return scanRow(sc, &row) })
	if err != nil || !ok {
		return row, ok, classify(err)
	}
	return row, true, s.bound(ctx, tx, req.Bound)
}

// bound makes the server end tx (closing its connection, which rolls tx
// back) once its client has left it idle for the bound, in whole seconds
// rounded up. MariaDB's idle_transaction_timeout applies to transactions
// only; MySQL has only wait_timeout, which applies to an idle connection
// whether or not it is in a transaction. Both are session variables: they
// stay set on the pooled connection after tx (lowered only, never raised).
func (s *store) bound(ctx context.Context, tx *sql.Tx, bound time.Duration) error {
	secs := int64((bound + time.Second - 1) / time.Second)
	secs = max(secs, 1)
	if !s.guardState.noIdleTxTimeout.Load() {
		_, err := tx.ExecContext(ctx, fmt.Sprintf(s.guardSQL.bound, "idle_transaction_timeout", secs))
		var myErr *mysql.MySQLError
		if !errors.As(err, &myErr) || myErr.Number != erUnknownSystemVariable {
			return classify(err)
		}
		s.guardState.noIdleTxTimeout.Store(true)
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf(s.guardSQL.bound, "wait_timeout", secs))
	return classify(err)
}

func (s *store) ReleaseTx(ctx context.Context, tx *sql.Tx, name string, tokenHash []byte, guarded bool) (int, int64, bool, error) {
	res, err := tx.ExecContext(ctx, s.guardSQL.releaseTx, name, tokenHash, guarded)
	if err != nil {
		return 0, 0, false, classify(err)
	}
	id, err := res.LastInsertId() // see statements.release
	if err != nil || id == 0 {
		return 0, 0, false, classify(err)
	}
	return releasedHolds(id).Holds, 0, true, nil
}

func (s *store) Classify(err error) error { return classify(err) }
