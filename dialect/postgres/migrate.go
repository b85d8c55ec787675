package postgres

import (
	"context"
	"fmt"

	"github.com/distlock/distlock/migrations"
)

// Migrate applies migrations/postgres, rendered for the table, with
// migrations.Up and migrator: on the caller's *sql.DB, whatever its
// driver, under ctx, in one transaction that holds a transaction-scoped
// advisory lock (so that concurrent Migrates take turns, and nothing
// stays locked on a pooled server connection). It waits for a concurrent
// Migrate as long as ctx allows.
func (s *store) Migrate(ctx context.Context) error {
	t := migrator{db: s.db, table: migrations.VersionTable(s.table), lead: args(s.pgx)}
	if err := migrations.Up(ctx, t, "postgres", s.table); err != nil {
		return classify(fmt.Errorf("postgres migrations: %w", err))
	}
	return nil
}
