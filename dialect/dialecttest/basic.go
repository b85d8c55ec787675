package dialecttest

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/distlock/distlock/distlock"
)

func testAcquireRelease(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{Owner: "tester"})
	name := uniqueName("basic")
	tok, err := b.mod.TryAcquire(b.ctx, name)
	if err != nil {
		t.Fatalf("TryAcquire on a free lock: %v", err)
	}
	if _, err := distlock.ParseToken(string(tok)); err != nil {
		t.Fatalf("TryAcquire returned a malformed token: %v", err)
	}
	if _, err := b.mod.TryAcquire(b.ctx, name); !errors.Is(err, distlock.ErrNotAcquired) {
		t.Fatalf("TryAcquire on a held lock: got %v, want ErrNotAcquired", err)
	}
	info, err := b.mod.Inspect(b.ctx, name)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if info.Name != name || info.Owner != "tester" || info.Holds != 1 || info.Fence < 1 {
		t.Fatalf("Inspect = %+v, want name %q, owner tester, 1 hold, fence ≥ 1", info, name)
	}
	if !info.ExpiresAt.After(info.AcquiredAt) {
		t.Fatalf("ExpiresAt %v not after AcquiredAt %v", info.ExpiresAt, info.AcquiredAt)
	}
	if got := info.ExpiresAt.Sub(info.AcquiredAt); got != b.mod.Config().MaxTime {
		t.Fatalf("ExpiresAt - AcquiredAt = %v, want MaxTime %v", got, b.mod.Config().MaxTime)
	}
	if err := b.mod.Release(b.ctx, name, tok); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if _, err := b.mod.Inspect(b.ctx, name); !errors.Is(err, distlock.ErrNotHeld) {
		t.Fatalf("Inspect after Release: got %v, want ErrNotHeld", err)
	}
	if err := b.mod.Release(b.ctx, name, tok); !errors.Is(err, distlock.ErrExpired) {
		t.Fatalf("second Release: got %v, want ErrExpired", err)
	}
	if err := b.mod.Extend(b.ctx, name, tok); !errors.Is(err, distlock.ErrExpired) {
		t.Fatalf("Extend after Release: got %v, want ErrExpired", err)
	}
	if _, err := b.mod.TryAcquire(b.ctx, name); err != nil {
		t.Fatalf("TryAcquire after Release: %v", err)
	}
}

func testReentrancy(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	other := b.peer(t, distlock.Config{})
	name := uniqueName("reentry")
	l := b.mod.Get(name)
	if err := l.Acquire(b.ctx); err != nil {
		t.Fatal(err)
	}
	tok, fence := l.Token(), l.Fence()
	if ok, err := l.TryAcquire(b.ctx); !ok || err != nil {
		t.Fatalf("re-entering TryAcquire = %v, %v", ok, err)
	}
	if err := l.Acquire(b.ctx); err != nil {
		t.Fatalf("re-entering Acquire: %v", err)
	}
	if l.Token() != tok || l.Fence() != fence {
		t.Fatal("re-entry changed the token or the fence")
	}
	if info, err := b.mod.Inspect(b.ctx, name); err != nil || info.Holds != 3 {
		t.Fatalf("Inspect after 3 acquisitions = %+v, %v; want 3 holds", info, err)
	}
	if b.mod.Get(name).Token() != "" {
		t.Fatal("a new handle from Get must hold nothing")
	}
	for i := 3; i > 0; i-- {
		if _, err := other.TryAcquire(b.ctx, name); !errors.Is(err, distlock.ErrNotAcquired) {
			t.Fatalf("with %d holds left another module got %v, want ErrNotAcquired", i, err)
		}
		if err := l.Release(b.ctx); err != nil {
			t.Fatalf("Release with %d holds: %v", i, err)
		}
	}
	if l.Token() != "" || l.Fence() != 0 {
		t.Fatal("a fully released handle still reports a token or fence")
	}
	if err := l.Release(b.ctx); !errors.Is(err, distlock.ErrNotHeld) {
		t.Fatalf("Release on a handle holding nothing: got %v, want ErrNotHeld", err)
	}
	if err := l.Extend(b.ctx); !errors.Is(err, distlock.ErrNotHeld) {
		t.Fatalf("Extend on a handle holding nothing: got %v, want ErrNotHeld", err)
	}
	if _, err := other.TryAcquire(b.ctx, name); err != nil {
		t.Fatalf("lock not free after every hold was released: %v", err)
	}
}

// A token handed to another process re-enters, extends and releases there.
func testReentrancyAcrossProcesses(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	other := b.peer(t, distlock.Config{})
	third := b.peer(t, distlock.Config{})
	name := uniqueName("handoff")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	att := other.Attach(name, tok)
	if att.Token() != tok {
		t.Fatal("Attach did not keep the token")
	}
	if err := att.Acquire(b.ctx); err != nil {
		t.Fatalf("Acquire through an attached token: %v", err)
	}
	if info, err := third.Inspect(b.ctx, name); err != nil || info.Holds != 2 {
		t.Fatalf("Inspect = %+v, %v; want 2 holds", info, err)
	}
	if err := att.Extend(b.ctx); err != nil {
		t.Fatalf("Extend through an attached token: %v", err)
	}
	if err := att.Release(b.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := third.TryAcquire(b.ctx, name); !errors.Is(err, distlock.ErrNotAcquired) {
		t.Fatalf("one hold left, yet a third module got %v", err)
	}
	if err := other.Release(b.ctx, name, tok); err != nil {
		t.Fatalf("releasing the original hold from the other module: %v", err)
	}
	if _, err := third.TryAcquire(b.ctx, name); err != nil {
		t.Fatalf("lock not free after both holds were released: %v", err)
	}
}

// Every column of the table, read as text and as bytes, never holds the
// token, whatever the dialect's column types.
func testTokensAreHashed(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	name := uniqueName("secret")
	l := b.mod.Get(name)
	if err := l.Acquire(b.ctx); err != nil {
		t.Fatal(err)
	}
	tok := string(l.Token())
	secret := strings.TrimPrefix(tok, "dl1_")
	raw, _ := hex.DecodeString(secret)

	rows, err := b.raw.QueryContext(b.ctx, "SELECT * FROM "+b.table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	n := 0
	for rows.Next() {
		n++
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			var bs []byte
			switch v := v.(type) {
			case []byte:
				bs = v
			case string:
				bs = []byte(v)
			default:
				bs = fmt.Appendf(nil, "%v", v)
			}
			if bytes.Contains(bs, []byte(secret)) || bytes.Contains(bs, raw) ||
				strings.Contains(strings.ToLower(hex.EncodeToString(bs)), secret) {
				t.Fatalf("column %s holds the token", cols[i])
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("read %d rows, want 1", n)
	}
	for _, s := range []string{fmt.Sprint(l.Token()), fmt.Sprintf("%v %s", l.Token(), l.Token())} {
		if strings.Contains(s, secret) {
			t.Fatalf("formatting a Token printed the secret: %s", s)
		}
	}
}

// A token of one lock can neither release nor extend another.
func testTokenBoundToName(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	a, c := uniqueName("a"), uniqueName("c")
	tokA, err := b.mod.Acquire(b.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.mod.Acquire(b.ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := b.mod.Release(b.ctx, c, tokA); !errors.Is(err, distlock.ErrExpired) {
		t.Fatalf("Release of %s with the token of %s: got %v, want ErrExpired", c, a, err)
	}
	if err := b.mod.Extend(b.ctx, c, tokA); !errors.Is(err, distlock.ErrExpired) {
		t.Fatalf("Extend of %s with the token of %s: got %v, want ErrExpired", c, a, err)
	}
	if ok, err := b.mod.Attach(c, tokA).TryAcquire(b.ctx); ok || err != nil {
		t.Fatalf("the token of %s re-entering %s: got %v, %v; want false, nil", a, c, ok, err)
	}
	if info, err := b.mod.Inspect(b.ctx, c); err != nil || info.Holds != 1 {
		t.Fatalf("%s changed: %+v, %v", c, info, err)
	}
}
