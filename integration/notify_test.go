package integration

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/distlock/distlock/distlock"
)

// TestPostgresNotifiesOnlyWatchedReleases checks that a release sends a
// NOTIFY only when a waiter is in the lock's line: PostgreSQL serialises
// the commits of notifying transactions, so uncontended releases must not.
func TestPostgresNotifiesOnlyWatchedReleases(t *testing.T) {
	t.Parallel()
	tg := serverTarget(t, "postgres")
	cfg := distlock.Config{MaxTime: 20 * time.Second, RetryInterval: 8 * time.Second}
	h, mod := setup(t, tg, cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	conn, err := pgx.Connect(ctx, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN "`+h.table+`_released"`); err != nil {
		t.Fatal(err)
	}

	// Nobody waits for "quiet": its release must stay silent.
	tok, err := mod.Acquire(ctx, "quiet")
	if err != nil {
		t.Fatal(err)
	}
	if err := mod.Release(ctx, "quiet", tok); err != nil {
		t.Fatal(err)
	}

	// A waiter in another Module watches "busy" while this one holds it.
	db, err := sql.Open(tg.DriverName, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg.Table = h.table
	other, err := distlock.New(db, tg.Dialect, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tok, err = mod.Acquire(ctx, "busy")
	if err != nil {
		t.Fatal(err)
	}
	acquired := make(chan error, 1)
	go func() {
		_, err := other.Acquire(ctx, "busy")
		acquired <- err
	}()
	waitWatched(ctx, t, db, h.table, "busy")
	time.Sleep(200 * time.Millisecond) // let the waiter's listener connect
	released := time.Now()
	if err := mod.Release(ctx, "busy", tok); err != nil {
		t.Fatal(err)
	}

	n, err := conn.WaitForNotification(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(n.Payload, " busy") {
		t.Fatalf("first notification is %q, want only the one for the waited-for lock busy (\"ticket busy\")", n.Payload)
	}
	// The waiter was woken, not left to its 8s back-off.
	if err := <-acquired; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	if waited := time.Since(released); waited > cfg.RetryInterval/2 {
		t.Errorf("waiter took %v after the release: not woken by the notification", waited)
	}
}

// waitWatched polls the PostgreSQL lock table's line until a waiter has
// taken a place in the line of the lock name (its attempt found the lock
// held), failing the test if ctx ends first.
func waitWatched(ctx context.Context, t *testing.T, db *sql.DB, table, name string) {
	t.Helper()
	for watched := false; !watched; {
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM "`+table+`_queue" WHERE name = $1 AND expires_at > now())`, name).Scan(&watched); err != nil {
			t.Fatalf("waiting for a waiter to watch %s: %v", name, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitListening polls pg_stat_activity until a session named appName has
// finished a LISTEN on table's release channel: from then on a NOTIFY
// reaches it. It fails the test if ctx ends first.
func waitListening(ctx context.Context, t *testing.T, db *sql.DB, appName, table string) {
	t.Helper()
	for listening := false; !listening; {
		err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = $1 AND state = 'idle' AND query = $2)`,
			appName, `LISTEN "`+table+`_released"`).Scan(&listening)
		if err != nil {
			t.Fatalf("waiting for %s to LISTEN: %v", appName, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stillHeld is a slog handler that counts the waiter's "woken, but the
// lock is still held" records on a channel.
type stillHeld chan struct{}

func (s stillHeld) Enabled(context.Context, slog.Level) bool { return true }
func (s stillHeld) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s stillHeld) WithGroup(string) slog.Handler            { return s }
func (s stillHeld) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "distlock: woken, but the lock is still held" {
		select {
		case s <- struct{}{}:
		default:
		}
	}
	return nil
}

// TestPostgresSpuriousNotifyCostsARead: any PostgreSQL user can NOTIFY the
// release channel. A waiter woken while the lock is still held checks
// with a read and sleeps on; it never rewrites the holder's row (which
// would take its row lock and write WAL for every forged notification).
func TestPostgresSpuriousNotifyCostsARead(t *testing.T) {
	t.Parallel()
	tg := serverTarget(t, "postgres")
	cfg := distlock.Config{MaxTime: time.Minute, RetryInterval: 20 * time.Second}
	h, mod := setup(t, tg, cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tok, err := mod.Acquire(ctx, "busy")
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Release(context.Background(), "busy", tok)

	db, err := sql.Open(tg.DriverName, tg.DSN+"&application_name=spoofed")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	woken := make(stillHeld, 100)
	cfg.Table, cfg.Logger = h.table, slog.New(woken)
	waiter, err := distlock.New(db, tg.Dialect, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	go waiter.Acquire(wctx, "busy")
	waitWatched(ctx, t, db, h.table, "busy")
	waitListening(ctx, t, db, "spoofed", h.table)

	version := func() string {
		var xmin string
		if err := db.QueryRowContext(ctx, `SELECT xmin::text FROM "`+h.table+`" WHERE name = 'busy'`).Scan(&xmin); err != nil {
			t.Fatal(err)
		}
		return xmin
	}
	before := version()
	var ticket int64
	if err := db.QueryRowContext(ctx, `SELECT ticket FROM "`+h.table+`_queue" WHERE name = 'busy'`).Scan(&ticket); err != nil {
		t.Fatal(err)
	}
	// Notifications naming the waiter's place, as a release's would, but
	// without its Store's nonce (any user can send those), or with a
	// wrong one.
	payloads := []string{fmt.Sprintf("%d busy", ticket), fmt.Sprintf("%d:12345 busy", ticket), fmt.Sprintf("%d:0 busy", ticket)}
	const forged = 21
	for i := range forged {
		if _, err := db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, h.table+"_released", payloads[i%len(payloads)]); err != nil {
			t.Fatal(err)
		}
		select {
		case <-woken: // the waiter read, saw the lock held, and sleeps on
		case <-time.After(5 * time.Second):
			t.Fatal("the waiter did not check a forged notification within 5s")
		}
	}
	if after := version(); after != before {
		t.Fatalf("the holder's row was rewritten (xmin %s -> %s) by a waiter woken by forged notifications", before, after)
	}
}

// readTracer counts the statements of a pgx pool that read a waiter's
// state in its line (Store.Poll).
type readTracer struct{ polls atomic.Int64 }

func (r *readTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.HasPrefix(strings.TrimSpace(d.SQL), "SELECT NOT EXISTS") {
		r.polls.Add(1)
	}
	return ctx
}
func (r *readTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestPostgresVouchedReleaseNeedsNoRead: a release's NOTIFY carries the
// nonce of the Store whose place heads the line, so that Store's waiter
// takes the lock at once, without first reading that it is free: one
// round trip after the release, not two.
func TestPostgresVouchedReleaseNeedsNoRead(t *testing.T) {
	t.Parallel()
	tg := serverTarget(t, "postgres")
	cfg := distlock.Config{MaxTime: time.Minute}
	h, mod := setup(t, tg, cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	pcfg, err := pgx.ParseConfig(tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	tracer := &readTracer{}
	pcfg.Tracer = tracer
	pcfg.RuntimeParams["application_name"] = "vouched"
	db := stdlib.OpenDB(*pcfg)
	defer db.Close()
	cfg.Table = h.table
	waiter, err := distlock.New(db, tg.Dialect, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()

	for round := range 3 {
		tok, err := mod.Acquire(ctx, "handed")
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan *distlock.Lock, 1)
		go func() {
			l := waiter.Get("handed")
			if err := l.Acquire(ctx); err != nil {
				t.Error(err)
				close(got)
				return
			}
			got <- l
		}()
		waitWatched(ctx, t, db, h.table, "handed")
		waitListening(ctx, t, db, "vouched", h.table)
		time.Sleep(300 * time.Millisecond) // past the waiter's first looks
		before := tracer.polls.Load()
		if err := mod.Release(ctx, "handed", tok); err != nil {
			t.Fatal(err)
		}
		l, ok := <-got
		if !ok {
			t.FailNow()
		}
		if n := tracer.polls.Load() - before; n != 0 {
			t.Fatalf("round %d: the woken waiter read its state %d times before taking the lock", round, n)
		}
		if err := l.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// The tracer does see the waiter's reads: a notification without the
	// nonce, naming the waiter's place, makes it read.
	tok, err := mod.Acquire(ctx, "handed")
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Release(context.Background(), "handed", tok)
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	go waiter.Acquire(wctx, "handed")
	waitWatched(ctx, t, db, h.table, "handed")
	time.Sleep(300 * time.Millisecond) // past the waiter's first looks
	var ticket int64
	if err := db.QueryRowContext(ctx, `SELECT ticket FROM "`+h.table+`_queue" WHERE name = 'handed'`).Scan(&ticket); err != nil {
		t.Fatal(err)
	}
	before := tracer.polls.Load()
	if _, err := db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, h.table+"_released", fmt.Sprintf("%d handed", ticket)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); tracer.polls.Load() == before; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the tracer saw no read after a notification without the nonce: it counts nothing")
		}
	}
}
