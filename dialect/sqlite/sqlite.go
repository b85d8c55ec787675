// Package sqlite is distlock's dialect for SQLite, on the pure-Go driver
// modernc.org/sqlite (no cgo). It suits processes on one machine sharing a
// database file: cron jobs, CLIs, tests, single-host services.
//
// Open a database with Open, which sets what several processes need to
// share one file safely (WAL journal, a busy timeout), then hand it to
// distlock.New with Dialect():
//
//	db, err := sqlite.Open("/var/lib/myapp/locks.db")
//	mod, err := distlock.New(db, sqlite.Dialect(), distlock.Config{})
//	err = mod.Migrate(ctx)
//
// Expiry is decided by SQLite's clock, the machine's wall clock, in
// milliseconds. Busy errors are retried by distlock and never reach the
// caller. Waiters in one Module are woken at once by its releases; waiters
// in other processes poll with back-off, never sleeping past the holder's
// expiry.
//
// Acquisitions, extends and releases that grant the lock to a waiter
// commit with synchronous=FULL (Open's default): they reach the disk
// before they return. A release that grants nothing and the line's writes
// (a place taken, renewed, removed) commit with synchronous=NORMAL, set for
// their transaction on a connection of your pool and set back after: in WAL
// mode they reach the operating system, which keeps them through the crash
// of any process; only a crash of the machine, which ends every process
// sharing the file, may lose them, and losing one only keeps a lock until
// it expires or a place until it lapses.
package sqlite

import (
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/distlock/distlock/dialect"
)

// DriverName is the database/sql driver name registered by modernc.org/sqlite.
const DriverName = "sqlite"

type sqliteDialect struct{}

// Dialect returns the SQLite dialect.
func Dialect() dialect.Dialect { return sqliteDialect{} }

func (sqliteDialect) Name() string { return "sqlite" }

func (sqliteDialect) Bind(db *sql.DB, table string) (dialect.Store, error) {
	if err := dialect.ValidTable(table); err != nil {
		return nil, err
	}
	return newStore(db, table), nil
}

// DSN returns the modernc.org/sqlite data source name for the database
// file at path, with the settings distlock relies on: WAL journal (readers
// never block the writer), a 10 s busy timeout, and
// BEGIN IMMEDIATE for transactions (the migrations') so that they never
// fail half-way for want of the write lock.
func DSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Opaque: escapePath(path), RawQuery: q.Encode()}
	return u.String()
}

// escapePath keeps a path usable inside a file: URI.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(p)
}

// Open opens (creating if needed) the SQLite database file at path with
// DSN's settings. The caller owns the *sql.DB and closes it.
func Open(path string) (*sql.DB, error) {
	if path == "" {
		return nil, fmt.Errorf("sqlite: empty database path")
	}
	db, err := sql.Open(DriverName, DSN(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}
