package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/dialect/sqlite"
	"github.com/distlock/distlock/distlock"
)

// With no busy timeout on the connections, SQLite answers SQLITE_BUSY at
// once whenever two connections write together. distlock retries those
// itself: callers only ever see success or ErrNotAcquired.
func TestBusyNeverSurfaces(t *testing.T) {
	t.Parallel()
	const pools, workers, rounds = 4, 4, 20
	path := filepath.Join(t.TempDir(), "busy.db")
	ctx := t.Context()

	var mods []*distlock.Module
	for i := range pools {
		db, err := sql.Open(sqlite.DriverName, "file:"+path) // no busy_timeout
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		m, err := distlock.New(db, sqlite.Dialect(), distlock.Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		if i == 0 {
			if err := m.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		mods = append(mods, m)
	}

	var acquired, refused atomic.Int64
	errs := make(chan error, pools*workers)
	var wg sync.WaitGroup
	for p, m := range mods {
		for w := range workers {
			wg.Go(func() {
				for r := range rounds {
					name := fmt.Sprintf("shared-%d", r%3)
					if r%2 == 0 {
						name = fmt.Sprintf("own-%d-%d-%d", p, w, r)
					}
					tok, err := m.TryAcquire(ctx, name)
					if errors.Is(err, distlock.ErrNotAcquired) {
						refused.Add(1)
						continue
					}
					if err == nil {
						acquired.Add(1)
						err = m.Release(ctx, name, tok)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("an error reached the caller: %v", err)
	}
	if acquired.Load() < pools*workers*rounds/2 {
		t.Fatalf("only %d acquisitions succeeded (%d refused)", acquired.Load(), refused.Load())
	}
	t.Logf("%d acquired, %d refused as held", acquired.Load(), refused.Load())
}

// The precondition of the test above: such connections do get SQLITE_BUSY.
func TestBusyHappensWithoutTimeout(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "raw.db")
	setup, err := sqlite.Open(path) // WAL
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	if _, err := setup.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	a, _ := sql.Open(sqlite.DriverName, "file:"+path)
	b, _ := sql.Open(sqlite.DriverName, "file:"+path)
	defer a.Close()
	defer b.Close()
	tx, err := a.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("INSERT INTO t VALUES (1)"); err != nil { // holds the write lock
		t.Fatal(err)
	}
	if _, err := b.Exec("INSERT INTO t VALUES (2)"); err == nil {
		t.Fatal("a second writer succeeded while the first held the write lock")
	}
}

// The writes of one Store take turns: goroutines sharing it never collide
// on SQLite's write lock, even with no busy timeout at all, so none of
// them waits in SQLite's busy handler (which sleeps up to 100ms a time and
// let a vacuum starve acquisitions for seconds). Store methods do not
// retry, so a collision would surface here as an error.
func TestStoreWritesTakeTurns(t *testing.T) {
	t.Parallel()
	const workers, rounds = 8, 40
	db, err := sql.Open(sqlite.DriverName, "file:"+filepath.Join(t.TempDir(), "turns.db")+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := sqlite.Dialect().Bind(db, "turns")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := t.Context()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	errs := make(chan error, workers+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			hash := make([]byte, 32)
			hash[0] = byte(w)
			for r := range rounds {
				name := fmt.Sprintf("w%d-%d", w, r%5)
				res, err := st.Acquire(ctx, dialect.AcquireRequest{Name: name, NewHash: hash, TTL: time.Minute})
				if err == nil && !res.Acquired {
					err = fmt.Errorf("%s: not acquired", name)
				}
				if err == nil {
					_, _, err = st.Release(ctx, name, hash)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	done := make(chan struct{})
	var vacuum sync.WaitGroup
	vacuum.Go(func() { // vacuum all along
		for after := ""; ; {
			select {
			case <-done:
				return
			default:
			}
			_, next, err := st.VacuumBatch(ctx, after, 3)
			if err != nil {
				errs <- fmt.Errorf("vacuum: %w", err)
				return
			}
			after = next
		}
	})
	wg.Wait()
	close(done)
	vacuum.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a write collided: %v", err)
	}
}
