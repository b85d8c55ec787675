package integration

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect/dialecttest"
	"github.com/distlock/distlock/dialect/postgres"
	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/dsn"
)

// pgbouncerEnv names a postgres:// URL that reaches PostgreSQL through
// PgBouncer in transaction pooling mode (.ci/fixtures/pgbouncer.sh).
const pgbouncerEnv = "DISTLOCK_TEST_PGBOUNCER_URL"

// pgbouncerTarget returns the PostgreSQL database behind PgBouncer, with
// the plain DSN a user would write (no exec-mode parameter), or skips —
// or fails, under DISTLOCK_REQUIRE_DB=1 — when none is configured. Its
// Name is "postgres": it is that dialect, through a pooler.
func pgbouncerTarget(t *testing.T) target {
	t.Helper()
	url := os.Getenv(pgbouncerEnv)
	if url == "" {
		skipOrFail(t, "no PgBouncer to test against: %s is not set (start one with .ci/fixtures/pgbouncer.sh start)", pgbouncerEnv)
	}
	d, err := dsn.Parse(url)
	if err != nil {
		t.Fatalf("%s: %v", pgbouncerEnv, err)
	}
	if d.Dialect != "postgres" {
		t.Fatalf("%s names a %s database, want postgres", pgbouncerEnv, d.Dialect)
	}
	tg := target{Name: "postgres", Dialect: postgres.Dialect(), DriverName: d.DriverName, DSN: d.DriverDSN}
	pgbouncerPing.Do(func() {
		db, err := sql.Open(tg.DriverName, tg.DSN)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
		}
		pgbouncerPingErr = err
	})
	if pgbouncerPingErr != nil {
		t.Fatalf("PgBouncer (%s) is unreachable: %v", pgbouncerEnv, pgbouncerPingErr)
	}
	return tg
}

var (
	pgbouncerPing    sync.Once
	pgbouncerPingErr error
)

// The conformance suite, unchanged, through PgBouncer's transaction
// pooling with a plain postgres:// DSN: pgx's default statement cache
// must not break it, nor may Migrate strand a session lock.
func TestConformancePgBouncer(t *testing.T) {
	t.Parallel()
	tg := pgbouncerTarget(t)
	dialecttest.Run(t, dialecttest.Harness{
		Dialect:    tg.Dialect,
		DriverName: tg.DriverName,
		DSN:        func(*testing.T) string { return tg.DSN },
		// The suite's own SQL, not the Modules', runs in a pooler-safe
		// mode: the test reads the table with pgx directly.
		RawDSN: func(dsn string) string { return withParam(dsn, "default_query_exec_mode=exec") },
		Pooled: true,
	})
}

// Many Modules, each on a pool of its own, hammer a few locks through
// PgBouncer with a plain DSN: server connections are shared, so pgx's
// named statements collide (42P05, 26000) until each Store switches to a
// pooler-safe mode. No operation may fail.
func TestPgBouncerStatementsNeverFail(t *testing.T) {
	t.Parallel()
	tg := pgbouncerTarget(t)
	const modules, rounds = 8, 30
	cfg := distlock.Config{MaxTime: 10 * time.Second, RetryInterval: 5 * time.Millisecond}
	h, first := setup(t, tg, cfg)
	cfg.Table = h.table
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	mods := []*distlock.Module{first}
	for range modules - 1 {
		db, err := sql.Open(tg.DriverName, tg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		mod, err := distlock.New(db, tg.Dialect, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mod.Close() })
		mods = append(mods, mod)
	}
	var wg sync.WaitGroup
	errs := make(chan error, modules*rounds)
	for i, mod := range mods {
		wg.Go(func() {
			for r := range rounds {
				name := []string{"a", "b", "c"}[(i+r)%3]
				l := mod.Get(name)
				err := l.Do(ctx, func(ctx context.Context) error {
					if _, err := mod.Inspect(ctx, name); err != nil {
						return err
					}
					if err := l.Acquire(ctx); err != nil { // re-entry
						return err
					}
					if err := l.Extend(ctx); err != nil {
						return err
					}
					return l.Release(ctx)
				})
				if err == nil {
					_, err = mod.List(ctx)
				}
				if err == nil && r%10 == 0 {
					_, err = mod.Vacuum(ctx)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		var dbErr *distlock.DBError
		if errors.As(err, &dbErr) {
			t.Errorf("%s: %v", dbErr.Op, err)
		} else {
			t.Error(err)
		}
	}
}

// withParam adds a key=value parameter to a postgres:// URL.
func withParam(url, param string) string {
	if strings.Contains(url, "?") {
		return url + "&" + param
	}
	return url + "?" + param
}
