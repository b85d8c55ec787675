package dialecttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// No log record (at debug level, of every module involved) and no error
// ever contains a token, through a lifecycle with waits, failures and a
// lost lock.
func testTokensNeverLogged(t *testing.T, h Harness) {
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := distlock.Config{MaxTime: short, RetryInterval: 20 * time.Millisecond, Logger: logger}
	b := setup(t, h, cfg)
	other := b.peer(t, cfg)
	name, second := uniqueName("secret"), uniqueName("other")
	var tokens []distlock.Token
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	l := b.mod.Get(name)
	note(l.Acquire(b.ctx))
	note(l.Acquire(b.ctx))
	tokens = append(tokens, l.Token())
	tok2, err := b.mod.Acquire(b.ctx, second)
	note(err)
	tokens = append(tokens, tok2)
	note(b.mod.Release(b.ctx, name, tok2))  // a token of another lock
	note(other.Extend(b.ctx, second, tok2)) // fine
	ctx, cancel := context.WithTimeout(b.ctx, 500*time.Millisecond)
	_, err = other.Acquire(ctx, name) // waits, logs, gives up
	cancel()
	note(err)
	note(l.Release(b.ctx))
	note(l.Release(b.ctx))
	note(l.Release(b.ctx))                      // not held
	note(b.mod.Release(b.ctx, name, tokens[0])) // released already
	note(b.mod.Get(name).Do(b.ctx, func(ctx context.Context) error {
		b.exec(t, fmt.Sprintf("DELETE FROM %s WHERE name = '%s'", b.table, name))
		<-ctx.Done() // lost
		return context.Cause(ctx)
	}))

	if len(errs) < 5 {
		t.Fatalf("the lifecycle produced only %d errors: %v", len(errs), errs)
	}
	text := logs.String()
	if !strings.Contains(text, "distlock: waiting") {
		t.Fatalf("expected debug records from the waiter, got %q", text)
	}
	for _, tok := range tokens {
		secret := strings.TrimPrefix(string(tok), "dl1_")
		if secret == "" || len(secret) != 64 {
			t.Fatalf("bad token in test: %q", tok)
		}
		if strings.Contains(text, secret) {
			t.Fatal("a log record contains a token")
		}
		for _, err := range errs {
			if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), secret) {
				t.Fatalf("an error contains a token: %v", err)
			}
		}
	}
}

// No connection stays checked out of the pool, whatever happened, and
// Close leaves the pool usable (it is the caller's).
func testNoConnectionLeaks(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	db := b.open(t)
	m := b.module(t, db, distlock.Config{MaxTime: short, RetryInterval: 10 * time.Millisecond})
	name := uniqueName("leak")
	for range 3 {
		tok, err := m.Acquire(b.ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(b.ctx, 50*time.Millisecond)
		_, err = m.Acquire(ctx, name)
		cancel()
		if !errors.Is(err, distlock.ErrNotAcquired) {
			t.Fatalf("Acquire of a held lock: %v", err)
		}
		m.List(b.ctx)
		m.Inspect(b.ctx, name)
		m.Extend(b.ctx, name, tok)
		m.Release(b.ctx, name, tok)
		m.Release(b.ctx, name, tok)
		m.Vacuum(b.ctx)
	}
	if err := m.Get(name).Do(b.ctx, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if n := db.Stats().InUse; n != 0 {
		t.Fatalf("%d connections still checked out after Close", n)
	}
	if err := db.PingContext(b.ctx); err != nil {
		t.Fatalf("Close broke the caller's *sql.DB: %v", err)
	}
}
