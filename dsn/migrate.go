package dsn

import (
	"context"
	"path/filepath"
)

// Migrate creates or upgrades the lock table, as distlock.Module.Migrate
// does. On SQLite it first takes an exclusive flock(2) on the database
// file's directory (unix), so that the processes of one machine, the only
// ones that can share an SQLite file, migrate one at a time.
//
// This works around distlock.Module.Migrate on SQLite, which is not safe
// for concurrent processes: golang-migrate's SQLite driver locks only
// within a process, and a process that finds the first migration marked
// dirty by another one still applying it "repairs" it by forcing version
// 0, which does not exist, leaving a table that no later Migrate accepts
// ("no migration found for version 0"). Two "distlock run" commands
// started together on a new file were enough.
func (m *Module) Migrate(ctx context.Context) error {
	if m.DSN.Dialect == SQLite {
		unlock, err := lockDir(ctx, filepath.Dir(m.DSN.Path))
		if err != nil {
			return err
		}
		defer unlock()
	}
	return m.Module.Migrate(ctx)
}
