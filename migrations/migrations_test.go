package migrations

import (
	"bytes"
	"database/sql"
	"errors"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/distlock/distlock/dialect"
)

const (
	upFile   = "0001_create_distlock.up.sql"
	downFile = "0001_create_distlock.down.sql"
)

// sqliteFiles lists the embedded SQLite migrations, sorted: up files by
// version in ups, down files by version in downs.
func sqliteFiles(t *testing.T) (all, ups, downs []string) {
	t.Helper()
	entries, err := fs.ReadDir(files, "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		all = append(all, e.Name())
		if strings.HasSuffix(e.Name(), ".up.sql") {
			ups = append(ups, e.Name())
		} else {
			downs = append(downs, e.Name())
		}
	}
	if len(ups) < 2 || len(ups) != len(downs) {
		t.Fatalf("embedded SQLite migrations: %q", all)
	}
	return all, ups, downs
}

var wordDistlock = regexp.MustCompile(`\bdistlock`)

func TestRenameDefaultTableIsIdentity(t *testing.T) {
	t.Parallel()
	in := []byte("CREATE TABLE distlock (x); CREATE TABLE distlock_meta (y); -- mydistlock")
	if got := Rename(in, dialect.DefaultTable, `"`); !bytes.Equal(got, in) {
		t.Fatalf("Rename(_, distlock) = %q, want it unchanged", got)
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	for d, want := range map[string]string{"sqlite": `"`, "postgres": `"`, "mysql": "`"} {
		if got := Quote(d); got != want {
			t.Errorf("Quote(%s) = %s, want %s", d, got, want)
		}
	}
}

func TestRename(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"distlock", `"jobs_lock"`},
		{"CREATE TABLE distlock (", `CREATE TABLE "jobs_lock" (`},
		{"distlock_meta", `"jobs_lock_meta"`},
		{"distlock_expires_at_idx ON distlock (expires_at)", `"jobs_lock_expires_at_idx" ON "jobs_lock" (expires_at)`},
		{"TRIGGER distlock_fence_floor AFTER DELETE ON distlock", `TRIGGER "jobs_lock_fence_floor" AFTER DELETE ON "jobs_lock"`},
		{"distlock_schema_migrations", `"jobs_lock_schema_migrations"`},
		{"distlock.name, (distlock), distlock-x", `"jobs_lock".name, ("jobs_lock"), "jobs_lock"-x`},
		{"deleted from distlock.\n", "deleted from \"jobs_lock\".\n"},
		{"distlock_v2", `"jobs_lock_v2"`},
		// Not whole words, or not the default table's objects: untouched.
		{"mydistlock", "mydistlock"},
		{"distlocks", "distlocks"},
		{"x_distlock", "x_distlock"},
		{"distlock2", "distlock2"},
		{"DISTLOCK", "DISTLOCK"},
		{"distlock_Meta", "distlock_Meta"},
		{"distlock_", "distlock_"},
		{"distlock__x", "distlock__x"},
		{"distlock_meta_", "distlock_meta_"},
		{"token_hash fence_floor", "token_hash fence_floor"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := string(Rename([]byte(tt.in), "jobs_lock", `"`)); got != tt.want {
				t.Fatalf("Rename(%q, jobs_lock) = %q, want %q", tt.in, got, tt.want)
			}
			// MySQL's quote, and a table named like a keyword.
			want := strings.ReplaceAll(strings.ReplaceAll(tt.want, `"`, "`"), "jobs_lock", "order")
			if got := string(Rename([]byte(tt.in), "order", "`")); got != want {
				t.Fatalf("Rename(%q, order, `) = %q, want %q", tt.in, got, want)
			}
		})
	}
}

// TestRenameEmbeddedFiles: in the real files every "distlock" is a whole
// word naming one of the table's objects.
func TestRenameEmbeddedFiles(t *testing.T) {
	t.Parallel()
	r := strings.NewReplacer( // longest first
		"distlock_expires_at_idx", `"jobs_lock_expires_at_idx"`,
		"distlock_fence_floor", `"jobs_lock_fence_floor"`,
		"distlock_queue_name_idx", `"jobs_lock_queue_name_idx"`,
		"distlock_queue", `"jobs_lock_queue"`,
		"distlock_meta", `"jobs_lock_meta"`,
		"distlock", `"jobs_lock"`,
	)
	all, _, _ := sqliteFiles(t)
	for _, name := range all {
		src, err := fs.ReadFile(files, path.Join("sqlite", name))
		if err != nil {
			t.Fatal(err)
		}
		got := string(Rename(src, "jobs_lock", `"`))
		if want := r.Replace(string(src)); got != want {
			t.Errorf("%s: Rename gave\n%s\nwant\n%s", name, got, want)
		}
		if name != upFile && name != downFile {
			continue // the first migration names every object
		}
		for _, obj := range []string{`"jobs_lock"`, `"jobs_lock_meta"`, `"jobs_lock_expires_at_idx"`, `"jobs_lock_fence_floor"`} {
			if !strings.Contains(got, obj) {
				t.Errorf("%s: rendered SQL lacks %s", name, obj)
			}
		}
	}
}

func TestUpsRendered(t *testing.T) {
	t.Parallel()
	for _, table := range []string{"distlock", "jobs_lock"} {
		ups, err := Ups("sqlite", table)
		if err != nil {
			t.Fatalf("Ups(sqlite, %s) = %v", table, err)
		}
		var names []string
		for _, m := range ups {
			names = append(names, m.Name)
			if hasWord := wordDistlock.MatchString(m.SQL); hasWord != (table == "distlock") {
				t.Errorf("%s for %s: holds the word distlock = %v", m.Name, table, hasWord)
			}
			if !strings.Contains(m.SQL, table) {
				t.Errorf("%s for %s does not name the table", m.Name, table)
			}
		}
		if _, want, _ := sqliteFiles(t); !slices.Equal(names, want) {
			t.Errorf("Ups(sqlite, %s) = %q, want the embedded up files %q", table, names, want)
		}
	}
}

func TestUpsErrors(t *testing.T) {
	t.Parallel()
	if _, err := Ups("nosuch", "x"); err == nil {
		t.Error("Ups(nosuch, x) did not fail")
	}
	if _, err := Ups("", "distlock"); err == nil {
		t.Error(`Ups("", distlock) did not fail`)
	}
	for _, table := range []string{"Bad", "", "x; drop table y", `"x"`} {
		if _, err := Ups("sqlite", table); !errors.Is(err, dialect.ErrInvalidTable) {
			t.Errorf("Ups(sqlite, %q) = %v, want dialect.ErrInvalidTable", table, err)
		}
	}
	if got := VersionTable("jobs_lock"); got != "jobs_lock_schema_migrations" {
		t.Errorf("VersionTable(jobs_lock) = %q", got)
	}
}

func TestUps(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"sqlite", "postgres", "mysql"} {
		for _, table := range []string{"distlock", "jobs_lock"} {
			ups, err := Ups(d, table)
			if err != nil {
				t.Fatalf("Ups(%s, %s) = %v", d, table, err)
			}
			entries, err := fs.ReadDir(files, d)
			if err != nil {
				t.Fatal(err)
			}
			if len(ups) < 3 || 2*len(ups) != len(entries) {
				t.Fatalf("Ups(%s, %s): %d migrations of %d files", d, table, len(ups), len(entries))
			}
			for i, m := range ups {
				// Numbered 1, 2, 3…, in order, each its up file rendered.
				if m.Version != int64(i+1) || !strings.HasSuffix(m.Name, ".up.sql") {
					t.Errorf("Ups(%s, %s)[%d] = version %d, %s", d, table, i, m.Version, m.Name)
				}
				raw, err := fs.ReadFile(files, path.Join(d, m.Name))
				if err != nil {
					t.Fatal(err)
				}
				if want := string(Rename(raw, table, Quote(d))); m.SQL != want {
					t.Errorf("Ups(%s, %s): %s is not its rendered file", d, table, m.Name)
				}
			}
			quoted := Quote(d) + table + Quote(d)
			if table == dialect.DefaultTable {
				quoted = table
			}
			if !strings.Contains(ups[0].SQL, "CREATE TABLE IF NOT EXISTS "+quoted+" (") {
				t.Errorf("Ups(%s, %s)[0] does not create the table:\n%s", d, table, ups[0].SQL)
			}
		}
	}
	if _, err := Ups("nosuch", "distlock"); err == nil {
		t.Error("Ups(nosuch) did not fail")
	}
}

func TestFileVersion(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]int64{"0001_a.up.sql": 1, "0042_x_y.up.sql": 42, "7_t.up.sql": 7, "20240101120000_ts.up.sql": 20240101120000} {
		if got, err := fileVersion(name); got != want || err != nil {
			t.Errorf("fileVersion(%q) = %d, %v; want %d", name, got, err, want)
		}
	}
	for _, name := range []string{"a_b.up.sql", "0001.up.sql", "_x.up.sql", "-1_x.up.sql"} {
		if _, err := fileVersion(name); err == nil {
			t.Errorf("fileVersion(%q) did not fail", name)
		}
	}
}

// TestRenderedSQLRuns applies the rendered files to SQLite: up creates
// only objects named after the table, down removes them all.
func TestRenderedSQLRuns(t *testing.T) {
	t.Parallel()
	for _, table := range []string{"jobs_lock", "order"} {
		t.Run(table, func(t *testing.T) {
			t.Parallel()
			testRenderedSQLRuns(t, table)
		})
	}
}

func testRenderedSQLRuns(t *testing.T, table string) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	objects := func() []string {
		rows, err := db.Query(`SELECT name FROM sqlite_master ORDER BY name`)
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
	_, ups, downs := sqliteFiles(t)
	slices.Reverse(downs)
	for i, file := range append(ups, downs...) {
		data, err := render("sqlite", table, file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(data)); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		got := objects()
		var want []string
		switch {
		case i < len(ups)-1: // checked after the last up
			continue
		case i == len(ups)-1:
			want = []string{table, table + "_fence_floor", table + "_meta", table + "_queue", table + "_queue_name_idx", "sqlite_autoindex_" + table + "_1"}
			slices.Sort(want)
		case i < len(ups)+len(downs)-1:
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("after %s: objects %q, want %q", file, got, want)
		}
	}
}

// Every object the migrations name after the table has its suffix in
// dialect.ObjectSuffixes, so that ValidTable refuses a lock table named
// like another lock table's object.
func TestObjectSuffixesComplete(t *testing.T) {
	t.Parallel()
	known := map[string]bool{}
	for _, s := range dialect.ObjectSuffixes {
		known[s] = true
	}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		for _, m := range objectName.FindAllSubmatch(data, -1) {
			if suffix := string(m[1]); suffix != "" && !known[suffix] {
				t.Errorf("%s names an object distlock%s, but %q is not in dialect.ObjectSuffixes", p, suffix, suffix)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := dialect.ValidTable("jobs_fence_seq"); !errors.Is(err, dialect.ErrInvalidTable) {
		t.Errorf("ValidTable(jobs_fence_seq) = %v, want ErrInvalidTable", err)
	}
}
