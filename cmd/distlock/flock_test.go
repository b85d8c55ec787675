package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// flock(1)'s flags on run and acquire: -n, -w SECONDS, -E, -q and -c,
// beside the long forms, with the lock held by another run. The exit
// codes and stderr are the built binary's.
func TestFlockFlags(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *backend) {
		holder := b.start(t, "run", "job", "--", "sh", "-c", "echo held; sleep 60")
		holder.waitOutput(t, "held")
		for _, tc := range []struct {
			name   string
			args   []string
			code   int
			stderr string // a part of it; "" for nothing at all
		}{
			{"nonblock", []string{"run", "-n", "job", "--", "true"}, exitNotAcquired, `lock "job" is held`},
			{"nonblock long", []string{"run", "--nonblock", "job", "--", "true"}, exitNotAcquired, `lock "job" is held`},
			{"wait seconds", []string{"run", "-w", "0.2", "job", "--", "true"}, exitNotAcquired, "still held after waiting 200ms"},
			{"wait duration", []string{"run", "--wait", "200ms", "job", "--", "true"}, exitNotAcquired, "still held after waiting 200ms"},
			{"timeout", []string{"run", "--timeout", "0.2", "job", "--", "true"}, exitNotAcquired, "still held after waiting 200ms"},
			{"conflict code", []string{"run", "-n", "-E", "0", "job", "--", "true"}, 0, `lock "job" is held`},
			{"conflict code long", []string{"run", "-n", "--conflict-exit-code", "75", "job", "--", "true"}, 75, `lock "job" is held`},
			{"quiet", []string{"run", "-n", "-q", "job", "--", "true"}, exitNotAcquired, ""},
			{"quiet conflict code", []string{"run", "-n", "-q", "-E", "9", "job", "-c", "true"}, 9, ""},
			{"acquire quiet", []string{"acquire", "-n", "-q", "job"}, exitNotAcquired, ""},
			{"acquire conflict code", []string{"acquire", "-w", "0", "-E", "1", "job"}, 1, `lock "job" is held`},
			{"nonblock and wait conflict", []string{"run", "-n", "-w", "5", "job", "--", "true"}, exitUsage, "--nonblock and --wait 5s conflict"},
			{"conflict code out of range", []string{"run", "-E", "256", "job", "--", "true"}, exitUsage, "from 0 to 255"},
			{"command and CMD", []string{"run", "-c", "true", "job", "--", "true"}, exitUsage, "both --command and CMD"},
			{"command takes one argument", []string{"run", "job", "-c", "true", "extra"}, exitUsage, "takes one argument"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := b.run(t, "", nil, tc.args...)
				if tc.stderr == "" && r.code != 0 {
					if r.code != tc.code || r.stderr != "" {
						t.Fatalf("exit %d, stderr %q; want exit %d and nothing printed", r.code, r.stderr, tc.code)
					}
					return
				}
				if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
					t.Fatalf("exit %d, stderr %q; want exit %d, stderr with %q", r.code, r.stderr, tc.code, tc.stderr)
				}
			})
		}
		holder.cmd.Process.Kill()
		holder.wait(t, 10e9)
	})
}

// -c runs a shell command line, before NAME or after it as flock takes
// it, with $DISTLOCK_NAME set; a plain number of seconds works as --wait.
func TestRunShellCommand(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, args := range [][]string{
			{"run", "-w", "5", "shjob", "-c", `echo "in $DISTLOCK_NAME"; exit 3`},
			{"run", "--command", `echo "in $DISTLOCK_NAME"; exit 3`, "shjob"},
		} {
			r := b.run(t, "", nil, args...)
			if r.code != 3 || r.stdout != "in shjob\n" {
				t.Fatalf("%v: exit %d, stdout %q, stderr %q; want 3 and %q", args, r.code, r.stdout, r.stderr, "in shjob\n")
			}
		}
	})
}

// --version and "version" print one line naming the build.
func TestVersion(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	for _, args := range [][]string{{"--version"}, {"version"}} {
		r := b.run(t, "", nil, args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "distlock ") || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stdout, "go1.") {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

// Without --owner, ls names the holder's host, pid and process: the
// script that called acquire, or run's CMD.
func TestDefaultOwnerNamesTheProcess(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	holder := b.start(t, "run", "ownerjob", "--", "sh", "-c", "echo held; sleep 60")
	holder.waitOutput(t, "held")
	r := b.run(t, "", nil, "ls")
	if r.code != 0 || !regexp.MustCompile(`ownerjob\s+\S+:[0-9]+\(sh\)\s`).MatchString(r.stdout) {
		t.Fatalf("ls: exit %d, stdout %q; want the owner HOST:PID(sh)", r.code, r.stdout)
	}
	holder.cmd.Process.Kill()
	holder.wait(t, 10*time.Second)
	if got := defaultOwner(42, "bad\x1bname\n"); !strings.HasSuffix(got, ":42(badname)") {
		t.Errorf("defaultOwner with control characters = %q", got)
	}
}
