package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/migrations"
)

// Migrate applies migrations/sqlite, rendered for the table, with
// migrations.Up. It first switches the file to WAL, which is persistent
// and cannot be done inside the migrations' transaction.
func (s *store) Migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, "PRAGMA journal_mode = WAL"); err != nil {
		return classify(err)
	}
	t := migrator{db: s.db, table: quote(migrations.VersionTable(s.table))}
	if err := migrations.Up(ctx, t, "sqlite", s.table); err != nil {
		return classify(fmt.Errorf("sqlite migrations: %w", err))
	}
	return nil
}

// migrator is the runner's migrations.Target for SQLite. Its session is
// one write transaction (BEGIN IMMEDIATE) on one connection, from reading
// the version to recording the last one: SQLite's write lock makes
// Migrates of other processes on the file wait for it (in the busy
// handler; past the busy timeout they fail with SQLITE_BUSY, which
// distlock retries), and a failed or interrupted Migrate leaves nothing
// behind, no dirty version either.
type migrator struct {
	db    *sql.DB
	table string // the version table, quoted
}

// rollbackTimeout bounds the ROLLBACK of a Migrate whose ctx has ended.
const rollbackTimeout = 5 * time.Second

func (m migrator) Lock(ctx context.Context) (migrations.Session, error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	// A pool opened with _txlock=immediate would begin so by itself; the
	// caller's pool may not be.
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		dialect.Discard(conn)
		return nil, err
	}
	sess := &session{conn: conn, table: m.table}
	// golang-migrate's SQLite driver creates (version uint64, dirty bool)
	// and a unique index; what it reads and writes is the same.
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+m.table+` (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`); err != nil {
		sess.Unlock(ctx, false)
		return nil, err
	}
	return sess, nil
}

type session struct {
	conn  *sql.Conn
	table string
	// applied is the version of the last migration Apply ran (0: none),
	// which Unlock records before it commits them all.
	applied int64
}

func (s *session) Version(ctx context.Context) (int64, bool, error) {
	var version int64
	var dirty bool
	err := s.conn.QueryRowContext(ctx, `SELECT version, dirty FROM `+s.table+` ORDER BY version LIMIT 1`).Scan(&version, &dirty)
	if errors.Is(err, sql.ErrNoRows) {
		return migrations.NilVersion, false, nil
	}
	return version, dirty, err
}

// Apply runs the migration, all of its statements in one Exec, in the
// session's transaction.
func (s *session) Apply(ctx context.Context, m migrations.Migration) error {
	if strings.TrimSpace(m.SQL) != "" {
		if _, err := s.conn.ExecContext(ctx, m.SQL); err != nil {
			return err
		}
	}
	s.applied = m.Version
	return nil
}

// Unlock records the last version applied (the migrations and their
// version commit together, so it is written once) and commits, or rolls
// back; it gives the connection back, or closes one whose transaction may
// still be open, so that nobody else gets it with the write lock held.
func (s *session) Unlock(ctx context.Context, ok bool) error {
	defer s.conn.Close()
	if ok && s.applied != 0 {
		_, err := s.conn.ExecContext(ctx, `DELETE FROM `+s.table)
		if err == nil {
			_, err = s.conn.ExecContext(ctx, `INSERT INTO `+s.table+` (version, dirty) VALUES (?, ?)`, s.applied, false)
		}
		if err != nil {
			s.rollback()
			return fmt.Errorf("recording version %d: %w", s.applied, err)
		}
	}
	if !ok {
		s.rollback()
		return nil
	}
	_, err := s.conn.ExecContext(ctx, "COMMIT")
	if err != nil {
		s.rollback()
	}
	return err
}

func (s *session) rollback() {
	// On a background context: the caller's may have ended, and the
	// transaction must end all the same.
	ctx, cancel := context.WithTimeout(context.Background(), rollbackTimeout)
	defer cancel()
	if _, err := s.conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		dialect.Discard(s.conn)
	}
}

// quote quotes an SQLite identifier (a valid table name plus a suffix).
func quote(name string) string { return `"` + name + `"` }
