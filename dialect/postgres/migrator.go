package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/distlock/distlock/migrations"
)

// migrator is the runner's migrations.Target for PostgreSQL, on the
// caller's *sql.DB (any driver: pgx, lib/pq, a wrapped one) and under the
// caller's context.
//
// golang-migrate's own postgres and pgx drivers take a session advisory
// lock, on a connection of a private pool. Behind a pooler in
// transaction mode the lock and the unlock run on different server
// connections, so the lock stays on a pooled backend and every later
// Migrate waits for it forever. migrator instead does all of its work,
// from taking the lock to recording the last version, in one transaction
// that starts with pg_advisory_xact_lock: the lock ends with the
// transaction, whatever server connection it ran on and however the
// client dies, and a pooler keeps a transaction on one server
// connection. No statement leaves state behind on the session (lead
// keeps pgx from preparing named statements), and a cancelled context
// ends the wait for the lock and rolls the transaction back.
//
// It keeps golang-migrate's version table (version bigint primary key,
// dirty boolean, one row, in the current schema) and takes its advisory
// lock keys (from the database, schema and version table names), so that
// the migrate CLI, earlier versions of distlock and migrator serialise
// against each other and read each other's versions.
//
// Since the migrations and the version updates commit together, a failed
// migration leaves no dirty version behind: its transaction rolls back.
type migrator struct {
	db    *sql.DB
	table string // the version table, unquoted (a valid distlock table name plus a suffix)
	// lead goes before every statement's arguments: poolerMode with pgx,
	// so that no named statement is prepared on a pooled connection.
	lead []any
}

// Lock begins the transaction, waits for the advisory lock inside it, and
// creates the version table if it is missing.
func (m migrator) Lock(ctx context.Context) (migrations.Session, error) {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	s := &session{tx: tx, lead: m.lead}
	if err := s.lockIn(ctx, m.table); err != nil {
		tx.Rollback()
		return nil, err
	}
	return s, nil
}

// session is a Migrate's transaction.
type session struct {
	tx   *sql.Tx
	lead []any
	name string // the version table, qualified and quoted
	// applied is the version of the last migration Apply ran (0: none),
	// which Unlock records before it commits them all.
	applied int64
}

func (s *session) lockIn(ctx context.Context, table string) error {
	var dbName string
	var schema sql.NullString
	if err := s.tx.QueryRowContext(ctx, `SELECT current_database(), current_schema()`, s.lead...).Scan(&dbName, &schema); err != nil {
		return err
	}
	if !schema.Valid || schema.String == "" {
		return errors.New("no current schema (search_path names none that exists)")
	}
	// The keys of golang-migrate's postgres and pgx drivers, which name
	// the database by the path of their URL ("/db") when opened by URL,
	// as the migrate CLI does, and by current_database() when made
	// WithInstance, as earlier versions of distlock did. Session and
	// transaction advisory locks on one key exclude each other; every
	// migrator takes both keys in the same order. (The keys are uint32s,
	// so the SQL is digits only.)
	keys := make([]string, 2)
	for i, db := range []string{"/" + dbName, dbName} {
		key := migrations.AdvisoryLockID(db, schema.String, table)
		keys[i] = "pg_advisory_xact_lock(" + strconv.FormatUint(uint64(key), 10) + ")"
	}
	if _, err := s.tx.ExecContext(ctx, `SELECT `+strings.Join(keys, ", "), s.lead...); err != nil {
		return err
	}
	s.name = quoteIdent(schema.String) + "." + quoteIdent(table)
	// Check first, as golang-migrate does, so that a user who may not
	// create tables can still run Migrate on an up-to-date schema.
	var exists bool
	if err := s.tx.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, s.args(s.name)...).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err := s.tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+s.name+` (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`, s.lead...)
	return err
}

// args returns a statement's arguments after lead.
func (s *session) args(a ...any) []any { return append(append([]any(nil), s.lead...), a...) }

// Version reads the version table in the transaction.
func (s *session) Version(ctx context.Context) (int64, bool, error) {
	var version int64
	var dirty bool
	err := s.tx.QueryRowContext(ctx, `SELECT version, dirty FROM `+s.name+` ORDER BY version LIMIT 1`, s.lead...).Scan(&version, &dirty)
	if errors.Is(err, sql.ErrNoRows) {
		return migrations.NilVersion, false, nil
	}
	return version, dirty, err
}

// Apply runs the migration, every statement of it, in the transaction.
func (s *session) Apply(ctx context.Context, m migrations.Migration) error {
	if strings.TrimSpace(m.SQL) != "" {
		// With no arguments but lead, pgx (in poolerMode too), like
		// lib/pq, sends it as one simple query, which may hold several
		// statements.
		if _, err := s.tx.ExecContext(ctx, m.SQL, s.lead...); err != nil {
			return err
		}
	}
	s.applied = m.Version
	return nil
}

// Unlock records the last version applied as golang-migrate's drivers do
// (one row) and commits the transaction, or rolls it back; the advisory
// lock ends with it. The migrations and their version commit together,
// so the version is written once, not after each.
func (s *session) Unlock(ctx context.Context, ok bool) error {
	if ok && s.applied != 0 {
		_, err := s.tx.ExecContext(ctx, `TRUNCATE `+s.name, s.lead...)
		if err == nil {
			_, err = s.tx.ExecContext(ctx, `INSERT INTO `+s.name+` (version, dirty) VALUES ($1, $2)`, s.args(s.applied, false)...)
		}
		if err != nil {
			s.tx.Rollback()
			return fmt.Errorf("recording version %d: %w", s.applied, err)
		}
	}
	if !ok {
		s.tx.Rollback()
		return nil
	}
	return s.tx.Commit()
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
