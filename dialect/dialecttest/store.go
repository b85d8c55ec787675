package dialecttest

import (
	"bytes"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
)

// A retried attempt offers the same hash as new and as held (distlock does
// this after a lost connection hid whether the first attempt took the
// lock). On a free lock that is a new acquisition with one hold, not a
// re-entry; once it holds, the same request re-enters.
func testRetriedAttempt(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	store, err := h.Dialect.Bind(b.db, b.table)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hash := bytes.Repeat([]byte{7}, 32)
	req := dialect.AcquireRequest{Name: uniqueName("retry"), Owner: "o", NewHash: hash, HeldHash: hash, TTL: time.Minute}
	res, err := store.Acquire(b.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Acquired || res.Reentered || res.Row.Fence < 1 {
		t.Fatalf("first attempt on a free lock: %+v; want a new acquisition", res)
	}
	again, err := store.Acquire(b.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Acquired || !again.Reentered || again.Row.Fence != res.Row.Fence {
		t.Fatalf("second attempt: %+v; want a re-entry of fence %d", again, res.Row.Fence)
	}
	if info, err := b.mod.Inspect(b.ctx, req.Name); err != nil || info.Holds != 2 {
		t.Fatalf("Inspect = %+v, %v; want 2 holds", info, err)
	}
}
