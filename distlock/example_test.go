package distlock_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/distlock/distlock/dialect/sqlite"
	"github.com/distlock/distlock/distlock"
)

// openExample opens a Module on a fresh SQLite file. Real programs open
// their database once and keep the Module for their lifetime.
func openExample(cfg distlock.Config) (*distlock.Module, func()) {
	mod, _, done := openExampleDB(cfg)
	return mod, done
}

// openExampleDB is openExample that also returns the *sql.DB.
func openExampleDB(cfg distlock.Config) (*distlock.Module, *sql.DB, func()) {
	dir, err := os.MkdirTemp("", "distlock-example")
	if err != nil {
		log.Fatal(err)
	}
	db, err := sqlite.Open(filepath.Join(dir, "locks.db"))
	if err != nil {
		log.Fatal(err)
	}
	mod, err := distlock.New(db, sqlite.Dialect(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	if err := mod.Migrate(context.Background()); err != nil {
		log.Fatal(err)
	}
	return mod, db, func() {
		mod.Close()
		db.Close()
		os.RemoveAll(dir)
	}
}

func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "distlock-example") // your program's data directory
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(filepath.Join(dir, "locks.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	mod, err := distlock.New(db, sqlite.Dialect(), distlock.Config{MaxTime: time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	defer mod.Close()
	if err := mod.Migrate(ctx); err != nil { // creates the table once; safe to repeat
		log.Fatal(err)
	}

	lock := mod.Get("nightly-report")
	if err := lock.Acquire(ctx); err != nil { // waits until free or ctx ends
		log.Fatal(err)
	}
	defer lock.Release(ctx)

	fmt.Println("only one of us runs the report")
	// Output: only one of us runs the report
}

func ExampleLock_Do() {
	mod, done := openExample(distlock.Config{MaxTime: 30 * time.Second})
	defer done()

	// Do waits for the lock, keeps it alive (extending every MaxTime/3) for
	// as long as the function runs, and releases it at the end.
	err := mod.Get("rebuild-index").Do(context.Background(), func(ctx context.Context) error {
		// ctx is cancelled, with cause distlock.ErrLost, if the lock is lost.
		fmt.Println("rebuilding")
		return nil
	})
	fmt.Println("err:", err)
	// Output:
	// rebuilding
	// err: <nil>
}

func ExampleModule_TryAcquire() {
	mod, done := openExample(distlock.Config{})
	defer done()
	ctx := context.Background()

	tok, err := mod.TryAcquire(ctx, "cron:cleanup")
	fmt.Println("first:", err)
	_, err = mod.TryAcquire(ctx, "cron:cleanup")
	fmt.Println("second:", errors.Is(err, distlock.ErrNotAcquired))
	fmt.Println("release:", mod.Release(ctx, "cron:cleanup", tok))
	// Output:
	// first: <nil>
	// second: true
	// release: <nil>
}

// A token can be handed to another process, which attaches it to extend,
// re-enter or release the lock.
func ExampleModule_Attach() {
	mod, done := openExample(distlock.Config{})
	defer done()
	ctx := context.Background()

	tok, err := mod.Acquire(ctx, "deploy")
	if err != nil {
		log.Fatal(err)
	}
	// ... string(tok) travels to another process (argument, env, pipe) ...
	worker := mod.Attach("deploy", tok)
	if err := worker.Acquire(ctx); err != nil { // re-enters: holds 2
		log.Fatal(err)
	}
	info, _ := mod.Inspect(ctx, "deploy")
	fmt.Println("holds:", info.Holds)

	worker.Release(ctx)
	worker.Release(ctx) // the last hold: the lock is free
	_, err = mod.Inspect(ctx, "deploy")
	fmt.Println(errors.Is(err, distlock.ErrNotHeld))
	// Output:
	// holds: 2
	// true
}

// Fences grow with every new acquisition, so a storage system can refuse
// writes from a holder whose lock expired and was taken over.
func ExampleLock_Fence() {
	mod, done := openExample(distlock.Config{})
	defer done()
	ctx := context.Background()

	first := mod.Get("ledger")
	first.Acquire(ctx)
	a := first.Fence()
	first.Release(ctx)

	second := mod.Get("ledger")
	second.Acquire(ctx)
	fmt.Println(second.Fence() > a)
	second.Release(ctx)
	// Output: true
}

func ExampleKey() {
	fmt.Println(distlock.Key("tenant", "acme:eu", "invoice", "42"))
	fmt.Println(distlock.Key("a:b") == distlock.Key("a", "b"))
	// Output:
	// tenant:acme\:eu:invoice:42
	// false
}

func ExampleParseMaxTime() {
	for _, s := range []string{"90s", "30 seconds", "2h", "1d", "1 hour 30 minutes"} {
		d, err := distlock.ParseMaxTime(s)
		fmt.Println(d, err)
	}
	// Output:
	// 1m30s <nil>
	// 30s <nil>
	// 2h0m0s <nil>
	// 24h0m0s <nil>
	// 1h30m0s <nil>
}

// A lock whose work is short gets a short lease of its own, so that a
// crashed holder blocks it for seconds, not for the Module's MaxTime.
func ExampleWithMaxTime() {
	mod, done := openExample(distlock.Config{MaxTime: time.Hour})
	defer done()
	ctx := context.Background()

	l := mod.Get("cache-refresh", distlock.WithMaxTime(10*time.Second))
	if err := l.Acquire(ctx); err != nil {
		log.Fatal(err)
	}
	info, err := mod.Inspect(ctx, "cache-refresh")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("expires within 10s:", info.Remaining <= 10*time.Second)
	if err := l.Release(ctx); err != nil {
		log.Fatal(err)
	}
	// Output: expires within 10s: true
}
