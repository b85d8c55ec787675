// Package postgres is distlock's dialect for PostgreSQL (10 and later),
// on github.com/jackc/pgx/v5 through its database/sql adapter, so that
// you keep your *sql.DB:
//
//	db, err := sql.Open("pgx", "postgres://app@db.internal/app")
//	mod, err := distlock.New(db, postgres.Dialect(), distlock.Config{})
//
// Acquire, extend and release are each one statement; expiry is decided
// by the server's now(). A waiting acquire takes a place in the lock's
// line, and the release of a lock with a line sends a NOTIFY naming the
// head of the line, which wakes that one waiter in whichever process it
// waits (uncontended releases send none: PostgreSQL serialises the
// commits of notifying transactions). Releases commit without waiting
// for the disk: they hand the lock to nobody (the head takes it with a
// durable commit of its own, which flushes the release too). Each Module
// that waits keeps one extra connection open for LISTEN, made with the
// settings of a connection from your pool (so it needs a pgx pool and a
// session of its own with the server: behind a pooler, waiters poll).
// Fences come from a sequence, so they never go back, and vacuum locks
// the table for a few milliseconds per batch so that no acquisition can
// straddle a deletion. No column that acquire and release change is
// indexed, so their updates are HOT (heap-only): one WAL record each.
//
// # PgBouncer and other transaction poolers
//
// The DSN you would write for the pooler works as it is; nothing needs
// configuring:
//
//   - Statements. pgx's default exec mode (cache_statement) prepares a
//     named statement once per client connection and binds it in later
//     round trips; behind transaction pooling these land on server
//     connections shared with other clients, which already have that
//     name (42P05) or lack it (26000). The first such error switches the
//     Store, for good, to pgx's exec mode (QueryExecModeExec), passed
//     per statement as its first argument, and the refused statement,
//     which did not run, is sent again at once. The exec mode sends
//     Parse, Bind, Execute and Sync of the unnamed statement in one round
//     trip, which PgBouncer keeps on one server connection, and leaves
//     nothing behind on it; it keeps the parameters out of the SQL text,
//     unlike the simple protocol (which works too, at about the same
//     speed). describe_exec is unsafe behind transaction pooling: its
//     second round trip binds whatever unnamed statement the next server
//     connection holds (08P01 if the parameter counts differ, another
//     client's statement if they do not). A direct connection keeps pgx's
//     default, about twice as fast as the exec mode, and pays nothing for
//     the fallback. The fallback needs pgx's own driver (db.Driver() is
//     *stdlib.Driver); with a wrapped driver, put
//     default_query_exec_mode=exec in the DSN.
//   - Waiting. LISTEN cannot pass transaction pooling, and a LISTEN left
//     on a pooled server connection sends every release's notification to
//     whichever client that connection serves, or to PgBouncer while it
//     serves none (PgBouncer 1.18 exited once in our tests, "server in bad
//     state: 11", with such LISTENs on its server connections). So the
//     listener LISTENs only on a connection whose backend key names the
//     server process that serves it (PgBouncer hands its clients keys of
//     its own), and only after a probe NOTIFY sent from another
//     connection arrives within 2s; otherwise waiters poll, with back-off and jitter,
//     never past the holder's expiry.
//   - Migrate runs in one transaction on your *sql.DB, whatever its
//     driver, under your ctx: it takes golang-migrate's advisory lock
//     with pg_advisory_xact_lock, which ends with the transaction, so
//     nothing stays locked on a pooled server connection, and a
//     cancelled ctx ends the wait for a concurrent Migrate. The version
//     table and lock keys are golang-migrate's, so the migrate CLI and
//     Migrate serialise against each other.
//   - Your own SQL. Statements of yours, in the transactions you hand to
//     Guard and ReleaseTx or run in DoTx, need a pooler-safe mode of
//     their own (default_query_exec_mode=exec in the DSN); the Store's
//     statements then use it too.
//   - Server restarts. After one failed server login (the server
//     restarting), PgBouncer refuses every client for server_login_retry,
//     15 s by default; waiting Acquires wait through it, but holders
//     cannot extend meanwhile. A lower value (our tests use 1 s) brings
//     the locks back sooner.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

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
	_, isPgx := db.Driver().(*stdlib.Driver)
	return &store{db: db, table: table, channel: table + "_released", sql: newStatements(table), pgx: isPgx, nonce: newNonce(),
		guardSQL: newGuardStatements(table)}, nil
}

type store struct {
	db      *sql.DB
	table   string
	channel string
	sql     statements
	// pgx is true when db uses pgx's database/sql driver, which takes a
	// pgx.QueryExecMode as a statement's first argument (see pooler.go).
	pgx bool
	// pooled is set once a pooler's shared server connections broke one
	// of pgx's named statements: from then on every statement of this
	// Store runs in poolerMode.
	pooled atomic.Bool

	guardSQL guardStatements // see guard.go

	// nonce is a random secret of this Store, written with each place it
	// takes in a line: the release that names the place as the head puts
	// it in its NOTIFY, which tells this Store's listener that the
	// notification came from a release, not from any user of the database
	// (every one may NOTIFY); the waiter then takes the lock without first
	// reading that it is free (dialect.Listener). Whoever can read the
	// line's table can learn it, and make a waiter attempt an acquisition
	// (a write that takes nothing, committed without waiting for the disk).
	nonce int64

	mu  sync.Mutex
	cfg *pgx.ConnConfig // of the caller's pool, for our own connections
}

func (s *store) Close() error { return nil }

// errNotPgx means the *sql.DB does not use pgx, so its connection settings
// cannot be reused for the listener.
var errNotPgx = errors.New("postgres: the *sql.DB must use the pgx driver (sql.Open(\"pgx\", …)) for this")

// connConfig returns the settings of a connection of the caller's pool,
// to open a connection of our own (LISTEN) to the same server
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
