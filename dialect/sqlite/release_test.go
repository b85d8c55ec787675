package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect/sqlite"
	"github.com/distlock/distlock/distlock"
)

// A release, and the line's writes (a waiter's place taken, renewed and
// removed), commit with synchronous=NORMAL and leave the connection as
// they found it: every later statement of the pool syncs (FULL, 2).
func TestReleaseRestoresSynchronous(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "locks.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the connection of the release and the line's writes is the one read below
	mod, err := distlock.New(db, sqlite.Dialect(), distlock.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close()
	if err := mod.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	synchronous := func(after string) {
		t.Helper()
		var sync int
		if err := db.QueryRowContext(t.Context(), "PRAGMA synchronous").Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if sync != 2 {
			t.Fatalf("after %s the pool's connection has synchronous=%d, want 2 (FULL)", after, sync)
		}
	}
	tok, err := mod.Acquire(t.Context(), "job")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		got <- mod.Get("job").Acquire(ctx) // takes a place in line
	}()
	for {
		info, err := mod.Inspect(t.Context(), "job")
		if err != nil {
			t.Fatal(err)
		}
		if info.Waiters == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // past one renewal of the place
	synchronous("a waiter took a place and renewed it")
	if err := mod.Release(t.Context(), "job", tok); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	synchronous("a release and a waiter leaving its place")
}
