package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distlock/distlock/dsn"
	"github.com/distlock/distlock/internal/clitest"
	"github.com/distlock/distlock/internal/skips"
)

// bin is the distlock binary built by TestMain.
var bin string

// TestMain builds the command once, for the tests that run it as a real
// process.
// In-process runs of "run" start the test binary as their supervisor.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == supervisorArg {
		os.Exit(supervise(os.Args[2:]))
	}
	clitest.Main(m, "distlock", &bin)
}

// backend is a database the tests run the command against, with a lock
// table of the test's own.
type backend struct {
	name  string // "sqlite", "postgres", "mysql"
	dsn   string
	table string
	home  string // $HOME and $XDG_STATE_HOME of the commands
}

// forEachBackend runs f against SQLite and, when configured, PostgreSQL
// and MySQL/MariaDB, in parallel subtests.
func forEachBackend(t *testing.T, f func(t *testing.T, b *backend)) {
	for _, name := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, newBackend(t, name))
		})
	}
}

// newBackend prepares a backend, or skips the test. Servers come from
// $DISTLOCK_TEST_POSTGRES_URL and $DISTLOCK_TEST_MYSQL_URL; without them
// the test is skipped, or fails under DISTLOCK_REQUIRE_DB=1. A server
// whose dialect dsn.Open does not have yet is skipped either way.
func newBackend(t *testing.T, name string) *backend {
	t.Helper()
	b := &backend{name: name, home: t.TempDir()}
	if name == "sqlite" {
		b.dsn, b.table = "sqlite:"+filepath.Join(t.TempDir(), "locks.db"), "distlock"
		return b
	}
	env := map[string]string{"postgres": "DISTLOCK_TEST_POSTGRES_URL", "mysql": "DISTLOCK_TEST_MYSQL_URL"}[name]
	b.dsn = os.Getenv(env)
	if b.dsn == "" {
		if os.Getenv("DISTLOCK_REQUIRE_DB") == "1" {
			t.Fatalf("$%s is not set and DISTLOCK_REQUIRE_DB=1", env)
		}
		skips.Skip(t, "$"+env+" is not set")
	}
	db, _, err := dsn.Open(b.dsn)
	if err != nil {
		t.Fatal(err)
	}
	var r [4]byte
	rand.Read(r[:])
	b.table = "cli_" + hex.EncodeToString(r[:])
	t.Cleanup(func() {
		for _, tbl := range []string{b.table, b.table + "_meta", b.table + "_schema_migrations"} {
			db.Exec("DROP TABLE IF EXISTS " + tbl)
		}
		db.Close()
	})
	b.mustRun(t, "migrate")
	return b
}

// env is the environment of the commands: nothing of the test's own but
// PATH, the backend's DSN, and a home of the test's. (GORACE: a binary
// built with -race sleeps a second at exit by default.)
func (b *backend) env(extra ...string) []string {
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"GORACE=atexit_sleep_ms=0",
		"HOME=" + b.home,
		"XDG_STATE_HOME=" + filepath.Join(b.home, "state"),
		"DISTLOCK_DSN=" + b.dsn,
	}, extra...)
}

// cmd returns the command "distlock --table TABLE args…".
func (b *backend) cmd(args ...string) *exec.Cmd {
	c := exec.Command(bin, append([]string{"--table", b.table}, args...)...)
	c.Env = b.env()
	return c
}

// result is what a finished command printed and its exit code.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the binary with args (after --table), stdin as its input and
// the extra environment, and waits for it (at most 30 s).
func (b *backend) run(t *testing.T, stdin string, extraEnv []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, bin, append([]string{"--table", b.table}, args...)...)
	c.Env = b.env(extraEnv...)
	c.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("distlock %v: %v", args, err)
	}
	return result{code: c.ProcessState.ExitCode(), stdout: out.String(), stderr: errOut.String()}
}

// mustRun runs the binary and fails the test unless it exits 0.
func (b *backend) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := b.run(t, "", nil, args...)
	if r.code != 0 {
		t.Fatalf("distlock %v: exit %d, stderr %q", args, r.code, r.stderr)
	}
	return r.stdout
}

// expect checks a result's exit code, and that stderr is empty for 0 and
// one line otherwise.
func (r result) expect(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d; stdout %q, stderr %q", r.code, code, r.stdout, r.stderr)
	}
	if code == 0 && r.stderr != "" {
		t.Errorf("stderr %q, want nothing", r.stderr)
	}
	if code != 0 && (strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") || !strings.HasPrefix(r.stderr, "distlock")) {
		t.Errorf("stderr %q, want one line starting with distlock", r.stderr)
	}
}

// started is a command running in the background, its output in files.
type started struct {
	cmd            *exec.Cmd
	stdout, stderr string // file names
	done           chan struct{}
	code           int
}

// start starts "distlock --table TABLE args…" in the background; the
// test's cleanup kills it if it still runs.
func (b *backend) start(t *testing.T, args ...string) *started {
	t.Helper()
	dir := t.TempDir()
	s := &started{cmd: b.cmd(args...), stdout: filepath.Join(dir, "stdout"), stderr: filepath.Join(dir, "stderr"), done: make(chan struct{})}
	out, err := os.Create(s.stdout)
	if err != nil {
		t.Fatal(err)
	}
	errOut, err := os.Create(s.stderr)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = out, errOut
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out.Close()
	errOut.Close()
	go func() {
		s.cmd.Wait()
		s.code = s.cmd.ProcessState.ExitCode()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
	})
	return s
}

// wait waits for the command to exit, at most d, and returns its exit code.
func (s *started) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-s.done:
		return s.code
	case <-time.After(d):
		t.Fatalf("%v still runs after %v; stderr %q", s.cmd.Args, d, s.read(s.stderr))
	}
	return 0
}

// read returns the content of an output file.
func (s *started) read(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}

// waitOutput waits until the command has printed want on stdout.
func (s *started) waitOutput(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.read(s.stdout), want) {
		select {
		case <-s.done:
			t.Fatalf("%v exited %d before printing %q; stdout %q, stderr %q", s.cmd.Args, s.code, want, s.read(s.stdout), s.read(s.stderr))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v has not printed %q", s.cmd.Args, want)
		}
	}
}
