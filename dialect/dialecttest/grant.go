package dialecttest

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
)

// Grants (dialect.Granter): the release of a lock with waiters hands it to
// the head of the line in the same statement and commit.

// skipUnlessGrants skips a test of grants on a dialect whose releases
// grant nothing (its waiters take the lock themselves once woken).
func (b *bundle) skipUnlessGrants(t *testing.T) {
	t.Helper()
	if !b.grants(t) {
		t.Skipf("%s releases grant nothing (dialect.Granter): its waiters take the lock themselves", b.h.Dialect.Name())
	}
}

// The last release of a lock with a waiter grants it the lock in the same
// statement and commit: when Release returns, the lock is the waiter's
// (its owner, one hold, a fence above the releaser's, the line empty),
// and the waiter's Acquire returns holding it without sending an acquire
// statement of its own. The grant lasts only as long as the place would
// have, until the waiter makes the lease its own (its pick-up), soon
// after.
func testGrantOnRelease(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	b.skipUnlessGrants(t)
	c := b.counting(t, b.acquires())
	m := b.module(t, c.db, distlock.Config{Owner: "grantee", MaxTime: time.Minute})
	name := uniqueName("grant")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	held, err := b.mod.Inspect(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	l := m.Get(name)
	got := make(chan error, 1)
	go func() { got <- l.Acquire(b.ctx) }()
	b.waitersBecome(t, name, 1)
	before := c.statements.Load()
	if before == 0 { // the waiter's attempt that found the lock held
		t.Fatal("the counter saw none of the waiter's acquire attempts: it counts nothing")
	}
	if err := b.mod.Release(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
	info, err := b.mod.Inspect(b.ctx, name)
	if err != nil || info.Owner != "grantee" || info.Holds != 1 || info.Fence <= held.Fence || info.Waiters != 0 {
		t.Fatalf("as the release returned the lock was %+v, %v; want it granted to the waiter (owner %q, one hold, fence > %d, nobody in line)",
			info, err, "grantee", held.Fence)
	}
	if info.Remaining > 2*time.Second {
		t.Errorf("the grant lasts %v before its pick-up; want no longer than the place would have (about a second)", info.Remaining)
	}
	awaitNil(t, got, "the waiter's Acquire", "the waiter did not return within 10s of the grant")
	if n := c.statements.Load() - before; n != 0 {
		t.Errorf("the waiter sent %d acquire statements after the grant; want none", n)
	}
	if l.Fence() != info.Fence {
		t.Errorf("the waiter's fence is %d; the grant's %d", l.Fence(), info.Fence)
	}
	// The pick-up makes the lease the holder's.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		info, err := b.mod.Inspect(b.ctx, name)
		if err != nil {
			t.Fatalf("before its pick-up the grant lapsed: %v", err)
		}
		if info.Remaining > 30*time.Second && info.MaxTime == time.Minute {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10s after the grant its lease is still the place's: %+v", info)
		}
	}
	if err := l.Release(b.ctx); err != nil {
		t.Fatal(err)
	}
	if info, err := b.mod.Inspect(b.ctx, name); !errors.Is(err, distlock.ErrNotHeld) {
		t.Fatalf("after the grantee's release the lock is %+v, %v", info, err)
	}
}

// A waiter that dies in line after the release granted it the lock, before
// its pick-up (its process killed between the two), holds the lock no
// longer than its place would have lasted: the next waiter takes it then.
func testDeadGranteeLapses(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	b.skipUnlessGrants(t)
	st, err := h.Dialect.Bind(b.db, b.table)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	name := uniqueName("deadgrantee")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	// The dead waiter: a place nobody renews, with a token nobody has.
	const reserve = 500 * time.Millisecond
	if _, err := st.Enqueue(b.ctx, dialect.EnqueueRequest{Name: name, Owner: "dead", Reserve: reserve,
		Hash: make([]byte, 32), TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	next := b.peer(t, distlock.Config{}).Get(name)
	got := make(chan error, 1)
	go func() { got <- next.Acquire(b.ctx) }()
	b.waitersBecome(t, name, 2)
	released := time.Now()
	if err := b.mod.Release(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
	dead, err := b.mod.Inspect(b.ctx, name)
	if err != nil || dead.Owner != "dead" {
		t.Fatalf("as the release returned the lock was %+v, %v; want it granted to the dead waiter (owner %q)", dead, err, "dead")
	}
	awaitNil(t, got, "the next waiter's Acquire", "the next waiter did not get the lock within 10s: the dead waiter's grant did not lapse")
	stall := time.Since(released)
	t.Logf("the dead grantee stalled the lock %v (its place had at most %v left)", stall.Round(time.Millisecond), reserve)
	if stall > reserve+time.Second {
		t.Errorf("the dead grantee stalled the lock %v; want no more than its place's %v, and a second to notice", stall, reserve)
	}
	if next.Fence() <= dead.Fence {
		t.Errorf("the next waiter's fence is %d; the dead grantee's was %d", next.Fence(), dead.Fence)
	}
	next.Release(b.ctx)
}

// A waiter that gives up (its ctx ends) just as a release grants it the
// lock, before it learns of the grant, gives the lock back: the next
// waiter gets it before the grant would have lapsed.
func testGiveUpRacingGrant(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	b.skipUnlessGrants(t)
	f, db := b.faulty(t)
	leaving := b.module(t, db, distlock.Config{Owner: "leaving"})
	name := uniqueName("giveupgrant")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	gaveUp := make(chan error, 1)
	go func() { gaveUp <- leaving.Get(name).Acquire(ctx) }()
	b.waitersBecome(t, name, 1)
	next := b.peer(t, distlock.Config{}).Get(name)
	got := make(chan error, 1)
	go func() { got <- next.Acquire(b.ctx) }()
	b.waitersBecome(t, name, 2)
	// The leaving waiter can no longer read how its line stands (the
	// count of places ahead, in its polls and renewals): it cannot learn
	// of the grant. Its other statements still run.
	line := regexp.MustCompile(`(?i)count\(\*\)\s+FROM\s+\W?` + b.table + `_queue\b`)
	f.refuseAll(line.MatchString, dialect.Classify(dialect.KindUnavailable, errors.New("injected: the server cannot serve this now")))
	if err := b.mod.Release(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	info, err := b.mod.Inspect(b.ctx, name)
	if err != nil || info.Owner != "leaving" {
		t.Fatalf("as the release returned the lock was %+v, %v; want it granted to the leaving waiter", info, err)
	}
	lapse := sent.Add(info.Remaining) // the grant expires no sooner
	cancel()
	if err := <-gaveUp; !errors.Is(err, distlock.ErrNotAcquired) || !errors.Is(err, context.Canceled) {
		t.Fatalf("the waiter that gave up: %v; want ErrNotAcquired and context.Canceled", err)
	}
	awaitNil(t, got, "the next waiter's Acquire", "the next waiter did not get the lock within 10s")
	f.refuseAll(func(string) bool { return false }, nil) // its place may go now
	if at := time.Now(); !at.Before(lapse) {
		t.Errorf("the next waiter got the lock %v after the grant to the leaving waiter could lapse: it was not given back",
			at.Sub(lapse).Round(time.Millisecond))
	}
	if next.Fence() <= info.Fence {
		t.Errorf("the next waiter's fence is %d; the leaving waiter's grant was %d", next.Fence(), info.Fence)
	}
	next.Release(b.ctx)
}
