package sqlite

import (
	"context"
	"errors"
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
	done := make(chan error, 1)
	go func() { done <- up(m) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		m.GracefulStop <- true
		err = <-done
		if err == nil {
			err = ctx.Err()
		}
	}
	if err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return classify(fmt.Errorf("sqlite migrations: %w", err))
	}
	return nil
}

// up applies the migrations. Every distlock migration is idempotent, so a
// version left dirty by an interrupted run is simply run again.
func up(m *migrate.Migrate) error {
	err := m.Up()
	var dirty migrate.ErrDirty
	if errors.As(err, &dirty) {
		if err := m.Force(dirty.Version - 1); err != nil {
			return err
		}
		err = m.Up()
	}
	return err
}
