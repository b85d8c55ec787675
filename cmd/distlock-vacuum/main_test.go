package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/dsn"
	"github.com/distlock/distlock/internal/clitest"
	"github.com/distlock/distlock/internal/skips"
)

// bin is the distlock-vacuum binary built by TestMain.
var bin string

// TestMain builds the command once, for the tests that run it as a real
// process.
func TestMain(m *testing.M) { clitest.Main(m, "distlock-vacuum", &bin) }

// output is what the binary printed and its exit code.
type output struct {
	code           int
	stdout, stderr string
}

// vacuumBin runs the binary with args and env (and PATH, HOME).
func vacuumBin(t *testing.T, env []string, args ...string) output {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, bin, args...)
	// GORACE: a binary built with -race sleeps a second at exit by default.
	c.Env = append([]string{"PATH=" + os.Getenv("PATH"), "GORACE=atexit_sleep_ms=0", "HOME=" + t.TempDir()}, env...)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return output{c.ProcessState.ExitCode(), out.String(), errOut.String()}
}

// database is a lock table to vacuum.
type database struct {
	name, dsn, table string
	mod              *dsn.Module
}

// forEachDatabase runs f on SQLite and, when configured, PostgreSQL and
// MySQL/MariaDB; see newDatabase.
func forEachDatabase(t *testing.T, f func(t *testing.T, db *database)) {
	for _, name := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, newDatabase(t, name))
		})
	}
}

// newDatabase opens a lock table of the test's own, migrated. Servers
// come from $DISTLOCK_TEST_POSTGRES_URL and $DISTLOCK_TEST_MYSQL_URL;
// without them the test is skipped, or fails under DISTLOCK_REQUIRE_DB=1.
// A server whose dialect dsn.Open does not have yet is skipped.
func newDatabase(t *testing.T, name string) *database {
	t.Helper()
	db := &database{name: name, table: "distlock"}
	if name == "sqlite" {
		db.dsn = "sqlite:" + filepath.Join(t.TempDir(), "locks.db")
	} else {
		env := map[string]string{"postgres": "DISTLOCK_TEST_POSTGRES_URL", "mysql": "DISTLOCK_TEST_MYSQL_URL"}[name]
		if db.dsn = os.Getenv(env); db.dsn == "" {
			if os.Getenv("DISTLOCK_REQUIRE_DB") == "1" {
				t.Fatalf("$%s is not set and DISTLOCK_REQUIRE_DB=1", env)
			}
			skips.Skip(t, "$"+env+" is not set")
		}
		var r [4]byte
		rand.Read(r[:])
		db.table = "vac_" + hex.EncodeToString(r[:])
	}
	m, err := dsn.OpenModule(db.dsn, distlock.Config{Table: db.table, MaxTime: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	db.mod = m
	t.Cleanup(func() {
		if name != "sqlite" {
			for _, tbl := range []string{db.table, db.table + "_meta", db.table + "_schema_migrations"} {
				m.DB.Exec("DROP TABLE IF EXISTS " + tbl)
			}
		}
		m.Close()
	})
	if err := m.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// expired makes n expired locks, and one held for an hour, "live".
func (db *database) expired(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		if _, err := db.mod.TryAcquire(ctx, fmt.Sprintf("old-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	live, err := dsn.OpenModule(db.dsn, distlock.Config{Table: db.table, MaxTime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if _, err := live.TryAcquire(ctx, "live"); err != nil && !errors.Is(err, distlock.ErrNotAcquired) {
		t.Fatal(err) // ErrNotAcquired: held since an earlier call
	}
	time.Sleep(100 * time.Millisecond)
}

// args returns the flags that point the binary at db.
func (db *database) args(args ...string) []string {
	return append([]string{"--dsn", db.dsn, "--table", db.table}, args...)
}

func (r output) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
}

func oneLineOn(s string) bool { return strings.Count(s, "\n") == 1 && strings.HasSuffix(s, "\n") }
