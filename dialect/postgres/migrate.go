package postgres

import (
	"context"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/distlock/distlock/migrations"
)

// Migrate applies migrations/postgres, rendered for the table, with
// golang-migrate's pgx driver, which serialises concurrent migrations
// with an advisory lock. golang-migrate's driver holds a connection and
// closes its *sql.DB when done, so it gets a private one made with the
// settings of the caller's pool, which is left alone.
func (s *store) Migrate(ctx context.Context) error {
	cfg, err := s.connConfig(ctx)
	if err != nil {
		return err
	}
	src, err := migrations.Source("postgres", s.table)
	if err != nil {
		return err
	}
	db := stdlib.OpenDB(*cfg)
	drv, err := migratepgx.WithInstance(db, &migratepgx.Config{
		MigrationsTable: migrations.VersionTable(s.table),
	})
	if err != nil {
		src.Close()
		db.Close()
		return classify(err)
	}
	m, err := migrate.NewWithInstance("distlock", src, "pgx5", drv)
	if err != nil {
		src.Close()
		drv.Close()
		return err
	}
	defer m.Close() // closes src and the private db
	if err := migrations.Up(ctx, m); err != nil {
		return classify(fmt.Errorf("postgres migrations: %w", err))
	}
	return nil
}
