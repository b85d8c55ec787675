package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect/dialecttest"
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
	t.Cleanup(func() { db.Close() }) // after the Module's Close (see migrated)
	db.SetMaxOpenConns(1)            // the connection of the release and the line's writes is the one read below
	mod := migrated(t, db)
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

// A lock whose last release granted it to its line is released by a
// grant at once: no transaction first runs the plain release, which
// would leave the hold alone for want of granting (a hot lock's hand-off
// then costs one transaction, not two).
func TestReleaseAfterGrantGrantsAtOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "locks.db")
	plain, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	db, releases := dialecttest.Counting(t, plain, sqlite.DSN(path), regexp.MustCompile(`^UPDATE "distlock" SET\s+holds\s+= holds - 1`))
	mod := migrated(t, db)
	holder := mod.Get("hot")
	if err := holder.Acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	waiters := []*distlock.Lock{mod.Get("hot"), mod.Get("hot")}
	got := make(chan *distlock.Lock, len(waiters))
	for i, w := range waiters {
		go func() {
			if err := w.Acquire(t.Context()); err != nil {
				t.Error(err)
			}
			got <- w
		}()
		for { // in line, in this order
			info, err := mod.Inspect(t.Context(), "hot")
			if err != nil {
				t.Fatal(err)
			}
			if info.Waiters == i+1 {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	if err := holder.Release(t.Context()); err != nil { // grants to the first waiter
		t.Fatal(err)
	}
	first := <-got
	before := releases.Load()
	if before == 0 {
		t.Fatal("the counter saw no plain release: it counts nothing")
	}
	if err := first.Release(t.Context()); err != nil { // grants to the second
		t.Fatal(err)
	}
	if n := releases.Load() - before; n != 0 {
		t.Errorf("the release after a grant ran the plain release %d times before granting; want none", n)
	}
	if info, err := mod.Inspect(t.Context(), "hot"); err != nil || info.Fence != (<-got).Fence() {
		t.Errorf("after the second grant the lock is %+v, %v; want the second waiter's", info, err)
	}
}

// migrated returns a Module on db with its table migrated, closed when t
// ends.
func migrated(t *testing.T, db *sql.DB) *distlock.Module {
	t.Helper()
	mod, err := distlock.New(db, sqlite.Dialect(), distlock.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mod.Close() })
	if err := mod.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return mod
}
