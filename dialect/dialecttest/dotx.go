package dialecttest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// ReleaseTx takes effect only when its transaction commits: a rollback
// leaves the handle holding the lock, usable as before; a commit releases
// one hold, which the handle learns at its next operation. In a guarded
// transaction, a lease that ran out meanwhile is still released.
func testReleaseTx(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: short})
	other := b.peer(t, distlock.Config{})
	name := uniqueName("reltx")
	l := b.mod.Get(name)
	for range 2 { // two holds
		if err := l.Acquire(b.ctx); err != nil {
			t.Fatal(err)
		}
	}
	releaseIn := func(commit bool) {
		t.Helper()
		tx, err := b.raw.BeginTx(b.ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.ReleaseTx(b.ctx, tx); err != nil {
			tx.Rollback()
			t.Fatalf("ReleaseTx: %v", err)
		}
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	holds := func() int {
		t.Helper()
		info, err := other.Inspect(b.ctx, name)
		if errors.Is(err, distlock.ErrNotHeld) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		return info.Holds
	}

	releaseIn(false)
	if n := holds(); n != 2 {
		t.Fatalf("after a rolled-back ReleaseTx: %d holds, want 2", n)
	}
	if err := l.Extend(b.ctx); err != nil {
		t.Fatalf("Extend after a rolled-back ReleaseTx: %v", err)
	}
	releaseIn(true)
	if n := holds(); n != 1 {
		t.Fatalf("after a committed ReleaseTx: %d holds, want 1", n)
	}
	releaseIn(false)
	if ok, err := other.Get(name).TryAcquire(b.ctx); err != nil || ok {
		t.Fatalf("TryAcquire after a rolled-back last ReleaseTx: %v, %v; want held", ok, err)
	}
	releaseIn(true)
	if n := holds(); n != 0 {
		t.Fatalf("after the last committed ReleaseTx: %d holds, want free", n)
	}
	if err := l.Extend(b.ctx); !errors.Is(err, distlock.ErrExpired) {
		t.Fatalf("Extend after a committed release: %v, want ErrExpired", err)
	}
	if l.Token() != "" {
		t.Fatal("the handle kept its token after learning of the release")
	}

	// Guarded, past the lease: the acquisition still holds until the
	// transaction ends. Unguarded, it does not.
	long := b.module(t, b.db, distlock.Config{MaxTime: time.Minute}) // a far bound
	for _, guard := range []bool{false, true} {
		t.Run(fmt.Sprintf("guarded=%v", guard), func(t *testing.T) {
			name := uniqueName("reltx-late")
			l := b.mod.Get(name)
			if err := l.Acquire(b.ctx); err != nil {
				t.Fatal(err)
			}
			g := long.Attach(name, l.Token())
			tx, err := b.deferredPool(t).BeginTx(b.ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if guard {
				if err := g.Guard(b.ctx, tx); err != nil {
					t.Fatal(err)
				}
			}
			waitExpired(t, b.ctx, other, name)
			err = g.ReleaseTx(b.ctx, tx)
			if guard && err != nil {
				t.Fatalf("ReleaseTx in a guarded transaction past the lease: %v", err)
			}
			if !guard && !errors.Is(err, distlock.ErrExpired) {
				t.Fatalf("ReleaseTx of an expired lease, unguarded: %v, want ErrExpired", err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// DoTx commits fn's writes and the release together, and rolls both back
// when fn fails or panics (the lock is then released outside).
func testDoTx(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	data := b.dataTable(t)
	m := b.callerModule(t, distlock.Config{})
	other := b.peer(t, distlock.Config{})
	boom := errors.New("boom")
	cases := []struct {
		name    string
		fail    func() error // after the write; nil: commit
		reenter bool
	}{
		{"Commit", nil, false},
		{"Error", func() error { return boom }, false},
		{"Panic", func() error { panic(boom) }, false},
		{"Reentered", nil, true},
	}
	for k, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := uniqueName("dotx")
			l := m.Get(name)
			if tc.reenter {
				if err := l.Acquire(b.ctx); err != nil {
					t.Fatal(err)
				}
			}
			var fence int64
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil && p != boom {
						panic(p)
					}
				}()
				err = l.DoTx(b.ctx, func(ctx context.Context, tx *sql.Tx) error {
					fence = l.Fence()
					if _, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (k, v) VALUES (%d, %d)", data, k, fence)); err != nil {
						return err
					}
					// Not visible outside yet, and the lock is held.
					if _, ok := value(t, ctx, b.raw, data, k); ok {
						return errors.New("the write is visible before the commit")
					}
					if info, err := other.Inspect(ctx, name); err != nil || info.Fence != fence {
						return fmt.Errorf("inside DoTx: %+v, %v", info, err)
					}
					if tc.fail != nil {
						return tc.fail()
					}
					return nil
				})
			}()
			v, written := value(t, b.ctx, b.raw, data, k)
			info, ierr := other.Inspect(b.ctx, name)
			switch {
			case tc.fail == nil && err != nil:
				t.Fatalf("DoTx: %v", err)
			case tc.fail != nil && tc.name == "Error" && !errors.Is(err, boom):
				t.Fatalf("DoTx: %v, want fn's error", err)
			case tc.fail == nil && (!written || v != int(fence)):
				t.Fatalf("the write of a committed DoTx: %d, %v; want %d", v, written, fence)
			case tc.fail != nil && written:
				t.Fatal("the write of a failed DoTx is there")
			case tc.reenter && (ierr != nil || info.Holds != 1):
				t.Fatalf("after a re-entering DoTx: %+v, %v; want the outer hold kept", info, ierr)
			case !tc.reenter && !errors.Is(ierr, distlock.ErrNotHeld):
				t.Fatalf("after DoTx the lock is %+v, %v; want free", info, ierr)
			case !tc.reenter && l.Token() != "":
				t.Fatal("after DoTx the handle still has a token")
			}
		})
	}
}

// Modules on separate pools and goroutines within each increment a
// counter row by read-modify-write inside DoTx: none is lost.
func testDoTxExclusion(t *testing.T, h Harness) {
	const modules, workers, rounds = 3, 2, 6
	b := setup(t, h, distlock.Config{})
	data := b.dataTable(t)
	b.exec(t, "INSERT INTO "+data+" (k, v) VALUES (1, 0)")
	name := uniqueName("dotx-mutex")
	var mods []*distlock.Module
	for len(mods) < modules {
		mods = append(mods, b.callerModule(t, distlock.Config{RetryInterval: 5 * time.Millisecond}))
	}
	failures := make(chan error, modules*workers)
	var wg sync.WaitGroup
	for _, m := range mods {
		for range workers {
			wg.Go(func() {
				for range rounds {
					err := m.Get(name).DoTx(b.ctx, func(ctx context.Context, tx *sql.Tx) error {
						var v int
						if err := tx.QueryRowContext(ctx, "SELECT v FROM "+data+" WHERE k = 1").Scan(&v); err != nil {
							return err
						}
						time.Sleep(time.Millisecond)
						_, err := tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET v = %d WHERE k = 1", data, v+1))
						return err
					})
					if err != nil {
						failures <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
	if v, _ := value(t, b.ctx, b.raw, data, 1); v != modules*workers*rounds {
		t.Fatalf("counter = %d, want %d: an update was lost", v, modules*workers*rounds)
	}
}

// A DoTx whose fn is held up past the bound of its guarded transaction
// (MaxTime after Guard: a holder paused past its lease) and then writes
// commits nothing: its ctx ends with cause ErrLost, its transaction is
// ended, DoTx's error matches ErrLost, and the lock is free again.
func testDoTxOverrun(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: short})
	data := b.dataTable(t)
	name := uniqueName("dotx-overrun")
	var cause error
	err := b.callerModule(t, distlock.Config{MaxTime: short}).Get(name).DoTx(b.ctx, func(ctx context.Context, tx *sql.Tx) error {
		time.Sleep(short + short/2) // paused, not watching ctx
		cause = context.Cause(ctx)
		_, err := tx.ExecContext(context.Background(), "INSERT INTO "+data+" (k, v) VALUES (1, 1)")
		return err
	})
	if !errors.Is(err, distlock.ErrLost) || !errors.Is(cause, distlock.ErrLost) {
		t.Fatalf("DoTx: %v (fn's ctx: %v); want ErrLost", err, cause)
	}
	if _, ok := value(t, b.ctx, b.raw, data, 1); ok {
		t.Fatal("the write of a DoTx past its bound was committed")
	}
	if _, err := b.mod.Inspect(b.ctx, name); !errors.Is(err, distlock.ErrNotHeld) {
		t.Fatalf("after DoTx: %v, want the lock free", err)
	}
}
