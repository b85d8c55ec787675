package integration

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	_ "github.com/lib/pq" // registers "postgres": Migrate must work on any driver

	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/migrations"
)

// migrateKeys returns golang-migrate's advisory lock keys for table's
// version table in db's current schema: as its drivers opened by URL (the
// migrate CLI) compute it, and as those made WithInstance do.
func migrateKeys(t *testing.T, db *sql.DB, table string) []int64 {
	t.Helper()
	var dbName, schema string
	if err := db.QueryRowContext(t.Context(), `SELECT current_database(), current_schema()`).Scan(&dbName, &schema); err != nil {
		t.Fatal(err)
	}
	var keys []int64
	for _, name := range []string{"/" + dbName, dbName} {
		key, err := database.GenerateAdvisoryLockId(name, schema, migrations.VersionTable(table))
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, n)
	}
	return keys
}

// advisoryLocks counts the advisory locks on keys, and the advisory locks
// of this database held by sessions that are idle (not in a transaction):
// locks stranded on pooled server connections.
func advisoryLocks(t *testing.T, db *sql.DB, keys []int64) (onKeys, idleHeld int) {
	t.Helper()
	err := db.QueryRowContext(t.Context(), `SELECT
		(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1
			AND ((classid::bigint << 32) | objid::bigint) = ANY ($1)),
		(SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND a.datname = current_database() AND a.state = 'idle')`, keys).Scan(&onKeys, &idleHeld)
	if err != nil {
		t.Fatal(err)
	}
	return onKeys, idleHeld
}

// rawPG opens a pool for the test's own SQL on tg: behind PgBouncer in a
// pooler-safe exec mode (the Modules under test use the plain DSN).
func rawPG(t *testing.T, tg target) *sql.DB {
	return openDB(t, tg.DriverName, withParam(tg.DSN, "default_query_exec_mode=exec"))
}

// Three Migrates at once through PgBouncer, twice, all finish, and no
// advisory lock is left behind on a pooled server connection.
// golang-migrate's own driver took a session lock and unlocked it on
// another server connection, so later Migrates hung for ever.
func TestPgBouncerConcurrentMigrates(t *testing.T) {
	t.Parallel()
	tg := pgbouncerTarget(t)
	table := randomName("mig_")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	for round := range 2 {
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		for range 3 {
			wg.Go(func() {
				db, err := sql.Open(tg.DriverName, tg.DSN)
				if err != nil {
					errs <- err
					return
				}
				defer db.Close()
				mod, err := distlock.New(db, tg.Dialect, distlock.Config{Table: table})
				if err != nil {
					errs <- err
					return
				}
				defer mod.Close()
				errs <- mod.Migrate(ctx)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: Migrate: %v", round, err)
			}
		}
	}
	raw := rawPG(t, tg)
	if onKey, idle := advisoryLocks(t, raw, migrateKeys(t, raw, table)); onKey != 0 || idle != 0 {
		t.Fatalf("after the Migrates: %d advisory locks on the migration key, %d held by idle sessions", onKey, idle)
	}
}

// A Migrate waiting for another session's migration lock returns when
// its ctx ends, and runs once the lock is free.
func TestPostgresMigrateHonoursContext(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"direct", "pgbouncer"} {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			tg := postgresVia(t, via)
			table := randomName("mig_")
			raw := rawPG(t, tg)
			keys := migrateKeys(t, raw, table)
			tx, err := raw.BeginTx(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			// The key of golang-migrate's drivers made WithInstance, as
			// earlier versions of distlock held it.
			if _, err := tx.ExecContext(t.Context(), `SELECT pg_advisory_xact_lock($1)`, keys[1]); err != nil {
				t.Fatal(err)
			}
			mod, err := distlock.New(openDB(t, tg.DriverName, tg.DSN), tg.Dialect, distlock.Config{Table: table})
			if err != nil {
				t.Fatal(err)
			}
			defer mod.Close()

			migrateEndsWithCtx(t, mod, 500*time.Millisecond, 5*time.Second)
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if err := mod.Migrate(ctx); err != nil {
				t.Fatalf("Migrate once the lock is free: %v", err)
			}
			if onKey, _ := advisoryLocks(t, raw, keys); onKey != 0 {
				t.Errorf("%d advisory locks on the migration key after Migrate", onKey)
			}
		})
	}
}

// postgresVia returns the PostgreSQL target directly or through PgBouncer.
func postgresVia(t *testing.T, via string) target {
	if via == "pgbouncer" {
		return pgbouncerTarget(t)
	}
	return serverTarget(t, "postgres")
}

// Migrate works on a *sql.DB of any driver (here lib/pq), directly and
// through PgBouncer, and leaves golang-migrate's version table behind.
func TestPostgresMigrateAnyDriver(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"direct", "pgbouncer"} {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			tg := postgresVia(t, via)
			table := randomName("pq_")
			db := openDB(t, "postgres", tg.DSN) // lib/pq
			mod, err := distlock.New(db, tg.Dialect, distlock.Config{Table: table})
			if err != nil {
				t.Fatal(err)
			}
			defer mod.Close()
			for range 2 {
				if err := mod.Migrate(t.Context()); err != nil {
					t.Fatalf("Migrate on lib/pq: %v", err)
				}
			}
			var version int
			var dirty bool
			if err := db.QueryRowContext(t.Context(), `SELECT version, dirty FROM "`+migrations.VersionTable(table)+`"`).Scan(&version, &dirty); err != nil {
				t.Fatal(err)
			}
			if version < 2 || dirty {
				t.Fatalf("version table: version %d, dirty %v", version, dirty)
			}
			// The table works, from pgx.
			other, err := distlock.New(openDB(t, tg.DriverName, tg.DSN), tg.Dialect, distlock.Config{Table: table})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			tok, err := other.TryAcquire(t.Context(), "after-pq")
			if err != nil {
				t.Fatal(err)
			}
			if err := other.Release(t.Context(), "after-pq", tok); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Module.Migrate and golang-migrate's own pgx driver (what the migrate
// CLI runs) share the version table and exclude each other with the same
// advisory lock key.
func TestPostgresMigrateSharesCLILock(t *testing.T) {
	t.Parallel()
	tg := serverTarget(t, "postgres")
	dsn, cliURL := pgSchema(t, tg)
	mod, err := distlock.New(openDB(t, tg.DriverName, dsn), tg.Dialect, distlock.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close()

	m, err := migrate.New("file://../migrations/postgres", cliURL+"x-migrations-table=distlock_schema_migrations")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// Hold the CLI driver's session lock, as a running `migrate up` does.
	drv, err := database.Open(cliURL + "x-migrations-table=distlock_schema_migrations")
	if err != nil {
		t.Fatal(err)
	}
	defer drv.Close()
	if err := drv.Lock(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	err = mod.Migrate(ctx)
	cancel()
	if err == nil {
		t.Fatal("Module.Migrate ran while the migrate tool held its lock")
	}
	if err := drv.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := mod.Migrate(t.Context()); err != nil {
		t.Fatalf("Module.Migrate: %v", err)
	}
	version, dirty, err := m.Version()
	if err != nil || dirty || version < 2 {
		t.Fatalf("the migrate tool reads version %d, dirty %v, %v", version, dirty, err)
	}
	if err := m.Up(); !errors.Is(err, migrate.ErrNoChange) {
		t.Fatalf("the migrate tool after Module.Migrate: %v, want no change", err)
	}
}
