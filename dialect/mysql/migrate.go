package mysql

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"time"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	migratemysql "github.com/golang-migrate/migrate/v4/database/mysql"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/migrations"
)

// Migrate applies migrations/mysql, rendered for the table, with
// golang-migrate's MySQL driver on one connection of the caller's pool,
// given back when done. Each migration is a single statement, so the DSN
// needs no multiStatements.
//
// golang-migrate serialises concurrent migrations with GET_LOCK, which
// on a Galera cluster holds on one node only: Migrate run at once through
// several nodes must survive the others' work. So its version table is
// created here with IF NOT EXISTS (golang-migrate's own CREATE TABLE
// fails if a migration through another node created it since it looked);
// the version is written by retryDriver, which keeps one row and retries
// what certification rejected; a version left dirty by a migration
// running elsewhere is run again (every migration is idempotent; see
// migrations.Up); and on Galera the connection reads causally
// (wsrep_sync_wait), so that it sees the versions written through other
// nodes, and is closed afterwards rather than given back with that setting.
func (s *store) Migrate(ctx context.Context) error {
	if _, err := s.statements(ctx); err != nil { // the probe: is this Galera?
		return err
	}
	galera := s.probe.kind.Load() == serverGalera
	src, err := migrations.Source("mysql", s.table)
	if err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		src.Close()
		return classify(err)
	}
	// forget closes the connection rather than give it back to the pool
	// with wsrep_sync_wait set (conn.Close then only returns ErrConnDone).
	forget := func() {
		if galera {
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}
	versionTable := migrations.VersionTable(s.table)
	setup := []string{"CREATE TABLE IF NOT EXISTS `" + versionTable + "` (version bigint not null primary key, dirty boolean not null)"}
	if galera {
		setup = append([]string{"SET SESSION wsrep_sync_wait = 7"}, setup...)
	}
	for _, q := range setup {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			src.Close()
			forget()
			conn.Close()
			return classify(err)
		}
	}
	drv, err := migratemysql.WithConnection(ctx, conn, &migratemysql.Config{MigrationsTable: versionTable})
	if err != nil {
		src.Close()
		forget()
		conn.Close()
		return classify(err)
	}
	rd := retryDriver{Driver: drv, ctx: ctx, conn: conn, table: versionTable}
	m, err := migrate.NewWithInstance("distlock", src, "mysql", rd)
	if err != nil {
		src.Close()
		forget()
		drv.Close()
		return err
	}
	defer func() {
		forget()
		m.Close() // closes src and gives the connection back to the pool (unless forgotten)
	}()
	if err := migrations.Up(ctx, m); err != nil {
		return classify(fmt.Errorf("mysql migrations: %w", err))
	}
	return nil
}

// retryDriver is golang-migrate's MySQL driver with two changes, for
// Migrates running at once through several Galera nodes.
//
// It retries the version updates and migrations that certification
// rejected (1213: a conflicting commit on another node) or that a node
// outside the primary component refused, rather than let golang-migrate
// stop half-way: both were rolled back, and every migration is
// idempotent. (golang-migrate also leaves a goroutine behind for each
// migration it read ahead but did not run.)
//
// Its SetVersion deletes every row of the version table, where
// golang-migrate's deletes one (DELETE … LIMIT 1): two nodes that both
// found the table empty can each insert a row, without conflicting, and
// deleting one row then leaves two (the next insert of a version still
// there fails with 1062). Deleting them all heals that at the next
// version written.
type retryDriver struct {
	database.Driver
	ctx   context.Context
	conn  *sql.Conn
	table string
}

// retryAttempts bounds the retries of one step; the pauses add up to
// about 2 s.
const retryAttempts = 20

func (d retryDriver) retry(f func() error) error {
	var err error
	for attempt := range retryAttempts {
		err = f()
		if k := dialect.KindOf(classify(err)); k != dialect.KindRetry && k != dialect.KindUnavailable {
			return err
		}
		select {
		case <-d.ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 10 * time.Millisecond):
		}
	}
	return err
}

func (d retryDriver) Run(migration io.Reader) error {
	body, err := io.ReadAll(migration)
	if err != nil {
		return err
	}
	return d.retry(func() error { return d.Driver.Run(bytes.NewReader(body)) })
}

// SetVersion records version (database.NilVersion: none) as the only row.
func (d retryDriver) SetVersion(version int, dirty bool) error {
	return d.retry(func() error {
		tx, err := d.conn.BeginTx(d.ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(d.ctx, "DELETE FROM `"+d.table+"`"); err != nil {
			tx.Rollback()
			return err
		}
		// As golang-migrate does: a dirty NilVersion is kept too.
		if version >= 0 || (version == database.NilVersion && dirty) {
			if _, err := tx.ExecContext(d.ctx, "INSERT INTO `"+d.table+"` (version, dirty) VALUES (?, ?)", version, dirty); err != nil {
				tx.Rollback()
				return err
			}
		}
		return tx.Commit()
	})
}
