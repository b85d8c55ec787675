package dialecttest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

func testInspectList(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{Owner: "lister"})
	brief := b.peer(t, distlock.Config{MaxTime: short, Owner: "brief"})
	names := []string{uniqueName("c"), uniqueName("a"), uniqueName("b")}
	for _, n := range names {
		if _, err := b.mod.Acquire(b.ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	released := uniqueName("released")
	tok, err := b.mod.Acquire(b.ctx, released)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.mod.Release(b.ctx, released, tok); err != nil {
		t.Fatal(err)
	}
	expired := uniqueName("expired")
	if _, err := brief.Acquire(b.ctx, expired); err != nil {
		t.Fatal(err)
	}
	if infos, err := b.mod.List(b.ctx); err != nil || len(infos) != 4 {
		t.Fatalf("List before expiry = %v, %v; want 4 locks", infos, err)
	}
	time.Sleep(short + 50*time.Millisecond)

	infos, err := b.mod.List(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range infos {
		got = append(got, in.Name)
		if in.Owner != "lister" || in.Holds != 1 || in.Fence < 1 || !in.ExpiresAt.After(in.AcquiredAt) ||
			in.Remaining <= 0 || in.Remaining > b.mod.Config().MaxTime {
			t.Errorf("List entry %+v", in)
		}
	}
	want := slices.Sorted(slices.Values(names))
	if !slices.Equal(got, want) {
		t.Fatalf("List = %q, want the live locks in name order %q", got, want)
	}
	for _, n := range []string{released, expired, uniqueName("never")} {
		if _, err := b.mod.Inspect(b.ctx, n); !errors.Is(err, distlock.ErrNotHeld) {
			t.Errorf("Inspect(%s): got %v, want ErrNotHeld", n, err)
		}
	}
}

// Vacuum removes free and expired rows in batches, never a live one.
func testVacuum(t *testing.T, h Harness) {
	const batch = 7
	b := setup(t, h, distlock.Config{VacuumBatch: batch})
	brief := b.peer(t, distlock.Config{MaxTime: short})
	live := uniqueName("live")
	if _, err := b.mod.Acquire(b.ctx, live); err != nil {
		t.Fatal(err)
	}
	// Whole batches of live rows come first in key order: Vacuum must walk
	// past them rather than stop at a batch that removed nothing.
	const crowd = 2*batch + 1
	for i := range crowd {
		if _, err := b.mod.Acquire(b.ctx, fmt.Sprintf("a-crowd-%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	const freed, expiring = 10, 12 // more than one batch of each
	for i := range freed {
		name := fmt.Sprintf("freed-%d", i)
		tok, err := b.mod.Acquire(b.ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.mod.Release(b.ctx, name, tok); err != nil {
			t.Fatal(err)
		}
	}
	n, err := b.mod.Vacuum(b.ctx)
	if err != nil || n != freed {
		t.Fatalf("Vacuum = %d, %v; want the %d released rows", n, err, freed)
	}
	start := time.Now()
	for i := range expiring {
		if _, err := brief.Acquire(b.ctx, fmt.Sprintf("expiring-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	n, err = b.mod.Vacuum(b.ctx)
	if err != nil || (n != 0 && time.Since(start) < short) {
		t.Fatalf("Vacuum before expiry = %d, %v; want none of the live rows", n, err)
	}
	time.Sleep(short + 50*time.Millisecond)
	n, err = b.mod.Vacuum(b.ctx)
	if err != nil || n != expiring {
		t.Fatalf("Vacuum after expiry = %d, %v; want the %d expired rows", n, err, expiring)
	}
	if n, err := b.mod.Vacuum(b.ctx); err != nil || n != 0 {
		t.Fatalf("Vacuum of a clean table = %d, %v", n, err)
	}
	if info, err := b.mod.Inspect(b.ctx, live); err != nil || info.Holds != 1 {
		t.Fatalf("Vacuum touched a live lock: %+v, %v", info, err)
	}
	var rows int
	if err := b.raw.QueryRowContext(b.ctx, "SELECT COUNT(*) FROM "+b.table).Scan(&rows); err != nil || rows != 1+crowd {
		t.Fatalf("rows left = %d, %v; want only the %d live ones", rows, err, 1+crowd)
	}
}

// Migrate is idempotent, works on a custom table, and records its version
// in a golang-migrate-format table named after the lock table.
func testMigrate(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	for range 2 {
		if err := b.mod.Migrate(b.ctx); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
	}
	var version int
	var dirty bool
	err := b.raw.QueryRowContext(b.ctx, "SELECT version, dirty FROM "+b.table+"_schema_migrations").Scan(&version, &dirty)
	if err != nil || version < 1 || dirty {
		t.Fatalf("version table: version %d, dirty %v, %v", version, dirty, err)
	}
	other := b.peer(t, distlock.Config{})
	if err := other.Migrate(b.ctx); err != nil {
		t.Fatalf("Migrate from a second module: %v", err)
	}
	if _, err := other.TryAcquire(b.ctx, uniqueName("after-migrate")); err != nil {
		t.Fatal(err)
	}
}
