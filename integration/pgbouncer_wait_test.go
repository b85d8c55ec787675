package integration

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
)

// listenOutcome runs the store's Listen on db until it is ready (then
// sends a NOTIFY of name through notifyDB and waits for it) or gives up.
// It returns whether it became ready, the names it was told were
// released, and Listen's error.
func listenOutcome(t *testing.T, tg target, db, notifyDB *sql.DB, table, name string) (ready bool, got []string, err error) {
	t.Helper()
	store, err := tg.Dialect.Bind(db, table)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	l, ok := store.(dialect.Listener)
	if !ok {
		t.Fatal("the postgres Store is no dialect.Listener")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	readyCh := make(chan struct{})
	var mu sync.Mutex
	releasedCh := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- l.Listen(ctx, func() { close(readyCh) }, func(n dialect.Notice) {
			mu.Lock()
			got = append(got, n.Name)
			mu.Unlock()
			if n.Name == name {
				releasedCh <- struct{}{}
			}
		})
	}()
	select {
	case err := <-done:
		return false, got, err
	case <-readyCh:
	case <-ctx.Done():
		t.Fatal("Listen was neither ready nor gave up within 20s")
	}
	// A release's payload: the next ticket of the lock's line, and its name.
	if _, err := notifyDB.ExecContext(ctx, `SELECT pg_notify('`+table+`_released', '1 `+name+`')`); err != nil {
		t.Fatal(err)
	}
	select {
	case <-releasedCh:
	case <-ctx.Done():
		t.Error("the NOTIFY never reached the listener")
	}
	cancel()
	err = <-done
	mu.Lock()
	defer mu.Unlock()
	return true, got, err
}

// Behind PgBouncer's transaction pooling a LISTEN cannot work: Listen
// says so at once (dialect.ErrListenUnsupported, so that the Module's
// waiters poll), without leaving a LISTEN on a pooled server connection.
// On a direct connection it still listens and delivers.
func TestPostgresListenNeedsOwnSession(t *testing.T) {
	t.Parallel()
	t.Run("pgbouncer", func(t *testing.T) {
		t.Parallel()
		tg := pgbouncerTarget(t)
		db := openDB(t, tg.DriverName, tg.DSN)
		table := randomName("listen_")
		start := time.Now()
		ready, _, err := listenOutcome(t, tg, db, db, table, "x")
		if ready || !errors.Is(err, dialect.ErrListenUnsupported) {
			t.Fatalf("Listen through PgBouncer: ready %v, err %v; want ErrListenUnsupported before ready", ready, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Listen took %v to give up", d)
		}
		raw := openDB(t, tg.DriverName, withParam(tg.DSN, "default_query_exec_mode=exec"))
		var listening int
		if err := raw.QueryRowContext(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query = $1`, `LISTEN "`+table+`_released"`).Scan(&listening); err != nil {
			t.Fatal(err)
		}
		if listening != 0 {
			t.Errorf("%d pooled server connections ran the LISTEN", listening)
		}
	})
	t.Run("direct", func(t *testing.T) {
		t.Parallel()
		tg := serverTarget(t, "postgres")
		db := openDB(t, tg.DriverName, tg.DSN)
		ready, got, err := listenOutcome(t, tg, db, db, randomName("listen_"), "released-name")
		if !ready {
			t.Fatalf("Listen on a direct connection gave up: %v", err)
		}
		if !slices.Contains(got, "released-name") {
			t.Errorf("released names %q miss the NOTIFY's", got)
		}
	})
}

// Waiters behind PgBouncer get no push, so they poll: a released lock is
// taken within the waiter's polling interval, and the Module says why it
// polls.
func TestPgBouncerWaitersPoll(t *testing.T) {
	t.Parallel()
	tg := pgbouncerTarget(t)
	h, holder := setup(t, tg, distlock.Config{MaxTime: 30 * time.Second})
	var logs lockedLog
	waiterCfg := distlock.Config{Table: h.table, MaxTime: 30 * time.Second,
		RetryInterval: 20 * time.Millisecond, MaxRetryInterval: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	waiter, err := distlock.New(openDB(t, tg.DriverName, tg.DSN), tg.Dialect, waiterCfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { waiter.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	tok, err := holder.Acquire(ctx, h.name)
	if err != nil {
		t.Fatal(err)
	}
	acquired := make(chan time.Time, 1)
	go func() {
		if _, err := waiter.Acquire(ctx, h.name); err != nil {
			t.Errorf("waiter: %v", err)
		}
		acquired <- time.Now()
	}()
	raw := openDB(t, tg.DriverName, withParam(tg.DSN, "default_query_exec_mode=exec"))
	waitWatched(ctx, t, raw, h.table, h.name)
	for !strings.Contains(logs.String(), "waiters will poll") {
		if ctx.Err() != nil {
			t.Fatalf("the waiter's Module never gave up push wake-ups; its log: %s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the waiter's back-off reaches its cap
	released := time.Now()
	if err := holder.Release(ctx, h.name, tok); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-acquired:
		// One capped pause (200ms + 25% jitter) and an attempt.
		if d := at.Sub(released); d > time.Second {
			t.Errorf("the waiter took %v after the release", d)
		} else {
			t.Logf("the waiter polled its way to the lock %v after the release", d.Round(time.Millisecond))
		}
	case <-ctx.Done():
		t.Fatal("the waiter never got the released lock")
	}
}

// lockedLog collects log output from several goroutines.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// openDB opens a pool closed when the test ends.
func openDB(t *testing.T, driverName, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
