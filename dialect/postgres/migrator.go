package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/golang-migrate/migrate/v4/database"
)

// migrator is golang-migrate's database.Driver for PostgreSQL, on the
// caller's *sql.DB (any driver: pgx, lib/pq, a wrapped one) and under the
// caller's context.
//
// golang-migrate's own postgres and pgx drivers take a session advisory
// lock, under context.Background(), on a connection of a private pool.
// Behind a pooler in transaction mode the lock and the unlock run on
// different server connections, so the lock stays on a pooled backend
// and every later Migrate waits for it forever. migrator instead does all
// of its work, from Lock to Unlock, in one transaction that starts with
// pg_advisory_xact_lock: the lock ends with the transaction, whatever
// server connection it ran on and however the client dies, and a pooler
// keeps a transaction on one server connection. A cancelled context ends
// the wait for the lock and rolls the transaction back.
//
// It keeps golang-migrate's version table (version bigint primary key,
// dirty boolean, one row, in the current schema) and its advisory lock
// keys (from the database, schema and version table names), so that the
// migrate CLI, earlier versions of distlock and migrator serialise
// against each other and read each other's versions.
//
// Since the migrations and the version updates commit together, a failed
// migration leaves no dirty version behind: its transaction rolls back.
type migrator struct {
	ctx   context.Context
	db    *sql.DB
	table string // the version table, unquoted (a valid distlock table name plus a suffix)
	// lead goes before every statement's arguments: poolerMode with pgx,
	// so that no named statement is prepared on a pooled connection.
	lead []any

	mu     sync.Mutex
	tx     *sql.Tx // from Lock to Unlock
	name   string  // the version table, qualified and quoted, while locked
	failed bool    // a statement in tx failed: Unlock rolls back
	closed bool
}

var _ database.Driver = (*migrator)(nil)

// Open is not used: migrators are made by Migrate.
func (*migrator) Open(string) (database.Driver, error) {
	return nil, errors.New("postgres: distlock's migrator is not opened by URL")
}

// Close rolls back a transaction left open (Lock may have succeeded after
// golang-migrate stopped waiting for it). It never closes the *sql.DB.
func (m *migrator) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	if m.tx != nil {
		m.tx.Rollback()
		m.tx = nil
	}
	return nil
}

// Lock begins the transaction, waits for the advisory lock inside it, and
// creates the version table if it is missing.
func (m *migrator) Lock() error {
	tx, name, err := m.begin()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		return err
	}
	if m.closed || m.tx != nil {
		tx.Rollback()
		return database.ErrLocked
	}
	m.tx, m.name, m.failed = tx, name, false
	return nil
}

func (m *migrator) begin() (*sql.Tx, string, error) {
	tx, err := m.db.BeginTx(m.ctx, nil)
	if err != nil {
		return nil, "", err
	}
	name, err := m.lockIn(tx)
	if err != nil {
		tx.Rollback()
		return nil, "", err
	}
	return tx, name, nil
}

func (m *migrator) lockIn(tx *sql.Tx) (string, error) {
	var dbName string
	var schema sql.NullString
	if err := tx.QueryRowContext(m.ctx, `SELECT current_database(), current_schema()`, m.lead...).Scan(&dbName, &schema); err != nil {
		return "", err
	}
	if !schema.Valid || schema.String == "" {
		return "", errors.New("postgres migrations: no current schema (search_path names none that exists)")
	}
	// The keys of golang-migrate's postgres and pgx drivers, which name
	// the database by the path of their URL ("/db") when opened by URL,
	// as the migrate CLI does, and by current_database() when made
	// WithInstance, as earlier versions of distlock did. Session and
	// transaction advisory locks on one key exclude each other; every
	// migrator takes both keys in the same order.
	keys := make([]string, 2)
	for i, db := range []string{"/" + dbName, dbName} {
		key, err := database.GenerateAdvisoryLockId(db, schema.String, m.table)
		if err != nil {
			return "", err
		}
		if _, err := strconv.ParseUint(key, 10, 32); err != nil {
			return "", fmt.Errorf("postgres migrations: unexpected advisory lock key %q", key)
		}
		keys[i] = "pg_advisory_xact_lock(" + key + ")"
	}
	if _, err := tx.ExecContext(m.ctx, `SELECT `+strings.Join(keys, ", "), m.lead...); err != nil {
		return "", err
	}
	name := quoteIdent(schema.String) + "." + quoteIdent(m.table)
	// Check first, as golang-migrate does, so that a user who may not
	// create tables can still run Migrate on an up-to-date schema.
	var exists bool
	if err := tx.QueryRowContext(m.ctx, `SELECT to_regclass($1) IS NOT NULL`, m.args(name)...).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := tx.ExecContext(m.ctx, `CREATE TABLE IF NOT EXISTS `+name+` (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`, m.lead...); err != nil {
			return "", err
		}
	}
	return name, nil
}

// Unlock commits the transaction, or rolls it back if a statement in it
// failed; the advisory lock ends with it.
func (m *migrator) Unlock() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	tx := m.tx
	if tx == nil {
		return database.ErrNotLocked
	}
	m.tx = nil
	if m.failed {
		return tx.Rollback()
	}
	return tx.Commit()
}

// args returns a statement's arguments after lead.
func (m *migrator) args(a ...any) []any { return append(append([]any(nil), m.lead...), a...) }

// exec runs one statement in the transaction.
func (m *migrator) exec(query string, args ...any) error {
	m.mu.Lock()
	tx := m.tx
	m.mu.Unlock()
	if tx == nil {
		return database.ErrNotLocked
	}
	_, err := tx.ExecContext(m.ctx, query, m.args(args...)...)
	if err != nil {
		m.mu.Lock()
		m.failed = true
		m.mu.Unlock()
	}
	return err
}

// Run executes a migration, every statement of it, in the transaction.
func (m *migrator) Run(migration io.Reader) error {
	body, err := io.ReadAll(migration)
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(body)) == "" {
		return nil
	}
	// Without arguments pgx, like lib/pq, sends it as one simple query,
	// which may hold several statements.
	if err := m.exec(string(body)); err != nil {
		return fmt.Errorf("migration failed: %w", err)
	}
	return nil
}

// SetVersion records the version as golang-migrate's drivers do: one row,
// or none for database.NilVersion unless dirty.
func (m *migrator) SetVersion(version int, dirty bool) error {
	m.mu.Lock()
	name := m.name
	m.mu.Unlock()
	if err := m.exec(`TRUNCATE ` + name); err != nil {
		return err
	}
	if version >= 0 || (version == database.NilVersion && dirty) {
		return m.exec(`INSERT INTO `+name+` (version, dirty) VALUES ($1, $2)`, int64(version), dirty)
	}
	return nil
}

// Version reads the version table in the transaction.
func (m *migrator) Version() (int, bool, error) {
	m.mu.Lock()
	tx, name := m.tx, m.name
	m.mu.Unlock()
	if tx == nil {
		return 0, false, database.ErrNotLocked
	}
	var version int64
	var dirty bool
	err := tx.QueryRowContext(m.ctx, `SELECT version, dirty FROM `+name+` LIMIT 1`, m.lead...).Scan(&version, &dirty)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return database.NilVersion, false, nil
	case err != nil:
		m.mu.Lock()
		m.failed = true
		m.mu.Unlock()
		return 0, false, err
	}
	return int(version), dirty, nil
}

// Drop is not supported: distlock never drops a schema.
func (*migrator) Drop() error {
	return errors.New("postgres: distlock's migrator does not drop schemas")
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
