package integration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

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

// version returns the version of the migration whose file name has
// title in it.
func (c versionCase) version(t *testing.T, title string) int64 {
	t.Helper()
	ups, err := migrations.Ups(c.tg.Name, c.table)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ups {
		if strings.Contains(m.Name, title) {
			return m.Version
		}
	}
	t.Fatalf("no %s migration named after %q", c.tg.Name, title)
	return 0
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
				// A database at the version before the queue's migration
				// (made by migrating it all, then dropping the queue and
				// an object of the first migration, and stamping it so).
				c := newVersionCase(t, name)
				c.migrate(t)
				queue := c.version(t, "queue")
				first := c.table + "_fence_seq" // PostgreSQL's first migration makes it
				if name == "mysql" {
					first = c.table + "_meta" // MySQL's second
				}
				for _, drop := range []string{"DROP TABLE " + c.quote(c.table+"_queue"),
					"DROP " + map[string]string{"postgres": "SEQUENCE ", "mysql": "TABLE "}[name] + c.quote(first),
					"DROP TABLE " + c.quote(migrations.VersionTable(c.table))} {
					if _, err := c.db.ExecContext(t.Context(), drop); err != nil {
						t.Fatalf("%s: %v", drop, err)
					}
				}
				c.stamp(t, queue-1, false)
				c.migrate(t)
				if c.exists(t, first) || !c.exists(t, c.table+"_queue") {
					t.Errorf("after Migrate from version %d: %s %v, queue %v; want the queue's migration and those after it run, none before",
						queue-1, first, c.exists(t, first), c.exists(t, c.table+"_queue"))
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

// migrateEndsWithCtx runs mod.Migrate, while another session holds the
// migration lock, with a ctx that ends after `after`, by deadline and by
// cancel: Migrate must fail with an error matching ctx's, within slack
// of the end.
func migrateEndsWithCtx(t *testing.T, mod *distlock.Module, after, slack time.Duration) {
	t.Helper()
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), after)
		}, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(after, cancel)
			return ctx, cancel
		}, context.Canceled},
	} {
		ctx, cancel := tc.ctx()
		start := time.Now()
		err := mod.Migrate(ctx)
		took := time.Since(start)
		cancel()
		if err == nil {
			t.Fatalf("%s: Migrate succeeded while another session held the migration lock", tc.name)
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Migrate's error does not match %v: %v", tc.name, tc.want, err)
		}
		if took > after+slack {
			t.Errorf("%s: Migrate returned %v after its ctx ended (%v)", tc.name, took-after, err)
		}
	}
}
