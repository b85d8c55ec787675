package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/dsn"
	"github.com/distlock/distlock/internal/cli"
)

// runInProcess runs the command in this process, as main would.
func runInProcess(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, env)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	env := []string{"HOME=" + t.TempDir(), "DISTLOCK_DSN=sqlite:" + filepath.Join(t.TempDir(), "l.db")}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "distlock: missing command (see distlock --help)"},
		{[]string{"frobnicate"}, `distlock: unknown command "frobnicate" (see distlock --help)`},
		{[]string{"--bogus", "ls"}, "distlock: flag provided but not defined: -bogus (see distlock --help)"},
		{[]string{"ls", "--bogus"}, "distlock ls: flag provided but not defined: -bogus (see distlock ls --help)"},
		{[]string{"ls", "extra"}, `distlock ls: unexpected argument "extra"`},
		{[]string{"run"}, "distlock run: missing NAME and CMD"},
		{[]string{"run", "x"}, "distlock run: missing CMD"},
		{[]string{"run", "x", "--"}, "distlock run: missing CMD"},
		{[]string{"run", "x", "--wait", "0", "true"}, "distlock run: flags after NAME must be followed by -- CMD"},
		{[]string{"run", "x", "--wait", "0", "y", "--", "true"}, `distlock run: unexpected argument "y" before --`},
		{[]string{"run", "--wait", "soon", "x", "--", "true"}, `distlock run: invalid value "soon" for flag -wait`},
		{[]string{"run", "--maxtime", "0s", "x", "--", "true"}, `invalid value "0s" for flag -maxtime: must be more than 0`},
		{[]string{"run", "--maxtime", "1ms", "x", "--", "true"}, `--maxtime 1ms is too short for run, which keeps the lock alive: at least 1s`},
		{[]string{"run", "--maxtime", "5", "x", "--", "true"}, `invalid value "5" for flag -maxtime`},
		{[]string{"run", "--kill-after", "-1s", "x", "--", "true"}, "--kill-after must not be negative"},
		{[]string{"run", "", "--", "true"}, `distlock run: invalid lock name ""`},
		{[]string{"acquire"}, "distlock acquire: missing NAME"},
		{[]string{"acquire", "a", "b"}, `distlock acquire: unexpected argument "b"`},
		{[]string{"acquire", string(make([]byte, 300))}, "invalid lock name"},
		{[]string{"release"}, "distlock release: missing NAME"},
		{[]string{"extend", "a", "b", "c"}, `unexpected argument "c"`},
		{[]string{"vacuum", "--batch", "-1"}, "--batch must not be negative"},
		{[]string{"--dsn", "redis://u:secret@h", "ls"}, `distlock ls: unknown scheme "redis"`},
		{[]string{"--dsn", "sqlite:x.db?mode=ro", "ls"}, "distlock ls: sqlite DSN with parameters"},
		{[]string{"--table", "Bad-Name", "ls"}, `distlock ls: invalid table name "Bad-Name"`},
		{[]string{"ls", "--table", "x_meta"}, `distlock ls: invalid table name "x_meta"`},
		{[]string{"run", "--table", "Bad", "x", "--", "true"}, `distlock run: invalid table name "Bad"`},
	} {
		r := runInProcess(t, env, "", tc.args...)
		wantCode := exitUsage
		if r.code != wantCode || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
			t.Errorf("distlock %q: exit %d, stdout %q, stderr %q; want %d and %q", tc.args, r.code, r.stdout, r.stderr, wantCode, tc.want)
		}
		if strings.Contains(r.stderr, "secret") {
			t.Errorf("distlock %q: stderr %q leaks the password", tc.args, r.stderr)
		}
	}
}

// A bad connection string from the environment says which variable it
// came from; one from --dsn does not need to.
func TestDSNErrorNamesItsSource(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{"HOME=" + t.TempDir(), "DATABASE_URL=redis://u:secret@h"}, []string{"ls"}, `unknown scheme "redis": want sqlite:PATH, postgres://…, mysql://…, host=… dbname=… (libpq) or user:password@tcp(host:port)/db (go-sql-driver) (from $DATABASE_URL)`},
		{[]string{"HOME=" + t.TempDir(), "DISTLOCK_DSN=redis://h", "DATABASE_URL=redis://u:secret@h"}, []string{"ls"}, "(from $DISTLOCK_DSN)"},
		{[]string{"HOME=" + t.TempDir(), "DATABASE_URL=redis://u:secret@h"}, []string{"--dsn", "redis://h", "ls"}, `unknown scheme "redis": want sqlite:PATH, postgres://…, mysql://…, host=… dbname=… (libpq) or user:password@tcp(host:port)/db (go-sql-driver) (see`},
	} {
		r := runInProcess(t, tc.env, "", tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "secret") {
			t.Errorf("%q %q: exit %d, stderr %q; want %d and %q", tc.env, tc.args, r.code, r.stderr, exitUsage, tc.want)
		}
	}
}

// A command's help lists --maxtime and --owner only if it uses them, and
// a command that does not use them refuses them.
func TestLeaseFlagsWhereUsed(t *testing.T) {
	t.Parallel()
	for _, c := range commands() {
		r := runInProcess(t, nil, "", c.name, "--help")
		for flag, want := range map[string]bool{"--maxtime": c.lease&withMaxTime != 0, "--owner": c.lease&withOwner != 0} {
			if got := strings.Contains(r.stdout, "  "+flag+" "); got != want {
				t.Errorf("distlock %s --help lists %s: %v, want %v", c.name, flag, got, want)
			}
		}
	}
	want := map[string]leaseFlags{"run": allLeaseFlags, "acquire": allLeaseFlags, "extend": withMaxTime}
	for _, c := range commands() {
		if c.lease != want[c.name] {
			t.Errorf("%s takes lease flags %b, want %b", c.name, c.lease, want[c.name])
		}
	}
	r := runInProcess(t, nil, "", "ls", "--owner", "x")
	if r.code != exitUsage || !strings.Contains(r.stderr, "flag provided but not defined: -owner") {
		t.Errorf("ls --owner: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		r := runInProcess(t, nil, "", args...)
		if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "Usage: distlock [flags] COMMAND") ||
			!strings.Contains(r.stdout, "Exit codes:") || !strings.Contains(r.stdout, "-dsn DSN") {
			t.Errorf("distlock %q: exit %d, stderr %q, stdout %q", args, r.code, r.stderr, r.stdout)
		}
		for _, c := range commands() {
			if !strings.Contains(r.stdout, c.synopsis) {
				t.Errorf("distlock %q does not list %s", args, c.name)
			}
		}
	}
	for _, c := range commands() {
		for _, args := range [][]string{{c.name, "--help"}, {"help", c.name}, {"--dsn", "x", c.name, "-h"}} {
			r := runInProcess(t, nil, "", args...)
			if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "Usage: distlock "+c.synopsis+"\n") ||
				!strings.Contains(r.stdout, "--dsn DSN") || !strings.Contains(r.stdout, "Exit codes:\n  0    success") {
				t.Errorf("distlock %q: exit %d, stderr %q, stdout %q", args, r.code, r.stderr, r.stdout)
			}
			// Only the exit codes the command can return.
			for code, line := range map[int]string{exitNotAcquired: "  3    not acquired", exitExpired: "  4    expired", exitLost: "  5    run: the lock was lost"} {
				if got, want := strings.Contains(r.stdout, line), slices.Contains(c.codes, code); got != want {
					t.Errorf("distlock %q lists exit code %d: %v, want %v", args, code, got, want)
				}
			}
		}
	}
	if r := runInProcess(t, nil, "", "run", "x", "--", "sh", "--help"); r.code == 0 && strings.Contains(r.stdout, "Usage: distlock") {
		t.Error("--help after -- was taken for distlock's")
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		code int
	}{
		{nil, 0},
		{errHelp, 0},
		{usagef("x", "bad"), 2},
		{fmt.Errorf("wrapped: %w", distlock.ErrNotAcquired), 3},
		{fmt.Errorf("release %q: %w", "x", distlock.ErrExpired), 4},
		{distlock.ErrInvalidToken, 4},
		{errors.Join(distlock.ErrLost, errors.New("x")), 5},
		{distlock.ErrInvalidName, 2},
		{withCode(42, nil), 42},
		{errors.New("database down"), 1},
	} {
		if got := exitCode(tc.err); got != tc.code {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
	}
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	err := errors.Join(fmt.Errorf("distlock: acquire %q: distlock: lock not acquired", "x"), errors.New("context canceled\n"))
	if got, want := cli.OneLine(err), `acquire "x": lock not acquired; context canceled`; got != want {
		t.Errorf("oneLine = %q, want %q", got, want)
	}
	err = errors.New("failed to connect to `user=u`:\nh:1: refused\nh:2: refused")
	if got, want := cli.OneLine(err), "failed to connect to `user=u`: h:1: refused; h:2: refused"; got != want {
		t.Errorf("oneLine = %q, want %q", got, want)
	}
	if got := cli.OneLine(errors.New("dsn: bad\x1b[31m")); got != "bad [31m" {
		t.Errorf("oneLine = %q", got)
	}
}

func TestMissingTable(t *testing.T) {
	t.Parallel()
	// The hint replaces the error.
	a := &app{stderr: &bytes.Buffer{}, table: "distlock"}
	a.db = mustParse(t, "postgres://u:secret@db:5432/app")
	a.report(&distlock.DBError{Op: "list", Err: dialect.Classify(dialect.KindNoTable, errors.New(`ERROR: relation "distlock" does not exist (SQLSTATE 42P01)`))})
	if got, want := a.stderr.(*bytes.Buffer).String(), "distlock: table \"distlock\" does not exist on postgres at db:5432; create it with \"distlock migrate\"\n"; got != want {
		t.Errorf("report = %q, want %q", got, want)
	}
}

// TestDefaultDatabase runs the binary with no DSN at all: it uses an
// SQLite file in $XDG_STATE_HOME, in a directory only the user can read.
func TestDefaultDatabase(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state")
	b := &backend{name: "sqlite", table: "distlock", home: t.TempDir()}
	c := b.cmd("run", "demo", "--", "echo", "hello")
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "GORACE=atexit_sleep_ms=0", "HOME=" + b.home, "XDG_STATE_HOME=" + state}
	out, err := c.CombinedOutput()
	if err != nil || string(out) != "hello\n" {
		t.Fatalf("run: %v, output %q", err, out)
	}
	fi, err := os.Stat(filepath.Join(state, "distlock"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("state directory has mode %v", fi.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(state, "distlock", "locks.db")); err != nil {
		t.Error(err)
	}
}

// TestServerErrorNamesHostNotPassword points the binary at a server that
// is not there.
func TestServerErrorNamesHostNotPassword(t *testing.T) {
	t.Parallel()
	b := &backend{name: "postgres", table: "distlock", home: t.TempDir()}
	for _, d := range []string{
		"postgres://u:s3cretpw@127.0.0.1:1/db?connect_timeout=5", "mysql://u:s3cretpw@127.0.0.1:1/db?timeout=5s",
		"host=127.0.0.1 port=1 user=u password = 's3cretpw' dbname=db connect_timeout=5", "u:s3cretpw@tcp(127.0.0.1:1)/db?timeout=5s",
	} {
		b.dsn = d
		r := b.run(t, "", nil, "ls")
		r.expect(t, exitError)
		if strings.Contains(r.stderr, "s3cretpw") || !strings.Contains(r.stderr, "127.0.0.1:1") {
			t.Errorf("%s: stderr %q: want the host and not the password", d, r.stderr)
		}
	}
}

func mustParse(t *testing.T, s string) *dsn.DSN {
	t.Helper()
	d, err := dsn.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return &d
}

// TestHelpHidesPassword runs the binary's --help with a DSN holding a
// password, given before the command (which makes it the default the
// command's usage shows) or in the environment: the password never shows.
func TestHelpHidesPassword(t *testing.T) {
	t.Parallel()
	const pw = "s3cretpw"
	valid := "postgres://u:" + pw + "@db.example:5432/app?password=" + pw
	invalid := "postgres://u:" + pw + "@db.example:notaport/app"
	for _, tc := range []struct {
		env  []string
		args []string
		want string // the redacted DSN, when the usage shows it
	}{
		{nil, []string{"--dsn", valid, "--help"}, ""},
		{nil, []string{"--dsn", valid, "run", "--help"}, "postgres://u:xxxxx@db.example:5432/app?password=xxxxx"},
		{nil, []string{"--dsn", valid, "help", "acquire"}, "postgres://u:xxxxx@db.example:5432/app?password=xxxxx"},
		{nil, []string{"--dsn", valid, "ls", "-h"}, "postgres://u:xxxxx@db.example:5432/app?password=xxxxx"},
		{nil, []string{"--dsn", invalid, "release", "--help"}, ""},
		{nil, []string{"--dsn", "mysql://root:" + pw + "@h:3306/db", "vacuum", "--help"}, "mysql://root:xxxxx@h:3306/db"},
		{nil, []string{"--dsn", "host=db.example user=u password=" + pw + " dbname=app", "ls", "--help"}, "host=db.example user=u password=xxxxx dbname=app"},
		{nil, []string{"--dsn", "host=db.example password = '" + pw + " x' sslpassword=" + pw, "run", "--help"}, "host=db.example password = 'xxxxx' sslpassword=xxxxx"},
		{nil, []string{"--dsn", "host=db.example password='" + pw, "acquire", "--help"}, ""}, // unterminated: shown not at all
		{nil, []string{"--dsn", "root:" + pw + "@tcp(h:3306)/db?tls=true", "release", "--help"}, "root:xxxxx@tcp(h:3306)/db?tls=true"},
		{nil, []string{"--dsn", "root:" + pw + "@tcp(h:3306)/db?tls=" + pw, "extend", "--help"}, ""}, // unknown tls config
		{[]string{"DISTLOCK_DSN=host=db.example password=" + pw}, []string{"ls", "--help"}, ""},
		{[]string{"DATABASE_URL=root:" + pw + "@tcp(h)/db"}, []string{"run", "--help"}, ""},
		{[]string{"DISTLOCK_DSN=" + valid}, []string{"run", "--help"}, ""},
		{[]string{"DATABASE_URL=" + valid}, []string{"--help"}, ""},
	} {
		c := exec.Command(bin, tc.args...)
		c.Env = append([]string{"PATH=" + os.Getenv("PATH"), "GORACE=atexit_sleep_ms=0", "HOME=" + t.TempDir()}, tc.env...)
		out, err := c.CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "Usage: distlock") {
			t.Errorf("%q %q: %v, output %q", tc.env, tc.args, err, out)
			continue
		}
		if strings.Contains(string(out), pw) {
			t.Errorf("%q %q: the usage shows the password:\n%s", tc.env, tc.args, out)
		}
		if tc.want != "" && !strings.Contains(string(out), tc.want) {
			t.Errorf("%q %q: the usage does not show the DSN given, redacted, %q:\n%s", tc.env, tc.args, tc.want, out)
		}
	}
}
