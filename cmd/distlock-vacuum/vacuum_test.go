package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/distlock/distlock/dialect/sqlite"
	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/internal/clitest"
)

var lineRE = regexp.MustCompile(`^removed ([0-9]+) free locks? in [0-9.]+(µs|ms|s)\n$`)

func TestVacuum(t *testing.T) {
	t.Parallel()
	forEachDatabase(t, func(t *testing.T, db *database) {
		db.expired(t, 5)
		r := vacuumBin(t, nil, db.args("--batch", "2")...)
		if r.code != 0 || r.stderr != "" || !lineRE.MatchString(r.stdout) || lineRE.FindStringSubmatch(r.stdout)[1] != "5" {
			t.Fatalf("%v; want removed 5", r)
		}
		if _, err := db.mod.Inspect(context.Background(), "live"); err != nil {
			t.Errorf("the held lock: %v", err)
		}

		db.expired(t, 2)
		r = vacuumBin(t, nil, db.args("--json")...)
		var res result
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != 0 || !oneLineOn(r.stdout) {
			t.Fatalf("--json: %v (%v)", r, err)
		}
		if res.Removed != 2 || res.Table != db.table || res.Dialect != db.name || res.Seconds <= 0 {
			t.Errorf("--json = %+v", res)
		}

		db.expired(t, 1)
		if r := vacuumBin(t, nil, db.args("--quiet")...); r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Errorf("--quiet: %v", r)
		}
		if _, err := db.mod.Inspect(context.Background(), "old-0"); !errors.Is(err, distlock.ErrNotHeld) {
			t.Errorf("old-0 after --quiet: %v", err)
		}
	})
}

func TestVacuumEnvironment(t *testing.T) {
	t.Parallel()
	a, b := newDatabase(t, "sqlite"), newDatabase(t, "sqlite")
	a.expired(t, 1)
	b.expired(t, 2)
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"DISTLOCK_DSN wins", []string{"DISTLOCK_DSN=" + a.dsn, "DATABASE_URL=" + b.dsn}, "1"},
		{"DATABASE_URL", []string{"DATABASE_URL=" + b.dsn}, "2"},
	} {
		r := vacuumBin(t, tc.env)
		if m := lineRE.FindStringSubmatch(r.stdout); r.code != 0 || m == nil || m[1] != tc.want {
			t.Errorf("%s: %v, want removed %s", tc.name, r, tc.want)
		}
	}
	// Without any, the distlock command's default SQLite file: refused
	// while no lock was ever taken there, vacuumed once it exists.
	state := filepath.Join(t.TempDir(), "state")
	if r := vacuumBin(t, []string{"XDG_STATE_HOME=" + state}); r.code != 1 || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("default database, missing: %v", r)
	}
	path := filepath.Join(state, "distlock", "locks.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil { // opens, so creates, the file
		t.Fatal(err)
	}
	db.Close()
	if r := vacuumBin(t, []string{"XDG_STATE_HOME=" + state}); r.code != 0 || !lineRE.MatchString(r.stdout) {
		t.Errorf("default database: %v", r)
	}
}

// TestVacuumDriverForms vacuums PostgreSQL through a libpq keyword/value
// string and MySQL/MariaDB through a go-sql-driver DSN, from --dsn and
// from $DATABASE_URL, and never prints the password.
func TestVacuumDriverForms(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"postgres", "mysql"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := newDatabase(t, name)
			form, pw := clitest.DriverForm(t, db.dsn)
			for _, tc := range []struct {
				env  []string
				args []string
			}{
				{nil, []string{"--dsn", form, "--table", db.table, "-v"}},
				{[]string{"DATABASE_URL=" + form}, []string{"--table", db.table, "--json"}},
			} {
				db.expired(t, 2)
				r := vacuumBin(t, tc.env, tc.args...)
				if r.code != 0 || !strings.HasPrefix(r.stdout, "removed 2 ") && !strings.HasPrefix(r.stdout, `{"removed":2,`) {
					t.Errorf("%q %q: %v; want 2 removed", tc.env, tc.args, r)
				}
				if clitest.ShowsPassword(r.stdout+r.stderr, pw) {
					t.Errorf("%q %q: the password shows: %v", tc.env, tc.args, r)
				}
			}
		})
	}
}

func TestVacuumErrors(t *testing.T) {
	t.Parallel()
	sqlite := "sqlite:" + filepath.Join(t.TempDir(), "l.db")
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "l.db")
	for _, tc := range []struct {
		args []string
		code int
		want string
		also string // the cause, after want
	}{
		{[]string{"--bogus"}, 2, "distlock-vacuum: flag provided but not defined: -bogus", ""},
		{[]string{"--dsn", sqlite, "extra"}, 2, `distlock-vacuum: unexpected argument "extra"`, ""},
		{[]string{"--dsn", sqlite, "--batch", "-1"}, 2, "--batch must not be negative", ""},
		{[]string{"--dsn", "redis://u:secret@host/0"}, 2, `distlock-vacuum: unknown scheme "redis"`, ""},
		{[]string{"--dsn", sqlite, "--table", "Bad"}, 2, `distlock-vacuum: invalid table name "Bad"`, ""},
		{[]string{"--dsn", sqlite, "--table", "Bad", "--json"}, 2, `distlock-vacuum: invalid table name "Bad"`, ""},
		{[]string{"--dsn", "sqlite:" + missing}, 1, "distlock-vacuum: sqlite file " + missing + ": ", "no such file"},
	} {
		r := vacuumBin(t, nil, tc.args...)
		if r.code != tc.code || r.stdout != "" || !strings.Contains(r.stderr, tc.want) || !oneLineOn(r.stderr) {
			t.Errorf("%q: %v; want exit %d and %q", tc.args, r, tc.code, tc.want)
		}
		if _, cause, _ := strings.Cut(r.stderr, tc.want); !strings.Contains(cause, tc.also) {
			t.Errorf("%q: %v; want %q after %q", tc.args, r, tc.also, tc.want)
		}
		if strings.Contains(r.stderr, "secret") {
			t.Errorf("%q: %v leaks the password", tc.args, r)
		}
	}
	r := vacuumBin(t, nil, "--help")
	if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "Usage: distlock-vacuum") || !strings.Contains(r.stdout, "-batch N") ||
		!strings.Contains(r.stdout, "Exit codes") {
		t.Errorf("--help: %v", r)
	}
}

// TestVacuumServerDown: the error names the host and never the password,
// in text and in JSON.
func TestVacuumServerDown(t *testing.T) {
	t.Parallel()
	for _, d := range []string{
		"postgres://u:secret@127.0.0.1:1/db",
		"postgres://u@127.0.0.1:1/db?password=secret&connect_timeout=5",
		"mysql://u:secret@127.0.0.1:1/db?timeout=5s",
	} {
		for _, asJSON := range []bool{false, true} {
			args := []string{"--dsn", d, "--timeout", "10s"}
			if asJSON {
				args = append(args, "--json")
			}
			r := vacuumBin(t, nil, args...)
			if r.code != 1 || r.stdout != "" || !oneLineOn(r.stderr) || !strings.Contains(r.stderr, "127.0.0.1:1") || strings.Contains(r.stderr, "secret") {
				t.Errorf("%s (json %v): %v; want exit 1 and one line naming 127.0.0.1:1, not the password", d, asJSON, r)
			}
			if asJSON {
				var e struct{ Error, Host string }
				if err := json.Unmarshal([]byte(r.stderr), &e); err != nil || e.Host != "127.0.0.1:1" || e.Error == "" {
					t.Errorf("--json error %q: %+v, %v", r.stderr, e, err)
				}
			} else if !strings.HasPrefix(r.stderr, "distlock-vacuum: ") {
				t.Errorf("stderr %q", r.stderr)
			}
		}
	}
}

// A MySQL server that hangs up: stderr holds distlock-vacuum's one line,
// in text and in JSON, not go-sql-driver's own "[mysql] … packets.go" line.
func TestVacuumNoDriverLogLines(t *testing.T) {
	t.Parallel()
	addr := clitest.HangUp(t)
	for _, extra := range [][]string{nil, {"--json"}} {
		r := vacuumBin(t, nil, append([]string{"--dsn", "mysql://root@" + addr + "/x", "--timeout", "10s"}, extra...)...)
		if r.code != 1 || !oneLineOn(r.stderr) || strings.Contains(r.stderr, "[mysql]") {
			t.Errorf("%v: %v; want exit 1 and one line of its own", extra, r)
		}
	}
}

// Like "distlock vacuum", distlock-vacuum refuses an SQLite file that
// does not exist rather than create it at a mistyped path.
func TestVacuumMissingSQLiteFile(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "typo.db")
	r := vacuumBin(t, nil, "--dsn", "sqlite:"+missing)
	if r.code != 1 || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("vacuum of a missing file: %v; want exit 1, no such file", r)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("distlock-vacuum created %s (%v)", missing, err)
	}
}
