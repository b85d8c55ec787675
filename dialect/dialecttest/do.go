package dialecttest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// Do keeps the lock through several MaxTimes and releases it at the end.
func testDoKeepsAlive(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: short})
	other := b.peer(t, distlock.Config{})
	name := uniqueName("do")
	var fence int64
	err := b.mod.Get(name).Do(b.ctx, func(ctx context.Context) error {
		deadline := time.Now().Add(3 * short)
		for time.Now().Before(deadline) {
			if _, err := other.TryAcquire(ctx, name); !errors.Is(err, distlock.ErrNotAcquired) {
				return fmt.Errorf("lock taken while Do ran: %v", err)
			}
			info, err := other.Inspect(ctx, name)
			if err != nil {
				return err
			}
			fence = info.Fence
			time.Sleep(short / 8)
		}
		return ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Inspect(b.ctx, name); !errors.Is(err, distlock.ErrNotHeld) {
		t.Fatalf("lock not released after Do: %v", err)
	}
	if fence == 0 {
		t.Fatal("fn never ran")
	}
}

// When the lock is lost while fn runs, fn's context is cancelled with
// cause ErrLost and Do reports ErrLost.
func testDoLost(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: short})
	name := uniqueName("lost")
	var cause error
	err := b.mod.Get(name).Do(b.ctx, func(ctx context.Context) error {
		// Someone with access to the table deletes the lock.
		b.exec(t, fmt.Sprintf("DELETE FROM %s WHERE name = '%s'", b.table, name))
		select {
		case <-ctx.Done():
			cause = context.Cause(ctx)
			return nil
		case <-time.After(5 * short):
			return errors.New("fn's context was not cancelled after the lock was lost")
		}
	})
	if !errors.Is(err, distlock.ErrLost) {
		t.Fatalf("Do: got %v, want ErrLost", err)
	}
	if !errors.Is(cause, distlock.ErrLost) {
		t.Fatalf("fn's context cause: got %v, want ErrLost", cause)
	}
}

func testDoReturnsFnError(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	name := uniqueName("fnerr")
	boom := errors.New("boom")
	l := b.mod.Get(name)
	if err := l.Do(b.ctx, func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Do: got %v, want fn's error", err)
	}
	if _, err := b.mod.Inspect(b.ctx, name); !errors.Is(err, distlock.ErrNotHeld) {
		t.Fatalf("lock not released after fn failed: %v", err)
	}
	// Do on a handle that already holds the lock re-enters and gives back
	// only its own hold.
	if err := l.Acquire(b.ctx); err != nil {
		t.Fatal(err)
	}
	err := l.Do(b.ctx, func(ctx context.Context) error {
		if info, err := b.mod.Inspect(ctx, name); err != nil || info.Holds != 2 {
			return fmt.Errorf("inside a re-entering Do: %+v, %v", info, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if info, err := b.mod.Inspect(b.ctx, name); err != nil || info.Holds != 1 {
		t.Fatalf("after a re-entering Do: %+v, %v; want the outer hold kept", info, err)
	}
}

// When the keep-alive cannot reach the database, fn's context is
// cancelled with ErrLost while the lock is still held, before anyone else
// could take it: the holder stops in time.
func testDoLostBeforeExpiry(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: short})
	db := b.open(t)
	m := b.module(t, db, distlock.Config{MaxTime: short})
	name := uniqueName("unreachable")
	var stillHeld bool
	var cause error
	err := m.Get(name).Do(b.ctx, func(ctx context.Context) error {
		db.Close() // every extend fails from now on, with a connection error
		select {
		case <-ctx.Done():
		case <-time.After(3 * short):
			return errors.New("fn's context was not cancelled")
		}
		cause = context.Cause(ctx)
		_, err := b.mod.Inspect(b.ctx, name)
		stillHeld = err == nil
		return nil
	})
	if !errors.Is(err, distlock.ErrLost) || !errors.Is(cause, distlock.ErrLost) {
		t.Fatalf("Do: got %v (cause %v), want ErrLost", err, cause)
	}
	if !stillHeld {
		t.Fatal("fn's context was cancelled only after the lock had expired")
	}
}
