package dialecttest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// A lock not extended expires after MaxTime, by the database's clock, and
// not before.
func testExpiry(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: short})
	other := b.peer(t, distlock.Config{MaxTime: short})
	name := uniqueName("expiry")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	info, err := other.Inspect(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if d := info.ExpiresAt.Sub(info.AcquiredAt); d != short {
		t.Fatalf("stored lifetime %v, want %v", d, short)
	}
	if _, err := other.TryAcquire(b.ctx, name); !errors.Is(err, distlock.ErrNotAcquired) && time.Since(start) < short {
		t.Fatalf("taken before expiry: %v", err)
	}
	time.Sleep(short + 50*time.Millisecond)
	if _, err := other.Inspect(b.ctx, name); !errors.Is(err, distlock.ErrNotHeld) {
		t.Fatalf("Inspect after expiry: got %v, want ErrNotHeld", err)
	}
	if err := b.mod.Extend(b.ctx, name, tok); !errors.Is(err, distlock.ErrExpired) {
		t.Fatalf("Extend after expiry: got %v, want ErrExpired", err)
	}
	if _, err := other.TryAcquire(b.ctx, name); err != nil {
		t.Fatalf("TryAcquire after expiry: %v", err)
	}
	if err := b.mod.Release(b.ctx, name, tok); !errors.Is(err, distlock.ErrExpired) {
		t.Fatalf("Release by the expired holder: got %v, want ErrExpired", err)
	}
	if info, err := other.Inspect(b.ctx, name); err != nil || info.Holds != 1 {
		t.Fatalf("the expired holder's Release touched the new holder: %+v, %v", info, err)
	}
}

// Extend pushes the expiry MaxTime past now, again and again.
func testExtendKeepsLock(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: short})
	other := b.peer(t, distlock.Config{})
	name := uniqueName("extend")
	l := b.mod.Get(name)
	if err := l.Acquire(b.ctx); err != nil {
		t.Fatal(err)
	}
	first, _ := b.mod.Inspect(b.ctx, name)
	for range 6 { // 6 × short/3 = twice MaxTime in all
		time.Sleep(short / 3)
		if err := l.Extend(b.ctx); err != nil {
			t.Fatalf("Extend: %v", err)
		}
		if _, err := other.TryAcquire(b.ctx, name); !errors.Is(err, distlock.ErrNotAcquired) {
			t.Fatalf("an extended lock was taken: %v", err)
		}
	}
	last, err := b.mod.Inspect(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if !last.ExpiresAt.After(first.ExpiresAt) || !last.AcquiredAt.Equal(first.AcquiredAt) || last.Fence != first.Fence {
		t.Fatalf("after Extend: %+v; before: %+v; want a later expiry, same acquisition", last, first)
	}
}

// Once a token's acquisition has expired, the token is dead for good: a
// handle that re-acquires gets a new token, and the old one cannot release
// or extend the new acquisition.
func testExpiredTokenNotReused(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: short})
	name := uniqueName("reuse")
	l := b.mod.Get(name)
	if err := l.Acquire(b.ctx); err != nil {
		t.Fatal(err)
	}
	old, oldFence := l.Token(), l.Fence()
	time.Sleep(short + 50*time.Millisecond)
	if err := l.Acquire(b.ctx); err != nil {
		t.Fatal(err)
	}
	if l.Token() == old {
		t.Fatal("a handle re-acquiring after expiry kept its dead token")
	}
	if l.Fence() <= oldFence {
		t.Fatalf("fence %d after expiry, want > %d", l.Fence(), oldFence)
	}
	if info, _ := b.mod.Inspect(b.ctx, name); info.Holds != 1 {
		t.Fatalf("holds = %d after re-acquiring an expired lock, want 1", info.Holds)
	}
	if err := b.mod.Release(b.ctx, name, old); !errors.Is(err, distlock.ErrExpired) {
		t.Fatalf("Release with the dead token: got %v, want ErrExpired", err)
	}
	if ok, err := b.mod.Attach(name, old).TryAcquire(b.ctx); ok || err != nil {
		t.Fatalf("TryAcquire with the dead token = %v, %v; want false", ok, err)
	}
}

// Every new acquisition of a name gets a greater fence: after release,
// after expiry, and after vacuum has deleted the row.
func testFenceMonotonic(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: short})
	other := b.peer(t, distlock.Config{MaxTime: short})
	name := uniqueName("fence")
	var last int64
	next := func(how string, m *distlock.Module) *distlock.Lock {
		t.Helper()
		l := m.Get(name)
		if err := l.Acquire(b.ctx); err != nil {
			t.Fatal(err)
		}
		if l.Fence() <= last {
			t.Fatalf("fence %d after %s, want > %d", l.Fence(), how, last)
		}
		last = l.Fence()
		return l
	}
	l := next("first acquisition", b.mod)
	if err := l.Release(b.ctx); err != nil {
		t.Fatal(err)
	}
	l = next("release", other)
	time.Sleep(short + 50*time.Millisecond)
	l = next("expiry", b.mod)
	if err := l.Release(b.ctx); err != nil {
		t.Fatal(err)
	}
	n, err := other.Vacuum(b.ctx)
	if err != nil || n != 1 {
		t.Fatalf("Vacuum = %d, %v; want 1 row removed", n, err)
	}
	l = next("release and vacuum", other)
	time.Sleep(short + 50*time.Millisecond)
	if n, err := b.mod.Vacuum(b.ctx); err != nil || n != 1 {
		t.Fatalf("Vacuum = %d, %v; want 1 row removed", n, err)
	}
	next("expiry and vacuum", b.mod)
}

// Fences keep rising while Vacuum deletes the rows of released locks
// between acquisitions, from other pools, as fast as it can: each holder
// records its fence while it holds the lock, so the records of one name
// are in holding order.
func testFencesRiseUnderVacuum(t *testing.T, h Harness) {
	const pools, workers, rounds = 3, 2, 25
	b := setup(t, h, distlock.Config{})
	names := []string{uniqueName("vf-a"), uniqueName("vf-b")}
	// One worker takes a name of its own, free between its acquisitions:
	// Vacuum always has its row to remove, however busy the shared ones.
	solo := uniqueName("vf-solo")
	var mu sync.Mutex
	fences := map[string][]int64{}
	errs := make(chan error, pools*workers+1)
	var wg sync.WaitGroup
	for p := range pools {
		m := b.peer(t, distlock.Config{RetryInterval: 5 * time.Millisecond})
		for w := range workers {
			wg.Go(func() {
				for r := range rounds {
					name := names[(w+r)%len(names)]
					if p == 0 && w == 0 {
						name = solo
					}
					l := m.Get(name)
					if err := l.Acquire(b.ctx); err != nil {
						errs <- err
						return
					}
					mu.Lock()
					fences[l.Name()] = append(fences[l.Name()], l.Fence())
					mu.Unlock()
					if err := l.Release(b.ctx); err != nil {
						errs <- err
						return
					}
					// A pause, so that the names are free at times (a
					// release hands a lock with waiters straight on): only
					// then has Vacuum a row to remove.
					time.Sleep(time.Duration(rand.IntN(5000)) * time.Microsecond)
				}
			})
		}
	}
	vacuumer := b.peer(t, distlock.Config{VacuumBatch: 1})
	done := make(chan struct{})
	var removed int64
	var vacuum sync.WaitGroup
	vacuum.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			n, err := vacuumer.Vacuum(b.ctx)
			if err != nil {
				errs <- fmt.Errorf("vacuum: %w", err)
				return
			}
			removed += n
		}
	})
	wg.Wait()
	close(done)
	vacuum.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for name, fs := range fences {
		for i := 1; i < len(fs); i++ {
			if fs[i] <= fs[i-1] {
				t.Errorf("%s: fence %d after %d (acquisition %d of %d)", name, fs[i], fs[i-1], i+1, len(fs))
			}
		}
	}
	if removed == 0 {
		t.Error("Vacuum never removed a row: the test did not exercise it")
	}
	t.Logf("%d rows vacuumed during %d acquisitions", removed, pools*workers*rounds)
}
