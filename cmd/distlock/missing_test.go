package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distlock/distlock/internal/clitest"
)

// The commands that only act on locks that exist (ls, vacuum, release,
// extend) refuse an SQLite file that does not exist, saying so, and do
// not create one at the mistyped path; acquire and run create it.
func TestMissingSQLiteFile(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	tok := strings.TrimSpace(b.mustRun(t, "acquire", "job"))
	missing := filepath.Join(t.TempDir(), "typo", "locks.db")
	for _, args := range [][]string{{"ls"}, {"vacuum"}, {"release", "job", tok}, {"extend", "job", tok}} {
		r := b.run(t, "", nil, append([]string{"--dsn", "sqlite:" + missing}, args...)...)
		r.expect(t, exitError)
		if !strings.Contains(r.stderr, "no such file") || !strings.Contains(r.stderr, missing) {
			t.Errorf("%v: stderr %q", args, r.stderr)
		}
		if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%v created %s (%v)", args, missing, err)
		}
	}
	created := filepath.Join(t.TempDir(), "new.db")
	b.mustRun(t, "--dsn", "sqlite:"+created, "acquire", "job")
	if _, err := os.Stat(created); err != nil {
		t.Fatalf("acquire did not create its file: %v", err)
	}
}

// A MySQL server that hangs up: the command prints one line, its own,
// not go-sql-driver's "[mysql] … packets.go: unexpected EOF" beside it;
// with -v the driver's line goes to the debug log.
func TestMySQLDriverLogsStayOut(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	url := "mysql://root@" + clitest.HangUp(t) + "/x"
	r := b.run(t, "", nil, "--dsn", url, "ls")
	r.expect(t, exitError)
	if strings.Contains(r.stderr, "[mysql]") {
		t.Errorf("stderr %q holds the driver's log line", r.stderr)
	}
	r = b.run(t, "", nil, "-v", "--dsn", url, "ls")
	if !strings.Contains(r.stderr, "level=DEBUG msg=\"mysql driver: ") || strings.Contains(r.stderr, "[mysql]") {
		t.Errorf("with -v: stderr %q; want the driver's line in the debug log", r.stderr)
	}
}
