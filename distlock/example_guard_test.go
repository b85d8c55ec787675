package distlock_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/distlock/distlock/distlock"
)

// openGuardExample opens a Module and its *sql.DB on a fresh SQLite file,
// with a table of the application's own next to the locks.
func openGuardExample(cfg distlock.Config, schema string) (*distlock.Module, *sql.DB, func()) {
	mod, db, done := openExampleDB(cfg)
	if _, err := db.Exec(schema); err != nil {
		log.Fatal(err)
	}
	return mod, db, done
}

func ExampleLock_Guard() {
	ctx := context.Background()
	mod, db, done := openGuardExample(distlock.Config{MaxTime: 200 * time.Millisecond},
		"CREATE TABLE jobs (id INTEGER PRIMARY KEY, done_by INTEGER)")
	defer done()
	db.Exec("INSERT INTO jobs VALUES (1, 0)")

	// finish marks the job done, in a transaction that commits only while
	// lock is held, and lets the lock go in the same commit.
	finish := func(lock *distlock.Lock) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := lock.Guard(ctx, tx); err != nil {
			return err // ErrExpired: someone else may be doing the job now
		}
		if _, err := tx.Exec("UPDATE jobs SET done_by = ? WHERE id = 1", lock.Fence()); err != nil {
			return err
		}
		if err := lock.ReleaseTx(ctx, tx); err != nil {
			return err
		}
		return tx.Commit()
	}

	slow := mod.Get("job-1")
	slow.Acquire(ctx)
	time.Sleep(300 * time.Millisecond) // paused past its lease
	fmt.Println("slow holder:", errors.Is(finish(slow), distlock.ErrExpired))

	fast := mod.Get("job-1")
	fast.Acquire(ctx)
	fmt.Println("next holder:", finish(fast))
	var doneBy int64
	db.QueryRow("SELECT done_by FROM jobs WHERE id = 1").Scan(&doneBy)
	fmt.Println("done by term", doneBy)
	// Output:
	// slow holder: true
	// next holder: <nil>
	// done by term 2
}

func ExampleLock_DoTx() {
	ctx := context.Background()
	mod, db, done := openGuardExample(distlock.Config{},
		"CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL)")
	defer done()
	db.Exec("INSERT INTO counters VALUES ('visits', 41)")

	// The increment commits only while the lock is held, together with
	// its release; on an error, both roll back.
	err := mod.Get("counter:visits").DoTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT n FROM counters WHERE name = 'visits'").Scan(&n); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE counters SET n = ? WHERE name = 'visits'", n+1)
		return err
	})
	var n int
	db.QueryRow("SELECT n FROM counters WHERE name = 'visits'").Scan(&n)
	fmt.Println(n, err)
	// Output: 42 <nil>
}

func ExampleModule_Lead() {
	mod, _, done := openGuardExample(distlock.Config{Owner: "node-1"}, "SELECT 1")
	defer done()

	ctx, stop := context.WithCancel(context.Background())
	// Lead campaigns until ctx ends; fn runs while this process leads, and
	// its ctx ends (cause ErrLost) if leadership is lost.
	err := mod.Lead(ctx, "scheduler", func(ctx context.Context, l *distlock.Lock) error {
		leader, _ := mod.Leader(ctx, "scheduler") // what the other candidates see
		fmt.Println("leading: term", l.Fence(), "owner", leader.Owner)
		stop() // for the example: stop campaigning after one term
		return nil
	})
	fmt.Println("stopped:", errors.Is(err, context.Canceled))
	_, err = mod.Leader(context.Background(), "scheduler")
	fmt.Println("leader now:", err)
	// Output:
	// leading: term 1 owner node-1
	// stopped: true
	// leader now: "scheduler": distlock: lock not held
}
