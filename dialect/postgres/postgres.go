// Package postgres is distlock's dialect for PostgreSQL (10 and later),
// on github.com/jackc/pgx/v5 through its database/sql adapter, so that
// you keep your *sql.DB:
//
//	db, err := sql.Open("pgx", "postgres://app@db.internal/app")
//	mod, err := distlock.New(db, postgres.Dialect(), distlock.Config{})
//
// Acquire, extend and release are each one statement; expiry is decided
// by the server's now(). A waiting acquire marks the lock as watched, and
// the release of a watched lock sends a NOTIFY that wakes its waiters in
// every process at once (uncontended releases send none: PostgreSQL
// serialises the commits of notifying transactions). Each Module that
// waits keeps one extra
// connection open for LISTEN, made with the settings of a connection from
// your pool (so it needs a pgx pool and a direct connection or session
// pooling; behind PgBouncer's transaction pooling, waiters simply poll).
// Fences come from a sequence, so they never go back, and vacuum locks
// the table for a few milliseconds per batch so that no acquisition can
// straddle a deletion. No column that acquire and release change is
// indexed, so their updates are HOT (heap-only): one WAL record each.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/distlock/distlock/dialect"
)

// DriverName is the database/sql driver name registered by pgx.
const DriverName = "pgx"

type pgDialect struct{}

// Dialect returns the PostgreSQL dialect.
func Dialect() dialect.Dialect { return pgDialect{} }

func (pgDialect) Name() string { return "postgres" }

func (pgDialect) Bind(db *sql.DB, table string) (dialect.Store, error) {
	if err := dialect.ValidTable(table); err != nil {
		return nil, err
	}
	return &store{db: db, table: table, channel: table + "_released", sql: newStatements(table),
		guardSQL: newGuardStatements(table)}, nil
}

type store struct {
	db      *sql.DB
	table   string
	channel string
	sql     statements

	guardSQL guardStatements // see guard.go

	mu  sync.Mutex
	cfg *pgx.ConnConfig // of the caller's pool, for our own connections
}

func (s *store) Close() error { return nil }

// errNotPgx means the *sql.DB does not use pgx, so its connection settings
// cannot be reused for the listener and migrations.
var errNotPgx = errors.New("postgres: the *sql.DB must use the pgx driver (sql.Open(\"pgx\", …)) for this")

// connConfig returns the settings of a connection of the caller's pool,
// to open connections of our own (LISTEN, migrations) to the same server
// as the same user without touching the pool's.
func (s *store) connConfig(ctx context.Context) (*pgx.ConnConfig, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg != nil {
		return s.cfg.Copy(), nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, classify(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("%w (it uses %T)", errNotPgx, dc)
		}
		cfg := c.Conn().Config().Copy()
		// pgx stored the pool connection's own notification buffer in its
		// config; a new connection must install its own.
		cfg.OnNotification = nil
		s.cfg = cfg
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.cfg.Copy(), nil
}
