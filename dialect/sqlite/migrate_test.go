package sqlite_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/distlock/distlock/dialect/sqlite"
	"github.com/distlock/distlock/distlock"
)

// Several processes migrating a new file at once (cron jobs starting
// together) all succeed and leave a usable table, round after round.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	const processes, rounds = 6, 10
	for round := range rounds {
		path := filepath.Join(t.TempDir(), "new.db")
		var wg sync.WaitGroup
		errs := make(chan error, processes)
		for range processes {
			wg.Go(func() {
				db, err := sqlite.Open(path)
				if err != nil {
					errs <- err
					return
				}
				defer db.Close()
				mod, err := distlock.New(db, sqlite.Dialect(), distlock.Config{})
				if err != nil {
					errs <- err
					return
				}
				defer mod.Close()
				if err := mod.Migrate(t.Context()); err != nil {
					errs <- err
					return
				}
				if err := mod.Get("job").Do(t.Context(), func(context.Context) error { return nil }); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}
