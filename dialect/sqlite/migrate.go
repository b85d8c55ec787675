package sqlite

import (
	"context"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"

	"github.com/distlock/distlock/migrations"
)

// Migrate applies migrations/sqlite, rendered for the table, with
// golang-migrate. It first switches the file to WAL, which is persistent
// and cannot be done inside the migrations' transaction.
func (s *store) Migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, "PRAGMA journal_mode = WAL"); err != nil {
		return classify(err)
	}
	src, err := migrations.Source("sqlite", s.table)
	if err != nil {
		return err
	}
	defer src.Close()
	// The driver's Close would close s.db, which is the caller's: never
	// call m.Close.
	drv, err := migratesqlite.WithInstance(s.db, &migratesqlite.Config{
		MigrationsTable: migrations.VersionTable(s.table),
	})
	if err != nil {
		return classify(err)
	}
	m, err := migrate.NewWithInstance("distlock", src, "sqlite", drv)
	if err != nil {
		return err
	}
	if err := migrations.Up(ctx, m); err != nil {
		return classify(fmt.Errorf("sqlite migrations: %w", err))
	}
	return nil
}
