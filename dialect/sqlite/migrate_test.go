package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect/sqlite"
	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/migrations"
)

// Several processes migrating a new file at once (cron jobs starting
// together) all succeed and leave a usable table, round after round.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	const processes, rounds = 6, 10
	for round := range rounds {
		path := filepath.Join(t.TempDir(), "new.db")
		var wg sync.WaitGroup
		errs := make(chan error, processes)
		for range processes {
			wg.Go(func() {
				db, err := sqlite.Open(path)
				if err != nil {
					errs <- err
					return
				}
				defer db.Close()
				mod, err := distlock.New(db, sqlite.Dialect(), distlock.Config{})
				if err != nil {
					errs <- err
					return
				}
				defer mod.Close()
				if err := mod.Migrate(t.Context()); err != nil {
					errs <- err
					return
				}
				if err := mod.Get("job").Do(t.Context(), func(context.Context) error { return nil }); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// migrateFile opens a fresh file, runs setup on it (SQL of the test's
// own), and returns the pool and a Module for table on it.
func migrateFile(t *testing.T, table string, setup ...string) (*sql.DB, *distlock.Module) {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, q := range setup {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mod, err := distlock.New(db, sqlite.Dialect(), distlock.Config{Table: table})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mod.Close() })
	return db, mod
}

// golangMigrateTable is the version table as golang-migrate's SQLite
// driver (the migrate CLI, earlier versions of distlock) creates it.
const golangMigrateTable = `CREATE TABLE distlock_schema_migrations (version uint64,dirty bool);
CREATE UNIQUE INDEX version_unique ON distlock_schema_migrations (version)`

// objects lists the tables and indexes of the file, but the version table's.
func objects(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE name NOT LIKE '%schema_migrations%' AND name NOT LIKE 'sqlite_%' AND name != 'version_unique' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return names
}

// versionRows returns the rows of table's version table.
func versionRows(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version, dirty FROM "`+migrations.VersionTable(table)+`"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var v int64
		var dirty bool
		if err := rows.Scan(&v, &dirty); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d dirty=%v", v, dirty))
	}
	return got
}

var allObjects = []string{"distlock", "distlock_fence_floor", "distlock_meta", "distlock_queue", "distlock_queue_name_idx"}

// latest is the version row of a file migrated to the newest version.
func latest(t *testing.T) []string {
	t.Helper()
	ups, err := migrations.Ups("sqlite", "distlock")
	if err != nil {
		t.Fatal(err)
	}
	return []string{fmt.Sprintf("%d dirty=false", ups[len(ups)-1].Version)}
}

// A file that the migrate CLI (or an earlier distlock, through
// golang-migrate) brought to version 2 is carried forward from 3: the
// first two migrations are not run again (here the file has only their
// lock table, without the meta table and trigger they made, which shows
// it), and the version row is golang-migrate's.
func TestMigrateContinuesGolangMigrateVersion(t *testing.T) {
	t.Parallel()
	db, mod := migrateFile(t, "distlock", golangMigrateTable, `INSERT INTO distlock_schema_migrations (version, dirty) VALUES (2, false)`,
		`CREATE TABLE distlock (name TEXT NOT NULL PRIMARY KEY, token_hash BLOB NOT NULL, owner TEXT NOT NULL DEFAULT '',
			holds INTEGER NOT NULL, fence INTEGER NOT NULL, acquired_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)`)
	if err := mod.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := objects(t, db), []string{"distlock", "distlock_queue", "distlock_queue_name_idx"}; !slices.Equal(got, want) {
		t.Errorf("objects %q, want the lock table and migration 3's %q", got, want)
	}
	if got := versionRows(t, db, "distlock"); !slices.Equal(got, latest(t)) {
		t.Errorf("version rows %q, want %q", got, latest(t))
	}
}

// A dirty version is run again, and those after it.
func TestMigrateRerunsDirtyVersion(t *testing.T) {
	t.Parallel()
	db, mod := migrateFile(t, "distlock", golangMigrateTable, `INSERT INTO distlock_schema_migrations (version, dirty) VALUES (1, true)`)
	if err := mod.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := objects(t, db); !slices.Equal(got, allObjects) {
		t.Errorf("objects %q, want %q", got, allObjects)
	}
	if got := versionRows(t, db, "distlock"); !slices.Equal(got, latest(t)) {
		t.Errorf("version rows %q, want %q", got, latest(t))
	}
}

// A second Migrate runs nothing: an object a migration created (the
// line's table, migration 3), dropped in between, stays dropped.
func TestMigrateTwiceIsANoop(t *testing.T) {
	t.Parallel()
	db, mod := migrateFile(t, "jobs_lock")
	if err := mod.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := versionRows(t, db, "jobs_lock"); !slices.Equal(got, latest(t)) {
		t.Fatalf("version rows %q after the first Migrate", got)
	}
	if _, err := db.ExecContext(t.Context(), `DROP TABLE jobs_lock_queue`); err != nil {
		t.Fatal(err)
	}
	if err := mod.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM sqlite_master WHERE name = 'jobs_lock_queue'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Error("the second Migrate ran the last migration again")
	}
}

// A migration that fails leaves the file as it was: no object of it, no
// dirty version (the session is one transaction).
func TestMigrateFailureRollsBack(t *testing.T) {
	t.Parallel()
	// Migration 3's index name taken by a table: its CREATE INDEX fails
	// after its CREATE TABLE ran.
	db, mod := migrateFile(t, "distlock", golangMigrateTable,
		`INSERT INTO distlock_schema_migrations (version, dirty) VALUES (2, false)`,
		`CREATE TABLE distlock_queue_name_idx (x)`)
	err := mod.Migrate(t.Context())
	if err == nil || !strings.Contains(err.Error(), "0003_") {
		t.Fatalf("Migrate = %v, want migration 3's failure", err)
	}
	if got, want := objects(t, db), []string{"distlock_queue_name_idx"}; !slices.Equal(got, want) {
		t.Errorf("objects %q, want %q", got, want)
	}
	if got := versionRows(t, db, "distlock"); !slices.Equal(got, []string{"2 dirty=false"}) {
		t.Errorf("version rows %q", got)
	}
}

// Migrate waits for another connection's write transaction (a Migrate of
// another process) rather than run beside it.
func TestMigrateWaitsForWriter(t *testing.T) {
	t.Parallel()
	db, mod := migrateFile(t, "distlock")
	// Up to date first: a Migrate that read the version outside the write
	// transaction (a deferred BEGIN) would then find nothing to do and
	// return at once, reading beside the writer.
	if err := mod.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mod.Migrate(t.Context()) }()
	select {
	case err := <-done:
		t.Fatalf("Migrate returned %v while another connection held the write lock", err)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := conn.ExecContext(t.Context(), "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Migrate after the writer committed: %v", err)
	}
}
