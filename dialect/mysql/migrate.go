package mysql

import (
	"context"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	migratemysql "github.com/golang-migrate/migrate/v4/database/mysql"

	"github.com/distlock/distlock/migrations"
)

// Migrate applies migrations/mysql, rendered for the table, with
// golang-migrate's MySQL driver (which serialises concurrent migrations
// with GET_LOCK) on one connection of the caller's pool, given back when
// done. Each migration is a single statement, so the DSN needs no
// multiStatements.
func (s *store) Migrate(ctx context.Context) error {
	src, err := migrations.Source("mysql", s.table)
	if err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		src.Close()
		return classify(err)
	}
	drv, err := migratemysql.WithConnection(ctx, conn, &migratemysql.Config{
		MigrationsTable: migrations.VersionTable(s.table),
	})
	if err != nil {
		src.Close()
		conn.Close()
		return classify(err)
	}
	m, err := migrate.NewWithInstance("distlock", src, "mysql", drv)
	if err != nil {
		src.Close()
		drv.Close()
		return err
	}
	defer m.Close() // closes src and gives the connection back to the pool
	if err := migrations.Up(ctx, m); err != nil {
		return classify(fmt.Errorf("mysql migrations: %w", err))
	}
	return nil
}
