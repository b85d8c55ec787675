package dialecttest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// The lock's row remembers each acquisition's lease: Extend and re-entry
// renew that lease, whoever extends (another process whose Module has a
// longer default, the way "distlock extend" runs); a handle made with
// WithMaxTime sets a new one from then on; no extend ever brings the
// expiry closer; Inspect and List show it.
func testLeaseRemembered(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: time.Hour})
	other := b.peer(t, distlock.Config{MaxTime: time.Hour}) // another process, default lease
	name := uniqueName("lease")
	l := b.mod.Get(name, distlock.WithMaxTime(90*time.Second))
	if err := l.Acquire(b.ctx); err != nil {
		t.Fatal(err)
	}
	tok := l.Token()
	// check inspects the lock: its lease, and Remaining in (min, max].
	check := func(step string, lease, min, max time.Duration) {
		t.Helper()
		info, err := other.Inspect(b.ctx, name)
		if err != nil {
			t.Fatalf("%s: Inspect: %v", step, err)
		}
		if info.MaxTime != lease || info.Remaining <= min || info.Remaining > max {
			t.Fatalf("%s: MaxTime %v, Remaining %v; want MaxTime %v, Remaining in (%v, %v]",
				step, info.MaxTime, info.Remaining, lease, min, max)
		}
	}
	check("acquired with WithMaxTime(90s)", 90*time.Second, 80*time.Second, 90*time.Second)

	if err := other.Extend(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
	check("extended by another Module (MaxTime 1h)", 90*time.Second, 80*time.Second, 90*time.Second)

	att := other.Attach(name, tok)
	if err := att.Acquire(b.ctx); err != nil { // re-entry through the token
		t.Fatal(err)
	}
	check("re-entered through Attach", 90*time.Second, 80*time.Second, 90*time.Second)

	if err := other.Attach(name, tok, distlock.WithMaxTime(2*time.Minute)).Extend(b.ctx); err != nil {
		t.Fatal(err)
	}
	check("extended with WithMaxTime(2m)", 2*time.Minute, 110*time.Second, 2*time.Minute)

	if err := other.Attach(name, tok, distlock.WithMaxTime(30*time.Second)).Extend(b.ctx); err != nil {
		t.Fatal(err)
	}
	check("extended with WithMaxTime(30s): the lease changes, the expiry stays", 30*time.Second, 100*time.Second, 2*time.Minute)
	if err := other.Extend(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
	check("extended by another Module again", 30*time.Second, 100*time.Second, 2*time.Minute)
	list, err := other.List(b.ctx)
	if err != nil || len(list) != 1 || list[0].MaxTime != 30*time.Second {
		t.Fatalf("List = %+v, %v; want the lock with MaxTime 30s", list, err)
	}
	if err := l.Extend(b.ctx); err != nil { // made WithMaxTime(90s): sets its own
		t.Fatal(err)
	}
	check("the holder (WithMaxTime(90s)) extends", 90*time.Second, 100*time.Second, 2*time.Minute)
	if err := att.Release(b.ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(b.ctx); err != nil {
		t.Fatal(err)
	}
}

// Do's keep-alive follows a lease that another process sets while fn
// runs: it extends at a third of the new lease, and the lock is never
// free (a handle that kept its own pace and expiry estimate would either
// give up the lock as lost or hold it past its real expiry).
func testDoFollowsLease(t *testing.T, h Harness) {
	const lease, shorter = 3 * time.Second, time.Second
	b := setup(t, h, distlock.Config{MaxTime: lease})
	other := b.peer(t, distlock.Config{})
	name := uniqueName("dolease")
	l := b.mod.Get(name)
	err := l.Do(b.ctx, func(ctx context.Context) error {
		if err := other.Attach(name, l.Token(), distlock.WithMaxTime(shorter)).Extend(ctx); err != nil {
			return err
		}
		until := time.Now().Add(lease + shorter)
		for time.Now().Before(until) {
			if _, err := other.TryAcquire(ctx, name); !errors.Is(err, distlock.ErrNotAcquired) {
				return fmt.Errorf("lock taken while Do ran: %v", err)
			}
			time.Sleep(shorter / 10)
		}
		return ctx.Err()
	})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
}

// A row written before rows remembered their lease (its lease column
// NULL) shows MaxTime 0; the first Extend renews it with the extender's
// lease, which the row then remembers.
func testLeaseOfOlderRows(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: time.Hour})
	other := b.peer(t, distlock.Config{MaxTime: 45 * time.Second})
	name := uniqueName("oldlease")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	// The column is lease (SQLite, PostgreSQL) or lease_us (MySQL).
	var cleared bool
	for _, col := range []string{"lease", "lease_us"} {
		_, err := b.raw.ExecContext(b.ctx, fmt.Sprintf("UPDATE %s SET %s = NULL WHERE name = '%s'", b.table, col, name))
		cleared = cleared || err == nil
	}
	if !cleared {
		t.Fatal("no lease column to clear")
	}
	if info, err := other.Inspect(b.ctx, name); err != nil || info.MaxTime != 0 {
		t.Fatalf("Inspect of a row without a lease = %+v, %v; want MaxTime 0", info, err)
	}
	if err := other.Extend(b.ctx, name, tok); err != nil {
		t.Fatal(err)
	}
	info, err := other.Inspect(b.ctx, name)
	if err != nil || info.MaxTime != 45*time.Second || info.Remaining <= 40*time.Minute {
		t.Fatalf("after Extend: %+v, %v; want MaxTime 45s and the hour's expiry kept", info, err)
	}
}
