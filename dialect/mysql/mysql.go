// Package mysql is distlock's dialect for MySQL 8 and MariaDB 10.6 and
// later, on github.com/go-sql-driver/mysql:
//
//	db, err := sql.Open("mysql", "app:secret@tcp(db.internal:3306)/app")
//	mod, err := distlock.New(db, mysql.Dialect(), distlock.Config{})
//
// Acquire, extend and release are each one statement. MySQL has no
// RETURNING, so the acquire upsert (INSERT … ON DUPLICATE KEY UPDATE)
// reports its outcome through LAST_INSERT_ID(expr), which the server sends
// back with the statement's result: a kind (new acquisition, re-entry,
// held by another) and a value (the fence, or the holder's time left).
// Expiry is decided by the server's UTC_TIMESTAMP(6), so session time
// zones do not matter, nor does the DSN's parseTime. The SQL sticks to
// what both MySQL 8 and MariaDB accept, and its assignments give the same
// result whether the server evaluates them left to right (MySQL, MariaDB's
// default) or simultaneously (MariaDB's SIMULTANEOUS_ASSIGNMENT).
//
// The first statement of a Store probes the server, once: it refuses a
// session whose clock is fixed (@@timestamp set, e.g. by a DSN parameter
// timestamp=…, which go-sql-driver sends as SET on every connection) with
// ErrSessionClock, and looks for MariaDB Galera Cluster. On MySQL and
// plain MariaDB the statements are the ones described above, unchanged.
//
// MariaDB Galera Cluster: connect each client to any node. A node applies
// the others' commits a little after they return, so acquire, extend,
// release, inspect and list ask for a causal read (SET STATEMENT
// wsrep_sync_wait = 7 FOR …, still one statement and one round trip): a
// token handed to a client of another node extends and releases at once,
// and a lock released elsewhere is free at once (see galera.go for why
// each statement needs it, and why vacuum does not). Exclusion across
// nodes rests on Galera's certification: of two acquisitions through two
// nodes, one commits and the other fails with 1213 (a deadlock), which is
// retried. A node that is not ready or not in the primary component
// answers 1047 or 1180: KindUnavailable, waited through. Migrate may run
// through several nodes at once. Percona XtraDB Cluster has no SET
// STATEMENT: give it wsrep_sync_wait=7 in the DSN (or the server's
// configuration) to get the same causal reads.
package mysql

import (
	"context"
	"database/sql"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" database/sql driver

	"github.com/distlock/distlock/dialect"
)

// DriverName is the database/sql driver name registered by go-sql-driver.
const DriverName = "mysql"

type mysqlDialect struct {
	forceKind int32 // see store.forceKind
}

// Dialect returns the MySQL/MariaDB dialect.
func Dialect() dialect.Dialect { return mysqlDialect{} }

func (mysqlDialect) Name() string { return "mysql" }

func (d mysqlDialect) Bind(db *sql.DB, table string) (dialect.Store, error) {
	if err := dialect.ValidTable(table); err != nil {
		return nil, err
	}
	plain := newStatements(table, false)
	return &store{db: db, table: table, sql: plain, galera: galeraStatements(plain), tidb: newStatements(table, true),
		stmts: dialect.NewStmts(db), guardSQL: newGuardStatements(table), forceKind: d.forceKind}, nil
}

type store struct {
	db     *sql.DB
	table  string
	sql    statements
	galera statements // sql with causal reads, for Galera (see galera.go)
	tidb   statements // sql for TiDB (see tidb.go)
	// forceKind, when set, replaces what the probe found (tests run
	// TiDB's statements on MariaDB).
	forceKind int32
	probe     prober         // which of them this server needs
	stmts     *dialect.Stmts // see dialect.Stmts: one round trip per statement

	guardSQL   guardStatements // see guard.go
	guardState guardState
	known      knownRows // names with a row, for the cheaper acquire (known.go)
}

// Close closes the prepared statements.
func (s *store) Close() error { return s.stmts.Close() }

func (s *store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := s.stmts.Exec(ctx, query, args...)
	return res, classify(err)
}

func (s *store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := s.stmts.Query(ctx, query, args...)
	return rows, classify(err)
}
