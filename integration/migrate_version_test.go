package integration

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/migrations"
)

// versionCase is a lock table on a server with a version table of its
// own, in golang-migrate's format.
type versionCase struct {
	tg    target
	db    *sql.DB
	table string
	last  int64 // the newest migration's version
}

func newVersionCase(t *testing.T, name string) versionCase {
	t.Helper()
	tg := serverTarget(t, name)
	c := versionCase{tg: tg, db: openDB(t, tg.DriverName, tg.DSN), table: randomName("ver_")}
	ups, err := migrations.Ups(name, c.table)
	if err != nil {
		t.Fatal(err)
	}
	c.last = ups[len(ups)-1].Version
	t.Cleanup(func() {
		for _, suffix := range []string{"", "_meta", "_queue", "_schema_migrations"} {
			c.db.Exec("DROP TABLE IF EXISTS " + c.quote(c.table+suffix))
		}
		if name == "postgres" {
			c.db.Exec("DROP SEQUENCE IF EXISTS " + c.quote(c.table+"_fence_seq"))
			c.db.Exec("DROP SEQUENCE IF EXISTS " + c.quote(c.table+"_ticket_seq"))
		}
	})
	return c
}

func (c versionCase) quote(name string) string {
	q := migrations.Quote(c.tg.Name)
	return q + name + q
}

// stamp creates the version table as golang-migrate's drivers do and
// records version.
func (c versionCase) stamp(t *testing.T, version int64, dirty bool) {
	t.Helper()
	vt := c.quote(migrations.VersionTable(c.table))
	for _, q := range []string{
		"CREATE TABLE " + vt + " (version bigint not null primary key, dirty boolean not null)",
		fmt.Sprintf("INSERT INTO %s (version, dirty) VALUES (%d, %v)", vt, version, dirty),
	} {
		if _, err := c.db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func (c versionCase) migrate(t *testing.T) {
	t.Helper()
	mod, err := distlock.New(c.db, c.tg.Dialect, distlock.Config{Table: c.table})
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close()
	if err := mod.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
}

// exists reports whether the table name exists.
func (c versionCase) exists(t *testing.T, name string) bool {
	t.Helper()
	var ok bool
	var err error
	if c.tg.Name == "postgres" {
		err = c.db.QueryRowContext(t.Context(), "SELECT to_regclass($1) IS NOT NULL", c.quote(name)).Scan(&ok)
	} else {
		err = c.db.QueryRowContext(t.Context(), "SELECT count(*) > 0 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?", name).Scan(&ok)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// wantVersion checks that the version table holds one row, the newest
// version, clean.
func (c versionCase) wantVersion(t *testing.T) {
	t.Helper()
	rows, err := c.db.QueryContext(t.Context(), "SELECT version, dirty FROM "+c.quote(migrations.VersionTable(c.table)))
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
	if want := fmt.Sprintf("%d dirty=false", c.last); len(got) != 1 || got[0] != want {
		t.Errorf("version rows %q, want %q", got, want)
	}
}

// The runner reads and writes golang-migrate's version table: a table
// stamped by the migrate CLI is carried forward from the next version
// (here the earlier migrations' tables are missing, which shows that
// they were not run again), a dirty version is run again, and a second
// Migrate runs nothing.
func TestMigrateVersionTable(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"postgres", "mysql"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			t.Run("stamped", func(t *testing.T) {
				t.Parallel()
				c := newVersionCase(t, name)
				c.stamp(t, c.last-1, false)
				c.migrate(t)
				if c.exists(t, c.table) || !c.exists(t, c.table+"_queue") {
					t.Errorf("after Migrate from version %d: table %v, queue %v; want only the last migration's queue",
						c.last-1, c.exists(t, c.table), c.exists(t, c.table+"_queue"))
				}
				c.wantVersion(t)
			})
			t.Run("dirty", func(t *testing.T) {
				t.Parallel()
				c := newVersionCase(t, name)
				c.stamp(t, 1, true)
				c.migrate(t)
				if !c.exists(t, c.table) || !c.exists(t, c.table+"_queue") {
					t.Error("the dirty first migration or a later one was not run")
				}
				c.wantVersion(t)
			})
			t.Run("twice", func(t *testing.T) {
				t.Parallel()
				c := newVersionCase(t, name)
				c.migrate(t)
				c.wantVersion(t)
				if _, err := c.db.ExecContext(t.Context(), "DROP TABLE "+c.quote(c.table+"_queue")); err != nil {
					t.Fatal(err)
				}
				c.migrate(t)
				if c.exists(t, c.table+"_queue") {
					t.Error("the second Migrate ran the last migration again")
				}
				c.wantVersion(t)
			})
		})
	}
}
