package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/distlock/distlock/migrations"
)

// Migrate applies migrations/mysql, rendered for the table, with
// migrations.Up and migrator, on one connection of the caller's pool,
// given back when done (closed instead on Galera, or if it may still hold
// the lock). Each migration is a single statement, so the DSN needs no
// multiStatements.
func (s *store) Migrate(ctx context.Context) error {
	if _, err := s.statements(ctx); err != nil { // the probe: is this Galera?
		return err
	}
	t := migrator{db: s.db, table: migrations.VersionTable(s.table), galera: s.probe.kind.Load() == serverGalera}
	if err := migrations.Up(ctx, t, "mysql", s.table); err != nil {
		return classify(fmt.Errorf("mysql migrations: %w", err))
	}
	return nil
}

// migrator is the runner's migrations.Target for MySQL and MariaDB.
//
// Concurrent Migrates take turns with GET_LOCK, under the name the
// migrate CLI (golang-migrate's MySQL driver) uses, so that the two
// exclude each other too. GET_LOCK waits at most lockSlice at a time, so
// that a Migrate waiting for another one stops waiting soon after its ctx
// ends (go-sql-driver drops the connection at once then; a driver that
// does not still returns within a slice); golang-migrate's driver waited
// up to 10 s whatever the caller's ctx.
//
// MySQL's DDL commits by itself, so a migration cannot share a
// transaction with its version: as golang-migrate does, the version is
// marked dirty before the migration runs and clean after it. Each version
// is written as the only row, in a transaction of the server's default
// isolation level (golang-migrate's SERIALIZABLE one is refused by TiDB,
// error 8048).
//
// GET_LOCK holds on one Galera node only: Migrates run at once through
// several nodes must survive each other's work. So the version table is
// created with IF NOT EXISTS; a version write deletes every row before it
// inserts one (two nodes that both found the table empty may each insert
// one, without conflicting; golang-migrate's DELETE … LIMIT 1 then left
// two, and the next insert of a version still there failed with 1062);
// what certification rejected (1213) or a node outside the primary
// component refused is retried (both were rolled back, and every
// migration is idempotent); a version left dirty by a migration running
// elsewhere is run again; and the connection reads causally
// (wsrep_sync_wait), so that it sees the versions written through other
// nodes, and is closed afterwards rather than given back with that
// setting.
type migrator struct {
	db     *sql.DB
	table  string // the version table, unquoted (a valid table name plus a suffix)
	galera bool
}

// lockSlice is how long, in seconds, one GET_LOCK waits.
const lockSlice = 1

// releaseTimeout bounds RELEASE_LOCK, which runs after ctx may have
// ended: a connection that cannot release the lock is closed, which
// releases it.
const releaseTimeout = 2 * time.Second

func (m migrator) Lock(ctx context.Context) (migrations.Session, error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	s := &session{conn: conn, table: m.table, forget: m.galera}
	if err := s.lock(ctx, m.galera); err != nil {
		s.Unlock(ctx, false)
		return nil, err
	}
	return s, nil
}

func (s *session) lock(ctx context.Context, galera bool) error {
	if galera {
		if err := s.retry(ctx, func() error {
			_, err := s.conn.ExecContext(ctx, "SET SESSION wsrep_sync_wait = 7")
			return err
		}); err != nil {
			return err
		}
	}
	var dbName sql.NullString
	if err := s.conn.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&dbName); err != nil {
		return err
	}
	if !dbName.Valid || dbName.String == "" {
		return errors.New("no database selected (the DSN names none)")
	}
	// golang-migrate's lock name (a uint32, so digits only).
	s.lockName = strconv.FormatUint(uint64(migrations.AdvisoryLockID(dbName.String+":"+s.table)), 10)
	for {
		var got sql.NullInt64
		if err := s.conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", s.lockName, lockSlice).Scan(&got); err != nil {
			return err
		}
		if !got.Valid { // NULL: an error, such as the thread killed
			return fmt.Errorf("GET_LOCK(%s) failed", s.lockName)
		}
		if got.Int64 == 1 {
			s.locked = true
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return s.retry(ctx, func() error {
		_, err := s.conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS `"+s.table+"` (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)")
		return err
	})
}
