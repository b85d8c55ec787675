package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/distlock/distlock/dialect"
)

// Behind a pooler in transaction mode (PgBouncer's pool_mode=transaction)
// each transaction may run on another server connection, shared with
// other clients. pgx's default QueryExecModeCacheStatement prepares a
// named statement (stmtcache_<hash of the SQL>) once per client
// connection and binds it in later round trips, so there the Parse finds
// the name taken by another client (42P05 duplicate_prepared_statement)
// or the Bind lands where it was never prepared (26000
// invalid_sql_statement_name); QueryExecModeDescribeExec binds, in a
// second round trip, whatever unnamed statement the next server
// connection holds (08P01 protocol_violation when the parameter count
// differs; another client's statement when it does not).
//
// A Store therefore starts in the driver's default mode, which costs a
// direct connection nothing, and at the first such error switches, for
// good, to poolerMode. A statement refused with 42P05 or 26000 did not
// run (its Parse or Bind was refused), so it is sent again at once in
// the new mode; one refused with 08P01 is not, and its error is
// returned.

// poolerMode is the exec mode a Store uses once it has met a pooler:
// the extended protocol with the unnamed statement, whose Parse, Bind,
// Execute and Sync go out together, in one round trip, so that a
// transaction pooler keeps them on one server connection; nothing
// outlives the statement. Unlike the simple protocol it keeps the
// parameters out of the SQL text (they never appear in pg_stat_activity
// or the server's statement log) and leaves their encoding to the server.
const poolerMode = pgx.QueryExecModeExec

// poolerBroke reports whether err is the server refusing a statement
// because a pooler moved the client between server connections.
func poolerBroke(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "42P05", // duplicate_prepared_statement: Parse of a name another client prepared
		"26000": // invalid_sql_statement_name: Bind of a name this server connection lacks
		return true
	case "08P01": // protocol_violation: Bind of another client's unnamed statement
		return !strings.EqualFold(pgErr.Severity, "FATAL") // not a lost connection
	}
	return false
}

// args prepends poolerMode to a statement's arguments when pooled.
func args(pooled bool, a ...any) []any {
	if !pooled {
		return a
	}
	return append([]any{poolerMode}, a...)
}

// usePooler switches the Store to poolerMode if err says that a pooler
// broke a statement sent in the default mode, and reports whether that
// statement certainly did not run, so that it may be sent again at once.
func (s *store) usePooler(err error) (resend bool) {
	if !s.pgx || !poolerBroke(err) {
		return false
	}
	s.pooled.Store(true)
	return dialect.KindOf(classify(err)) == dialect.KindRetry
}

// queryRow runs a statement that returns at most one row, scanning it
// with scan, and reports whether there was one. A statement that a
// pooler broke is sent once more in poolerMode.
func (s *store) queryRow(ctx context.Context, query string, scan func(dialect.Scanner) error, a ...any) (bool, error) {
	pooled := s.pooled.Load()
	ok, err := dialect.ScanOne(s.db.QueryRowContext(ctx, query, args(pooled, a...)...), scan)
	if err != nil && !pooled && s.usePooler(err) {
		ok, err = dialect.ScanOne(s.db.QueryRowContext(ctx, query, args(true, a...)...), scan)
	}
	return ok, classify(err)
}

// query runs a statement that returns rows, like queryRow. pgx reads the
// first row before it returns, so a refused statement fails here, not
// while the rows are read.
func (s *store) query(ctx context.Context, query string, a ...any) (*sql.Rows, error) {
	pooled := s.pooled.Load()
	rows, err := s.db.QueryContext(ctx, query, args(pooled, a...)...)
	if err != nil && !pooled && s.usePooler(err) {
		rows, err = s.db.QueryContext(ctx, query, args(true, a...)...)
	}
	return rows, classify(err)
}

// exec runs a statement that returns no rows, like queryRow.
func (s *store) exec(ctx context.Context, query string, a ...any) (sql.Result, error) {
	pooled := s.pooled.Load()
	res, err := s.db.ExecContext(ctx, query, args(pooled, a...)...)
	if err != nil && !pooled && s.usePooler(err) {
		res, err = s.db.ExecContext(ctx, query, args(true, a...)...)
	}
	return res, classify(err)
}
