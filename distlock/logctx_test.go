package distlock_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

type traceKey struct{}

// ctxRecorder is a slog handler that records, per message, the trace ID
// its context carried, as a tracing handler would read it.
type ctxRecorder struct {
	mu     sync.Mutex
	traces map[string]any
	logged chan string
}

func (h *ctxRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *ctxRecorder) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	h.traces[r.Message] = ctx.Value(traceKey{})
	h.mu.Unlock()
	select {
	case h.logged <- r.Message:
	default:
	}
	return nil
}
func (h *ctxRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *ctxRecorder) WithGroup(string) slog.Handler      { return h }

// The warning about a guarded transaction rolled back at its bound is
// logged with the context Guard was called with, so that a handler that
// reads trace IDs from it finds the caller's.
func TestLogsCarryTheCallersContext(t *testing.T) {
	t.Parallel()
	rec := &ctxRecorder{traces: map[string]any{}, logged: make(chan string, 16)}
	mod, db, done := openExampleDB(distlock.Config{MaxTime: time.Second, Logger: slog.New(rec)})
	defer done()
	ctx := context.WithValue(t.Context(), traceKey{}, "trace-1")
	l := mod.Get("guarded")
	if err := l.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := l.Guard(ctx, tx); err != nil {
		t.Fatal(err)
	}
	const msg = "distlock: a guarded transaction was still open MaxTime after Guard; rolled back"
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-rec.logged:
			if m != msg {
				continue
			}
			rec.mu.Lock()
			got := rec.traces[msg]
			rec.mu.Unlock()
			if got != "trace-1" {
				t.Fatalf("logged with trace %v, want the caller's trace-1", got)
			}
			return
		case <-deadline:
			t.Fatal("the guarded transaction's rollback was not logged within 10s")
		}
	}
}
