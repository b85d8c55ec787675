package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/distlock/distlock/dialect/sqlite"
	"github.com/distlock/distlock/distlock"
)

// A release commits with synchronous=NORMAL and leaves the connection as
// it found it: every later statement of the pool syncs (FULL, 2).
func TestReleaseRestoresSynchronous(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "locks.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the release's connection is the one read below
	mod, err := distlock.New(db, sqlite.Dialect(), distlock.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close()
	if err := mod.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	tok, err := mod.Acquire(t.Context(), "job")
	if err != nil {
		t.Fatal(err)
	}
	if err := mod.Release(t.Context(), "job", tok); err != nil {
		t.Fatal(err)
	}
	var sync int
	if err := db.QueryRowContext(t.Context(), "PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if sync != 2 {
		t.Fatalf("after a release the pool's connection has synchronous=%d, want 2 (FULL)", sync)
	}
}
