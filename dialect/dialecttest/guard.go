package dialecttest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// dataTable creates the table of a test's guarded writes, in the lock
// table's database: rows (k, v).
func (b *bundle) dataTable(t *testing.T) string {
	t.Helper()
	name := b.table + "_data"
	b.exec(t, "CREATE TABLE "+name+" (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
	return name
}

// value reads v of row k of a data table through db; ok is false when
// there is no such row.
func value(t *testing.T, ctx context.Context, db *sql.DB, table string, k int) (v int, ok bool) {
	t.Helper()
	err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT v FROM %s WHERE k = %d", table, k)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false
	}
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	return v, true
}

// deferredPool returns a pool on the test's database whose transactions do
// not take SQLite's write lock at BEGIN (the harness's DSN may ask for
// BEGIN IMMEDIATE), so that only Guard can make them writers. Other
// databases' DSNs are left alone. Like the pool of an application's own
// SQL, it is pooler-safe behind a pooler (Harness.RawDSN).
func (b *bundle) deferredPool(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open(b.h.DriverName, strings.Replace(b.rawDSN(), "_txlock=immediate", "_txlock=deferred", 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// waitExpired waits until the lock name is free by the database's clock.
func waitExpired(t *testing.T, ctx context.Context, m *distlock.Module, name string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		_, err := m.Inspect(ctx, name)
		if errors.Is(err, distlock.ErrNotHeld) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still held after 10s", name)
		}
	}
}

// A takeover attempted while a guarded transaction is open, past the
// lease's expiry, completes only after that transaction commits, and the
// guarded write is there: the holder that was paused past its lease still
// wrote under the lock.
func testGuardHoldsOffTakeover(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: short})
	data := b.dataTable(t)
	db := b.deferredPool(t)
	// The guarding handle's Module has a long MaxTime, so that the bound
	// of its transaction is far away: the test ends the transaction.
	guarding := b.module(t, db, distlock.Config{MaxTime: time.Minute})
	taker := b.peer(t, distlock.Config{RetryInterval: 10 * time.Millisecond})
	name := uniqueName("guard")

	l := b.mod.Get(name)
	if err := l.Acquire(b.ctx); err != nil {
		t.Fatal(err)
	}
	g := guarding.Attach(name, l.Token())
	tx, err := db.BeginTx(b.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := g.Guard(b.ctx, tx); err != nil {
		t.Fatalf("Guard of a held lock: %v", err)
	}
	waitExpired(t, b.ctx, taker, name) // the holder is "paused" past its lease

	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	took := make(chan error, 1)
	lt := taker.Get(name)
	go func() { took <- lt.Acquire(ctx) }()
	select {
	case err := <-took:
		t.Fatalf("the lock was taken over while a guarded transaction was open (err %v)", err)
	case <-time.After(short / 2):
	}
	if _, err := tx.ExecContext(b.ctx, fmt.Sprintf("INSERT INTO %s (k, v) VALUES (1, %d)", data, l.Fence())); err != nil {
		t.Fatalf("write in the guarded transaction: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit of the guarded transaction: %v", err)
	}
	if err := <-took; err != nil {
		t.Fatalf("takeover after the commit: %v", err)
	}
	defer lt.Release(b.ctx)
	if v, ok := value(t, b.ctx, b.raw, data, 1); !ok || v != int(l.Fence()) {
		t.Fatalf("guarded write: %d, %v; want %d", v, ok, l.Fence())
	}
	if lt.Fence() <= l.Fence() {
		t.Fatalf("takeover fence %d not above the guarded %d", lt.Fence(), l.Fence())
	}
}

// Guard fails when the handle's acquisition no longer holds the lock,
// judged by the database's clock when Guard runs (not when the
// transaction began: PostgreSQL's now() would still see the lock held),
// and the caller's writes roll back.
func testGuardRefuses(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: short / 4})
	data := b.dataTable(t)
	other := b.peer(t, distlock.Config{})
	cases := []struct {
		name string
		want error
	}{
		{"ExpiredAfterBegin", distlock.ErrExpired},
		{"TakenOver", distlock.ErrExpired},
		{"Released", distlock.ErrExpired},       // through another handle on the token
		{"ReleasedHandle", distlock.ErrNotHeld}, // the handle that released
		{"NeverHeld", distlock.ErrNotHeld},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := uniqueName("refuse")
			l := b.mod.Get(name)
			if tc.name != "NeverHeld" {
				if err := l.Acquire(b.ctx); err != nil {
					t.Fatal(err)
				}
			}
			g := b.mod.Attach(name, l.Token())
			tx, err := b.deferredPool(t).BeginTx(b.ctx, nil) // while the lock is held
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			switch tc.name {
			case "ExpiredAfterBegin":
				waitExpired(t, b.ctx, other, name)
			case "TakenOver":
				waitExpired(t, b.ctx, other, name)
				if _, err := other.Acquire(b.ctx, name); err != nil {
					t.Fatal(err)
				}
			case "Released", "ReleasedHandle":
				if err := l.Release(b.ctx); err != nil {
					t.Fatal(err)
				}
			}
			if tc.name == "ReleasedHandle" || tc.name == "NeverHeld" {
				g = l
			}
			if _, err := tx.ExecContext(b.ctx, fmt.Sprintf("INSERT INTO %s (k, v) VALUES (%d, 1)", data, i)); err != nil {
				t.Fatal(err)
			}
			if err := g.Guard(b.ctx, tx); !errors.Is(err, tc.want) {
				t.Fatalf("Guard: %v; want %v", err, tc.want)
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			if _, ok := value(t, b.ctx, b.raw, data, i); ok {
				t.Fatal("the write of a refused transaction is there")
			}
		})
	}
}

// A guarded transaction left open holds off a takeover for at most
// MaxTime after its Guard: then it is ended, not committed, and its write
// is not there.
func testGuardBound(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: short})
	data := b.dataTable(t)
	db := b.deferredPool(t)
	holder := b.module(t, db, distlock.Config{MaxTime: short})
	taker := b.peer(t, distlock.Config{RetryInterval: 10 * time.Millisecond})
	name := uniqueName("bound")

	l := holder.Get(name)
	if err := l.Acquire(b.ctx); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(b.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	guarded := time.Now()
	if err := l.Guard(b.ctx, tx); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(b.ctx, fmt.Sprintf("INSERT INTO %s (k, v) VALUES (1, 1)", data)); err != nil {
		t.Fatal(err)
	}
	// The holder hangs: it never commits. A takeover comes within the bound.
	ctx, cancel := context.WithTimeout(b.ctx, 20*short)
	defer cancel()
	lt := taker.Get(name)
	if err := lt.Acquire(ctx); err != nil {
		t.Fatalf("takeover behind a hung guarded transaction: %v", err)
	}
	defer lt.Release(b.ctx)
	waited := time.Since(guarded)
	const slack = short / 2 // a waiter's poll, a busy handler's sleep
	if waited > short+slack {
		t.Fatalf("the takeover waited %v after Guard; the bound is MaxTime (%v)", waited, short)
	}
	t.Logf("takeover %v after Guard (MaxTime %v)", waited.Round(time.Millisecond), short)
	if err := tx.Commit(); err == nil {
		t.Fatal("the guarded transaction committed after its bound")
	}
	if _, ok := value(t, b.ctx, b.raw, data, 1); ok {
		t.Fatal("the write of the transaction ended at its bound is there")
	}
}

// A guarded transaction whose lease ran out holds up only its own lock:
// a Vacuum that meets its row neither deletes it nor keeps other expired
// locks of its batch from being taken, and completes once the transaction
// ends. (On SQLite the guarded transaction holds the database's only
// write lock, so every writer waits for it: nothing to test.)
func testVacuumBesideGuard(t *testing.T, h Harness) {
	if h.Dialect.Name() == "sqlite" {
		t.Skip("SQLite: a guarded transaction holds off every writer of the database, as documented")
	}
	b := setup(t, h, distlock.Config{MaxTime: short / 4})
	db := b.deferredPool(t)
	long := b.module(t, db, distlock.Config{MaxTime: time.Minute})
	other := b.peer(t, distlock.Config{RetryInterval: 5 * time.Millisecond})
	suffix := randomHex(3)
	names := []string{"a-" + suffix, "b-" + suffix, "c-" + suffix} // b is guarded, in the middle of the batch
	for _, n := range names {
		if _, err := b.mod.Acquire(b.ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	l := b.mod.Get(names[1])
	if err := l.Acquire(b.ctx); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(b.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := long.Attach(names[1], l.Token()).Guard(b.ctx, tx); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		waitExpired(t, b.ctx, other, n)
	}
	vacuumed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		defer cancel()
		_, err := other.Vacuum(ctx)
		vacuumed <- err
	}()
	time.Sleep(short / 4) // let the vacuum reach the guarded row
	for _, n := range []string{names[0], names[2]} {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		_, err := other.Acquire(ctx, n)
		cancel()
		if err != nil {
			t.Fatalf("acquire of expired %s while a vacuum met a guarded row: %v", n, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	awaitNil(t, vacuumed, "Vacuum", "Vacuum still running 10s after the guarded transaction ended")
}
