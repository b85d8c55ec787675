package dialecttest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
)

// awaitNil waits up to 10 s for the error on ch: it fails the test with
// what when that error is not nil, and with late when none comes.
func awaitNil(t *testing.T, ch <-chan error, what, late string) {
	t.Helper()
	select {
	case err := <-ch:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal(late)
	}
}

// waitersBecome polls Inspect until the lock name has n waiters in line,
// failing the test after 10 s.
func (b *bundle) waitersBecome(t *testing.T, name string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := b.mod.Inspect(b.ctx, name)
		if err == nil && info.Waiters == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: want %d waiters in line, have %+v, %v", name, n, info, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Waiters get the lock in the order they came, across Modules.
// acquires matches the statements of acquire attempts: the upserts into
// the lock table, and MySQL's UPDATE of a row it has seen (whose first
// assignment decides holds by the row's expiry).
func (b *bundle) acquires() *regexp.Regexp {
	q := `["` + "`" + `]`
	return regexp.MustCompile(`INSERT INTO ` + q + b.table + q + ` |UPDATE ` + q + b.table + q + ` SET\s+holds = CASE WHEN expires_at`)
}

func testLineIsFIFO(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	mods := []*distlock.Module{b.peer(t, distlock.Config{}), b.peer(t, distlock.Config{})}
	name := uniqueName("fifo")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			err := mods[i%2].Get(name).Do(b.ctx, func(context.Context) error {
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				return nil
			})
			if err != nil {
				errs <- err
			}
		})
		b.waitersBecome(t, name, i+1) // i is in line before i+1 comes
	}
	if err := b.mod.Release(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, w := range order {
		if w != i {
			t.Fatalf("waiters got the lock in the order %v, want the order they came in", order)
		}
	}
}

// A release wakes one waiter, not all: with many waiters of one Module in
// line, one of them (at most a second, racing) attempts to take the lock
// after the release, not one per waiter.
func testReleaseWakesOne(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	c := b.counting(t, b.acquires())
	m := b.module(t, c.db, distlock.Config{})
	name := uniqueName("wakeone")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	got := make(chan *distlock.Lock, n)
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	for range n {
		go func() {
			l := m.Get(name)
			if l.Acquire(ctx) == nil {
				got <- l
			}
		}()
	}
	b.waitersBecome(t, name, n)
	before := c.statements.Load()
	if err := b.mod.Release(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
	var first *distlock.Lock
	select {
	case first = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no waiter got the lock within 5s of the release")
	}
	sent := c.statements.Load() - before
	if sent > 2 {
		t.Fatalf("%d of %d waiters attempted to take the lock after one release: more than one was woken", sent, n)
	}
	t.Logf("%d waiters: %d attempts from the release to the next acquisition", n, sent)
	cancel()
	first.Release(b.ctx)
}

// A waiter at the head of the line that dies (it can neither renew nor
// leave its place) holds up the lock for less than a second after its
// place lapses: the next waiter takes it.
func testDeadHeadLapses(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	f, db := b.faulty(t)
	dying := b.module(t, db, distlock.Config{})
	next := b.peer(t, distlock.Config{})
	name := uniqueName("deadhead")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	dctx, die := context.WithCancel(b.ctx)
	dead := make(chan error, 1)
	go func() { dead <- dying.Get(name).Acquire(dctx) }()
	b.waitersBecome(t, name, 1)
	got := make(chan time.Time, 1)
	go func() {
		if next.Get(name).Acquire(b.ctx) == nil {
			got <- time.Now()
		}
	}()
	b.waitersBecome(t, name, 2)
	f.setAlways(connDown) // the first waiter's process is cut off
	die()
	<-dead
	died := time.Now()
	if err := b.mod.Release(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-got:
		stall := at.Sub(died)
		t.Logf("the next waiter got the lock %v after the head died", stall)
		if stall > 1500*time.Millisecond {
			t.Fatalf("a dead head held up the lock for %v", stall)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the next waiter did not get the lock within 10s of the head's death")
	}
	f.setAlways(0)
}

// A waiter whose place could not be removed when it took the lock (the
// statement that removes it refused as busy, a deadlock: retryable, so
// nothing happened) still holds the lock, with the token its handle has:
// it releases it, and the lock is free. Where the release grants the lock
// (dialect.Granter), the statement that removes the place may be the
// release's own: refused and retried, it grants the lock all the same.
// Both Modules share the pool that refuses it.
func testTakenDespiteStuckPlace(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: time.Minute})
	f, db := b.faulty(t)
	holding, waiting := b.module(t, db, distlock.Config{MaxTime: time.Minute}), b.module(t, db, distlock.Config{MaxTime: time.Minute})
	name := uniqueName("stuckplace")
	tok, err := holding.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	l := waiting.Get(name)
	got := make(chan error, 1)
	go func() { got <- l.Acquire(ctx) }()
	b.waitersBecome(t, name, 1)
	queue := regexp.MustCompile(`(?is)DELETE\s+FROM\s+\W?` + b.table + `_queue\b`)
	f.refuseNext(queue.MatchString, dialect.Classify(dialect.KindRetry, errors.New("injected: deadlock, try again")))
	if err := holding.Release(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("the waiter's Acquire: %v", err)
	}
	// The place may be removed after Acquire returns (a dialect whose
	// acquisition spends the place leaves its deletion for later).
	for deadline := time.Now().Add(5 * time.Second); f.refusing(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no statement removed the place in line")
		}
	}
	info, err := b.mod.Inspect(b.ctx, name)
	if err != nil || info.Fence != l.Fence() || info.Holds != 1 {
		t.Fatalf("after the acquisition: %+v, %v; want the waiter's (fence %d), one hold", info, err, l.Fence())
	}
	b.waitersBecome(t, name, 0)
	if err := l.Release(b.ctx); err != nil {
		t.Fatalf("release by the waiter: %v", err)
	}
	if info, err := b.mod.Inspect(b.ctx, name); !errors.Is(err, distlock.ErrNotHeld) {
		t.Fatalf("after the waiter's release the lock is %+v, %v: held by a token nobody has", info, err)
	}
}

// A waiter behind a lock held for long costs the database little: past
// its first second it sends a few statements a second (renewing its
// place, and reading the lock where the database cannot push releases),
// not hundreds.
func testIdleWaiterIsCheap(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	c := b.counting(t, nil)
	waiting := b.module(t, c.db, distlock.Config{})
	name := uniqueName("idle")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(b.ctx)
	got := make(chan error, 1)
	go func() { got <- waiting.Get(name).Acquire(ctx) }()
	b.waitersBecome(t, name, 1)
	time.Sleep(2 * time.Second) // past the first, hot, second of the wait
	before := c.statements.Load()
	const window = 2 * time.Second
	time.Sleep(window)
	sent := c.statements.Load() - before
	t.Logf("a waiter sent %d statements in %v, %v into its wait", sent, window, 2*time.Second)
	if sent > 100 {
		t.Errorf("a waiter behind a held lock sent %d statements in %v", sent, window)
	}
	cancel()
	<-got
	if err := b.mod.Release(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
}

// A waiter that gives up leaves the line at once: a newcomer can take the
// lock as soon as it is released, and Inspect counts no waiter.
func testGiveUpLeavesLine(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	other := b.peer(t, distlock.Config{})
	name := uniqueName("giveup")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(b.ctx)
	gone := make(chan error, 1)
	go func() { gone <- other.Get(name).Acquire(ctx) }()
	b.waitersBecome(t, name, 1)
	cancel()
	if err := <-gone; !errors.Is(err, distlock.ErrNotAcquired) || !errors.Is(err, context.Canceled) {
		t.Fatalf("a waiter that gave up: %v", err)
	}
	b.waitersBecome(t, name, 0)
	if err := b.mod.Release(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := other.TryAcquire(b.ctx, name); err != nil {
		t.Fatalf("after the only waiter gave up, a newcomer could not take the released lock: %v", err)
	}
}

// While a lock has a live line, a newcomer's TryAcquire does not jump it,
// even when the lock is free for a moment; List and Inspect count the
// waiters.
func testNoJumpingTheLine(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: short})
	other := b.peer(t, distlock.Config{})
	name := uniqueName("nojump")
	if _, err := b.mod.Acquire(b.ctx, name); err != nil { // expires, never released
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	queued := make(chan error, 1)
	go func() { queued <- other.Get(name).Acquire(ctx) }()
	b.waitersBecome(t, name, 1)
	infos, err := b.mod.List(b.ctx)
	if err != nil || len(infos) != 1 || infos[0].Waiters != 1 {
		t.Fatalf("List = %+v, %v; want the lock with 1 waiter", infos, err)
	}
	for deadline := time.Now().Add(3 * short); time.Now().Before(deadline); {
		ok, err := b.mod.Get(name).TryAcquire(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			t.Fatal("a newcomer took the lock while a waiter was in line")
		}
		select {
		case err := <-queued:
			if err != nil {
				t.Fatalf("the waiter in line: %v", err)
			}
			return // it got the lock when the holder expired
		default:
		}
		time.Sleep(short / 20)
	}
	t.Fatalf("the waiter did not get the lock within %v of the holder's expiry", 2*short)
}

// The holder re-enters its lock at once while others wait in line: by
// Acquire, TryAcquire and a Do on its handle. (A re-entry that queued
// behind the line would wait for the holder itself, and lose the lock.)
func testReentryIgnoresLine(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	other := b.peer(t, distlock.Config{})
	name := uniqueName("reenter")
	l := b.mod.Get(name)
	if err := l.Acquire(b.ctx); err != nil {
		t.Fatal(err)
	}
	queued := make(chan error, 1)
	go func() { queued <- other.Get(name).Do(b.ctx, func(context.Context) error { return nil }) }()
	b.waitersBecome(t, name, 1)
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	if err := l.Acquire(ctx); err != nil {
		t.Fatalf("re-entering Acquire with a waiter in line: %v", err)
	}
	if ok, err := l.TryAcquire(ctx); !ok || err != nil {
		t.Fatalf("re-entering TryAcquire with a waiter in line: %v, %v", ok, err)
	}
	err := l.Do(ctx, func(ctx context.Context) error {
		info, err := b.mod.Inspect(ctx, name)
		if err != nil || info.Holds != 4 || info.Waiters != 1 {
			return fmt.Errorf("inside Do: %+v, %v; want 4 holds and the waiter in line", info, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := l.Release(b.ctx); err != nil {
			t.Fatal(err)
		}
	}
	awaitNil(t, queued, "the waiter", "the waiter did not get the lock within 10s of the last release")
}

// A waiting Acquire that finds waiters of its own Module in the lock's
// line joins the line without trying the lock first: the lock is taken,
// and a failed attempt would lock its row and hold up the release that
// hands it on. It still gets the lock in its turn.
func testJoinsLineWithoutTrying(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	c := b.counting(t, b.acquires())
	m := b.module(t, c.db, distlock.Config{})
	name := uniqueName("linefirst")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	first, second := m.Get(name), m.Get(name)
	got := make(chan *distlock.Lock, 2)
	acquire := func(l *distlock.Lock) {
		if err := l.Acquire(b.ctx); err != nil {
			t.Error(err)
		}
		got <- l
	}
	go acquire(first)
	b.waitersBecome(t, name, 1)
	before := c.statements.Load()
	if before == 0 { // the first waiter's attempt that found the lock held
		t.Fatal("the counter saw none of the first waiter's acquire attempts: it counts nothing")
	}
	go acquire(second)
	b.waitersBecome(t, name, 2)
	if n := c.statements.Load() - before; n != 0 {
		t.Errorf("the second waiter sent %d acquire statements before it took its place; want none", n)
	}
	if err := b.mod.Release(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
	for i, want := range []*distlock.Lock{first, second} {
		select {
		case l := <-got:
			if l != want {
				t.Fatalf("turn %d of 2 went to the other waiter: not the order they joined the line in", i+1)
			}
			if err := l.Release(b.ctx); err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("waiter %d of 2 did not get the lock within 10s of its turn", i+1)
		}
	}
}
