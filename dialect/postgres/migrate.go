package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/golang-migrate/migrate/v4"

	"github.com/distlock/distlock/migrations"
)

// Migrate applies migrations/postgres, rendered for the table, through
// golang-migrate with migrator, distlock's own driver: on the caller's
// *sql.DB, whatever its driver, under ctx, in one transaction that holds
// a transaction-scoped advisory lock (so that concurrent Migrates take
// turns, and nothing stays locked on a pooled server connection). It
// waits for a concurrent Migrate as long as ctx allows.
func (s *store) Migrate(ctx context.Context) error {
	// Cancelled on return, so that a lock attempt golang-migrate stopped
	// waiting for ends too, and its transaction rolls back.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	src, err := migrations.Source("postgres", s.table)
	if err != nil {
		return err
	}
	drv := &migrator{ctx: ctx, db: s.db, table: migrations.VersionTable(s.table), lead: args(s.pgx)}
	m, err := migrate.NewWithInstance("distlock", src, "postgres", drv)
	if err != nil {
		src.Close()
		return err
	}
	defer m.Close() // closes src and rolls back what is left; never the *sql.DB
	// ctx decides how long to wait for a concurrent Migrate.
	m.LockTimeout = 100 * 365 * 24 * time.Hour
	if err := migrations.Up(ctx, m); err != nil {
		return classify(fmt.Errorf("postgres migrations: %w", err))
	}
	return nil
}
