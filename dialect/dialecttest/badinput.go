package dialecttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// snapshot returns every row of the table, for checking that bad input
// changed nothing.
func (b *bundle) snapshot(t *testing.T) string {
	t.Helper()
	rows, err := b.raw.QueryContext(b.ctx, "SELECT name, holds, fence, expires_at FROM "+b.table+" ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var sb strings.Builder
	for rows.Next() {
		var name string
		var holds, fence int64
		var expires any
		if err := rows.Scan(&name, &holds, &fence, &expires); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%q %d %d %v\n", name, holds, fence, expires)
	}
	return sb.String()
}

// everyOp runs each operation that takes a name, and reports their errors.
func everyOp(ctx context.Context, m *distlock.Module, name string, tok distlock.Token) map[string]error {
	l := m.Get(name)
	_, tryErr := l.TryAcquire(ctx)
	_, modTryErr := m.TryAcquire(ctx, name)
	_, modAcqErr := m.Acquire(ctx, name)
	_, inspectErr := m.Inspect(ctx, name)
	return map[string]error{
		"Lock.Acquire":      l.Acquire(ctx),
		"Lock.TryAcquire":   tryErr,
		"Lock.Do":           l.Do(ctx, func(context.Context) error { return nil }),
		"Module.Acquire":    modAcqErr,
		"Module.TryAcquire": modTryErr,
		"Module.Extend":     m.Extend(ctx, name, tok),
		"Module.Release":    m.Release(ctx, name, tok),
		"Module.Inspect":    inspectErr,
		"Attach.Acquire":    m.Attach(name, tok).Acquire(ctx),
		"Attach.Release":    m.Attach(name, tok).Release(ctx),
		"Attach.Extend":     m.Attach(name, tok).Extend(ctx),
	}
}

func testBadNames(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	held := uniqueName("held")
	tok, err := b.mod.Acquire(b.ctx, held)
	if err != nil {
		t.Fatal(err)
	}
	before := b.snapshot(t)
	for _, name := range []string{"", strings.Repeat("x", 256), "nul\x00byte", "bad\xffutf8"} {
		for op, err := range everyOp(b.ctx, b.mod, name, tok) {
			if !errors.Is(err, distlock.ErrInvalidName) {
				t.Errorf("%s(%q): got %v, want ErrInvalidName", op, name, err)
			}
		}
	}
	if after := b.snapshot(t); after != before {
		t.Fatalf("bad names changed the table:\nbefore %s\nafter  %s", before, after)
	}
	// The longest valid name works.
	if _, err := b.mod.TryAcquire(b.ctx, strings.Repeat("é", 127)+"x"); err != nil {
		t.Fatalf("255-byte name: %v", err)
	}
}

// Names are data, never SQL: quotes, comments and wildcards are stored and
// matched literally.
func testNamesStoredLiterally(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	names := []string{
		"x'; DROP TABLE " + b.table + "; --",
		`"quoted" \ back\slash`,
		"percent%_under",
		"%",
		"_",
		"emoji 🔒 ünïcode",
		distlock.Key("job", "a:b"),
	}
	for _, name := range names {
		if _, err := b.mod.TryAcquire(b.ctx, name); err != nil {
			t.Fatalf("TryAcquire(%q): %v", name, err)
		}
	}
	infos, err := b.mod.List(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range infos {
		got = append(got, in.Name)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	if len(got) != len(names) {
		t.Fatalf("List = %q, want %q", got, names)
	}
	for _, n := range got {
		if !want[n] {
			t.Fatalf("List holds %q, which was never acquired", n)
		}
	}
	// "%" and "_" must not match other names as LIKE patterns would.
	if info, err := b.mod.Inspect(b.ctx, "%"); err != nil || info.Name != "%" {
		t.Fatalf("Inspect(%%) = %+v, %v", info, err)
	}
	if _, err := b.mod.Inspect(b.ctx, "percent%"); !errors.Is(err, distlock.ErrNotHeld) {
		t.Fatalf("Inspect of a name never acquired: %v", err)
	}
}

func testBadTokens(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	name := uniqueName("tokens")
	if _, err := b.mod.Acquire(b.ctx, name); err != nil {
		t.Fatal(err)
	}
	before := b.snapshot(t)
	malformed := []distlock.Token{"", "nope", "dl1_xyz", distlock.Token("dl1_" + strings.Repeat("G", 64)), distlock.Token("dl2_" + strings.Repeat("a", 64))}
	for _, tok := range malformed {
		if err := b.mod.Release(b.ctx, name, tok); !errors.Is(err, distlock.ErrInvalidToken) {
			t.Errorf("Release with %q: got %v, want ErrInvalidToken", string(tok), err)
		}
		if err := b.mod.Extend(b.ctx, name, tok); !errors.Is(err, distlock.ErrInvalidToken) {
			t.Errorf("Extend with %q: got %v, want ErrInvalidToken", string(tok), err)
		}
		if err := b.mod.Attach(name, tok).Acquire(b.ctx); !errors.Is(err, distlock.ErrInvalidToken) {
			t.Errorf("Attach(%q).Acquire: got %v, want ErrInvalidToken", string(tok), err)
		}
	}
	foreign := distlock.Token("dl1_" + strings.Repeat("ab", 32)) // well-formed, never issued
	if err := b.mod.Release(b.ctx, name, foreign); !errors.Is(err, distlock.ErrExpired) {
		t.Errorf("Release with a foreign token: got %v, want ErrExpired", err)
	}
	if err := b.mod.Extend(b.ctx, name, foreign); !errors.Is(err, distlock.ErrExpired) {
		t.Errorf("Extend with a foreign token: got %v, want ErrExpired", err)
	}
	if after := b.snapshot(t); after != before {
		t.Fatalf("bad tokens changed the table:\nbefore %s\nafter  %s", before, after)
	}
}

func testCancelledContext(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	name := uniqueName("cancelled")
	tok, err := b.mod.Acquire(b.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	before := b.snapshot(t)
	ctx, cancel := context.WithCancel(b.ctx)
	cancel()
	for op, err := range everyOp(ctx, b.mod, name, tok) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: got %v, want context.Canceled", op, err)
		}
	}
	if _, err := b.mod.Acquire(ctx, uniqueName("free")); !errors.Is(err, distlock.ErrNotAcquired) || !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire of a free lock with a cancelled context: got %v, want ErrNotAcquired and Canceled", err)
	}
	if _, err := b.mod.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List: got %v", err)
	}
	if _, err := b.mod.Vacuum(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Vacuum: got %v", err)
	}
	if after := b.snapshot(t); after != before {
		t.Fatalf("a cancelled context changed the table:\nbefore %s\nafter  %s", before, after)
	}
}

func testUseAfterClose(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	m := b.peer(t, distlock.Config{})
	name := uniqueName("closed")
	l := m.Get(name)
	if err := l.Acquire(b.ctx); err != nil {
		t.Fatal(err)
	}
	tok := l.Token()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for op, err := range everyOp(b.ctx, m, name, tok) {
		if !errors.Is(err, distlock.ErrClosed) {
			t.Errorf("%s after Close: got %v, want ErrClosed", op, err)
		}
	}
	if err := l.Release(b.ctx); !errors.Is(err, distlock.ErrClosed) {
		t.Errorf("Lock.Release after Close: got %v", err)
	}
	for what, err := range map[string]error{
		"List":    second(m.List(b.ctx)),
		"Vacuum":  second(m.Vacuum(b.ctx)),
		"Migrate": m.Migrate(b.ctx),
	} {
		if !errors.Is(err, distlock.ErrClosed) {
			t.Errorf("%s after Close: got %v, want ErrClosed", what, err)
		}
	}
	// Close left the lock and the caller's *sql.DB alone.
	if info, err := b.mod.Inspect(b.ctx, name); err != nil || info.Holds != 1 {
		t.Fatalf("Close changed the lock: %+v, %v", info, err)
	}
}

func second[T any](_ T, err error) error { return err }

// Close cancels running Do functions (cause ErrClosed) and waiting
// Acquires, and returns once its background work has ended.
func testCloseStopsDo(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	m := b.peer(t, distlock.Config{MaxTime: short, RetryInterval: time.Hour})
	name := uniqueName("closedo")
	inside := make(chan struct{})
	done := make(chan error, 1)
	var cause error
	go func() {
		done <- m.Get(name).Do(b.ctx, func(ctx context.Context) error {
			close(inside)
			<-ctx.Done()
			cause = context.Cause(ctx)
			return nil
		})
	}()
	select { // every wait of the suite is bounded
	case <-inside:
	case err := <-done:
		t.Fatalf("Do failed before its function ran: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Do's function did not run within 10s")
	}
	waiting := make(chan error, 1)
	go func() {
		_, err := m.Acquire(b.ctx, name)
		waiting <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, distlock.ErrClosed) || !errors.Is(cause, distlock.ErrClosed) {
		t.Fatalf("Do after Close: got %v (cause %v), want ErrClosed", err, cause)
	}
	if err := <-waiting; !errors.Is(err, distlock.ErrClosed) {
		t.Fatalf("waiting Acquire after Close: got %v, want ErrClosed", err)
	}
	// Do released its lock on the way out.
	if _, err := b.mod.Inspect(b.ctx, name); !errors.Is(err, distlock.ErrNotHeld) {
		t.Fatalf("Do's lock after Close: %v", err)
	}
}

// A Module on a table never migrated says so, in a way errors.Is knows.
func testNoTable(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	m, err := distlock.New(b.db, h.Dialect, distlock.Config{Table: "dlt_never_" + randomHex(4)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, tryErr := m.TryAcquire(b.ctx, "x")
	_, inspectErr := m.Inspect(b.ctx, "x")
	_, listErr := m.List(b.ctx)
	_, vacuumErr := m.Vacuum(b.ctx)
	for op, err := range map[string]error{"TryAcquire": tryErr, "Inspect": inspectErr, "List": listErr, "Vacuum": vacuumErr} {
		if !errors.Is(err, distlock.ErrNoTable) {
			t.Errorf("%s on a missing table: got %v, want ErrNoTable", op, err)
		}
	}
	if errors.Is(tryErr, distlock.ErrNotAcquired) {
		t.Errorf("a missing table reads as ErrNotAcquired: %v", tryErr)
	}
}
