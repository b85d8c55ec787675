package integration

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
)

// The errors of a real failover are KindUnavailable where the server
// refused the statement without running it: a write on the standby
// (25006, as through an address that a failover later moves to the new
// primary) and, with target_session_attrs=read-write, a connection that
// found no host taking writes (the primary down, the standby not yet
// promoted).
func TestFailoverRealErrors(t *testing.T) {
	t.Parallel()
	p := failoverPair(t)
	h, _ := setup(t, p.tg, distlock.Config{})
	waitReplayed(t, p, h.table)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tests := []struct {
		name, params string
		cause        func(error) bool
	}{
		{"write on the standby", "", func(err error) bool {
			var pgErr *pgconn.PgError
			return errors.As(err, &pgErr) && pgErr.Code == "25006"
		}},
		{"no host takes writes", "target_session_attrs=read-write", func(err error) bool {
			return errors.Is(err, pgconn.ErrReadOnlyConnection)
		}},
	}
	for _, tt := range tests {
		tg := p.standby(tt.params)
		mod, err := distlock.New(p.open(tg), tg.Dialect, distlock.Config{Table: h.table})
		if err != nil {
			t.Fatal(err)
		}
		defer mod.Close()
		_, err = mod.TryAcquire(ctx, "real-errors")
		var dbErr *distlock.DBError
		switch {
		case !errors.As(err, &dbErr):
			t.Errorf("%s: TryAcquire = %v, want a *distlock.DBError", tt.name, err)
		case !tt.cause(err):
			t.Errorf("%s: TryAcquire = %v, not the expected driver error", tt.name, err)
		case dialect.KindOf(err) != dialect.KindUnavailable:
			t.Errorf("%s: TryAcquire = %v, classified %v, want %v", tt.name, err, dialect.KindOf(err), dialect.KindUnavailable)
		}
	}
}

// A waiting Acquire waits through a failover and gets the lock when the
// holder, whose acquisition survived, releases it on the promoted
// standby. One waiter uses the multi-host DSN (target_session_attrs=
// read-write): it sees connections fail, then find no host taking writes.
// The other uses the standby's address, like an address a failover moves
// to the new primary: it sees 25006 until the promotion.
func TestFailoverWaitersSurvive(t *testing.T) {
	t.Parallel()
	p := failoverPair(t)
	cfg := distlock.Config{MaxTime: 30 * time.Second, RetryInterval: 20 * time.Millisecond, MaxRetryInterval: 200 * time.Millisecond}
	h, _ := setup(t, p.tg, cfg)
	waitReplayed(t, p, h.table)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	primaryDB := p.open(p.tg)
	hcfg := cfg
	hcfg.Table = h.table
	holder, err := distlock.New(primaryDB, p.tg.Dialect, hcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()

	type result struct {
		err   error
		fence int64
		at    time.Time
	}
	type waiter struct {
		name string
		tg   target
		held *distlock.Lock
		rec  *failureRecorder
		done chan struct{} // closed when its Acquire has returned, with res
		res  result
	}
	waiters := []*waiter{{name: "via-dsn", tg: p.tg}, {name: "via-standby", tg: p.standby("")}}
	for _, w := range waiters {
		w.held = holder.Get(w.name)
		if ok, err := w.held.TryAcquire(ctx); !ok || err != nil {
			t.Fatalf("holder: TryAcquire(%s) = %v, %v", w.name, ok, err)
		}
		w.rec = &failureRecorder{}
		wcfg := cfg
		wcfg.Table, wcfg.Owner, wcfg.Logger = h.table, w.name, slog.New(w.rec)
		mod, err := distlock.New(p.open(w.tg), w.tg.Dialect, wcfg)
		if err != nil {
			t.Fatal(err)
		}
		defer mod.Close()
		w.done = make(chan struct{})
		go func() {
			defer close(w.done)
			l := mod.Get(w.name)
			err := l.Acquire(ctx)
			w.res = result{err, l.Fence(), time.Now()}
		}()
	}
	// Both wait before the failover: one watches the lock, the other has
	// met the standby's refusal.
	waitWatched(ctx, t, primaryDB, h.table, "via-dsn")
	if !waiters[1].rec.waitFailures(ctx, 1, waiters[1].done) {
		t.Errorf("the waiter on the standby's address met no failure it waited through in 10s")
	}

	crashStart := time.Now()
	before := waiters[0].rec.count()
	p.run("crash")
	if !waiters[0].rec.waitFailures(ctx, before+1, waiters[0].done) {
		t.Errorf("the waiter on the multi-host DSN met no failure it waited through in the 10s after the crash")
	}
	p.run("promote")
	promoted := time.Now()

	// The holder's acquisitions survived the failover: the new primary
	// has them, with their fences, and their tokens release them.
	primaryDB.SetMaxIdleConns(0) // drop the pool's dead connections
	primaryDB.SetMaxIdleConns(2)
	for _, w := range waiters {
		in, err := holder.Inspect(ctx, w.name)
		if err != nil || in.Fence != w.held.Fence() {
			t.Errorf("after the failover, Inspect(%s) = %+v, %v; want the holder's acquisition, fence %d", w.name, in, err, w.held.Fence())
		}
	}
	released := time.Now()
	for _, w := range waiters {
		if err := w.held.Release(ctx); err != nil {
			t.Errorf("holder: Release(%s) after the failover: %v", w.name, err)
		}
	}

	for _, w := range waiters {
		select {
		case <-w.done:
			switch r := w.res; {
			case r.err != nil:
				t.Errorf("waiter %s gave up: %v; failures it had waited through: %v", w.name, r.err, w.rec)
			case r.fence <= w.held.Fence():
				t.Errorf("waiter %s: fence %d after the holder's %d", w.name, r.fence, w.held.Fence())
			default:
				t.Logf("waiter %s: acquired %v after the crash began, %v after the promotion, %v after the release; waited through %v",
					w.name, r.at.Sub(crashStart).Round(time.Millisecond), r.at.Sub(promoted).Round(time.Millisecond),
					r.at.Sub(released).Round(time.Millisecond), w.rec)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("waiter %s: no lock 20s after the release; failures it waited through: %v", w.name, w.rec)
		}
	}
}

// waitReplayed waits until the standby has replayed the creation of
// table, so that statements there meet its refusal, not a missing table.
func waitReplayed(t *testing.T, p *pgPair, table string) {
	t.Helper()
	db := p.open(p.standby(""))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for {
		var ok bool
		err := db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, `"`+table+`"`).Scan(&ok)
		if err == nil && ok {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("the standby has not replayed the creation of %s: %v", table, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// failureRecorder is a slog.Handler that counts the failed acquire
// attempts a Module logs (and waits through), by the error's kind.
type failureRecorder struct {
	mu    sync.Mutex
	kinds map[dialect.Kind]int
	n     int
}

func (r *failureRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *failureRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *failureRecorder) WithGroup(string) slog.Handler            { return r }

func (r *failureRecorder) Handle(_ context.Context, rec slog.Record) error {
	if !strings.Contains(rec.Message, "acquire failed") {
		return nil
	}
	rec.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && a.Key == "err" {
			r.mu.Lock()
			if r.kinds == nil {
				r.kinds = map[dialect.Kind]int{}
			}
			r.kinds[dialect.KindOf(err)]++
			r.n++
			r.mu.Unlock()
		}
		return true
	})
	return nil
}

func (r *failureRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	b.WriteString("{")
	for _, k := range []dialect.Kind{dialect.KindConn, dialect.KindUnavailable, dialect.KindTimeout, dialect.KindRetry, dialect.KindOther} {
		if n := r.kinds[k]; n > 0 {
			if b.Len() > 1 {
				b.WriteString(", ")
			}
			b.WriteString(k.String() + ": " + strconv.Itoa(n))
		}
	}
	b.WriteString("}")
	return b.String()
}

func (r *failureRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// waitFailures waits, for at most 10s, until n failures have been logged
// in all; it reports whether they were. It gives up when done is closed
// (the Acquire returned).
func (r *failureRecorder) waitFailures(ctx context.Context, n int, done <-chan struct{}) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(10 * time.Millisecond) {
		if r.count() >= n {
			return true
		}
		select {
		case <-done:
			return r.count() >= n
		default:
		}
	}
	return false
}
