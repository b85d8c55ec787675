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
package mysql

import (
	"context"
	"database/sql"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" database/sql driver

	"github.com/distlock/distlock/dialect"
)

// DriverName is the database/sql driver name registered by go-sql-driver.
const DriverName = "mysql"

type mysqlDialect struct{}

// Dialect returns the MySQL/MariaDB dialect.
func Dialect() dialect.Dialect { return mysqlDialect{} }

func (mysqlDialect) Name() string { return "mysql" }

func (mysqlDialect) Bind(db *sql.DB, table string) (dialect.Store, error) {
	if err := dialect.ValidTable(table); err != nil {
		return nil, err
	}
	return &store{db: db, table: table, sql: newStatements(table), stmts: dialect.NewStmts(db),
		guardSQL: newGuardStatements(table)}, nil
}

type store struct {
	db    *sql.DB
	table string
	sql   statements
	stmts *dialect.Stmts // see dialect.Stmts: one round trip per statement

	guardSQL   guardStatements // see guard.go
	guardState guardState
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
