package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distlock/distlock/dsn"
)

func TestRunPassesThroughCMD(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, tc := range []struct {
			name           string
			cmd            []string
			code           int
			stdout, stderr string
		}{
			{"success", []string{"echo", "hello"}, 0, "hello\n", ""},
			{"status", []string{"sh", "-c", "echo out; echo err >&2; exit 7"}, 7, "out\n", "err\n"},
			{"stdin", []string{"sh", "-c", "cat"}, 0, "from stdin\n", ""},
			{"signal", []string{"sh", "-c", "kill -KILL $$"}, 128 + 9, "", ""},
			{"environment", []string{"sh", "-c", `echo "$DISTLOCK_NAME $DISTLOCK_FENCE" | grep -E "^pass [0-9]+$"`}, 0, "", ""},
			{"not found", []string{"no-such-command-here"}, exitNotFound, "", "distlock: no-such-command-here: command not found\n"},
			{"not executable", []string{"/dev/null"}, exitCannotExec, "", "distlock: cannot run /dev/null: permission denied\n"},
		} {
			r := b.run(t, "from stdin\n", nil, append([]string{"run", "pass", "--"}, tc.cmd...)...)
			if r.code != tc.code || (tc.stdout != "" && r.stdout != tc.stdout) || r.stderr != tc.stderr {
				t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.name, r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderr)
			}
			// Whatever CMD did, the lock is free again.
			if out := b.mustRun(t, "ls", "--json"); out != "" {
				t.Fatalf("%s: lock left held: %s", tc.name, out)
			}
		}
		// Flags may also stand between NAME and "--"; "--" is optional.
		b.run(t, "", nil, "run", "pass", "--wait", "0", "--maxtime", "5s", "--", "true").expect(t, 0)
		b.run(t, "", nil, "run", "pass", "true").expect(t, 0)
	})
}

func TestRunWaitZeroWhenHeld(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *backend) {
		b.acquire(t, "--owner", "holder", "busy")
		r := b.run(t, "", nil, "run", "--wait", "0", "busy", "--", "echo", "ran")
		r.expect(t, exitNotAcquired)
		if r.stdout != "" || !strings.Contains(r.stderr, `lock "busy" is held by holder`) {
			t.Errorf("stdout %q, stderr %q", r.stdout, r.stderr)
		}
		r = b.run(t, "", nil, "run", "--wait", "200ms", "busy", "--", "echo", "ran")
		r.expect(t, exitNotAcquired)
	})
}

// TestRunRace starts several "run" processes at once on one lock; their
// commands must never overlap.
func TestRunRace(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *backend) {
		log := filepath.Join(t.TempDir(), "log")
		const racers = 4
		var ps []*started
		for range racers {
			ps = append(ps, b.start(t, "run", "--maxtime", "1s", "--wait", "30s", "race", "--",
				"sh", "-c", `echo "start $$" >> "$0"; sleep 0.2; echo "end $$" >> "$0"`, log))
		}
		for _, p := range ps {
			if code := p.wait(t, 40*time.Second); code != 0 {
				t.Fatalf("racer exited %d: %s", code, p.read(p.stderr))
			}
		}
		data, _ := os.ReadFile(log)
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) != 2*racers {
			t.Fatalf("log has %d lines, want %d:\n%s", len(lines), 2*racers, data)
		}
		for i := 0; i < len(lines); i += 2 {
			start, end := strings.Fields(lines[i]), strings.Fields(lines[i+1])
			if len(start) != 2 || len(end) != 2 || start[0] != "start" || end[0] != "end" || start[1] != end[1] {
				t.Fatalf("commands overlapped:\n%s", data)
			}
		}
	})
}

// lsEntries returns the held locks, by "distlock ls --json".
func (b *backend) lsEntries(t *testing.T) map[string]lsEntry {
	t.Helper()
	out := b.mustRun(t, "ls", "--json")
	return parseLs(t, out)
}

func parseLs(t *testing.T, out string) map[string]lsEntry {
	t.Helper()
	m := map[string]lsEntry{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var e lsEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("ls --json line %q: %v", line, err)
		}
		m[e.Name] = e
	}
	return m
}

// TestRunKilledHolder kills a "run" holder with SIGKILL: its CMD dies
// with it, and another "run" takes the lock once it expires, not before.
func TestRunKilledHolder(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *backend) {
		pidFile := filepath.Join(t.TempDir(), "pid")
		holder := b.start(t, "run", "--maxtime", "2s", "killed", "--", "sh", "-c", `echo $$ > "$0"; echo ready; exec sleep 60`, pidFile)
		holder.waitOutput(t, "ready")
		pid, err := strconv.Atoi(strings.TrimSpace(holder.read(pidFile)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
		holder.cmd.Process.Kill()
		holder.wait(t, 5*time.Second)
		killed := time.Now()
		before, ok := b.lsEntries(t)["killed"]
		if !ok {
			t.Fatal("the killed holder's lock is not held")
		}

		// The taker's CMD lists the locks while it holds this one.
		taker := b.run(t, "", nil, "run", "--wait", "10s", "killed", "--", bin, "--table", b.table, "ls", "--json")
		taker.expect(t, 0)
		after := parseLs(t, taker.stdout)["killed"]
		if after.AcquiredAt.Before(before.ExpiresAt) {
			t.Errorf("taken at %v, before the killed holder's expiry %v", after.AcquiredAt, before.ExpiresAt)
		}
		if after.Fence <= before.Fence {
			t.Errorf("fence %d after %d", after.Fence, before.Fence)
		}
		if waited := time.Since(killed); waited > 2*time.Second+3*time.Second {
			t.Errorf("took %v to take over a lock of 2s", waited)
		}
		if runtime.GOOS == "linux" && alive(pid) {
			t.Errorf("the killed holder's CMD (pid %d) still runs", pid)
		}
	})
}

// alive reports whether pid runs (and is not a zombie), waiting a little
// for it to die.
func alive(pid int) bool {
	for range 100 {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		if f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])); len(f) > 0 && f[0] == "Z" {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// TestRunLostLock deletes the row of a lock that "run" holds: run must
// notice, stop CMD and exit 5.
func TestRunLostLock(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *backend) {
		p := b.start(t, "run", "--maxtime", "1s", "lost", "--",
			"sh", "-c", `trap 'echo got-term; exit 0' TERM; echo ready; sleep 30 & wait`)
		p.waitOutput(t, "ready")
		db, _, err := dsn.Open(b.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("DELETE FROM " + b.table + " WHERE name = 'lost'"); err != nil {
			t.Fatal(err)
		}
		if code := p.wait(t, 15*time.Second); code != exitLost {
			t.Fatalf("exit %d, want %d; stderr %q", code, exitLost, p.read(p.stderr))
		}
		if got := p.read(p.stdout); got != "ready\ngot-term\n" {
			t.Errorf("CMD printed %q: it was not sent SIGTERM", got)
		}
		if got, want := p.read(p.stderr), "distlock: lock \"lost\" lost while sh was running\n"; got != want {
			t.Errorf("stderr %q, want %q", got, want)
		}
	})
}

// TestRunLostLockKillAfter: a CMD that ignores SIGTERM gets SIGKILL
// after --kill-after.
func TestRunLostLockKillAfter(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	p := b.start(t, "run", "--maxtime", "1s", "--kill-after", "300ms", "stubborn", "--",
		"sh", "-c", `trap '' TERM; echo ready; while :; do sleep 0.05; done`)
	p.waitOutput(t, "ready")
	db, _, err := dsn.Open(b.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DELETE FROM distlock WHERE name = 'stubborn'"); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 10*time.Second); code != exitLost {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitLost, p.read(p.stderr))
	}
}

// TestRunForwardsSignals sends SIGTERM and SIGINT to run: CMD gets them,
// and run exits with CMD's status and frees the lock.
func TestRunForwardsSignals(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		name := fmt.Sprintf("fwd-%d", sig)
		p := b.start(t, "run", name, "--", "sh", "-c",
			fmt.Sprintf(`trap 'echo got-%d; exit 3' %d; echo ready; sleep 30 & wait`, sig, sig))
		p.waitOutput(t, "ready")
		p.cmd.Process.Signal(sig)
		if code := p.wait(t, 10*time.Second); code != 3 {
			t.Fatalf("%v: exit %d, want CMD's 3; stderr %q", sig, code, p.read(p.stderr))
		}
		if got := p.read(p.stdout); got != fmt.Sprintf("ready\ngot-%d\n", sig) {
			t.Errorf("%v: CMD printed %q", sig, got)
		}
		if _, held := b.lsEntries(t)[name]; held {
			t.Errorf("%v: lock still held", sig)
		}
	}
}

// TestRunInterruptedWhileWaiting: SIGINT ends the wait for a held lock,
// with exit 130 and without running CMD.
func TestRunInterruptedWhileWaiting(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	b.acquire(t, "held")
	p := b.start(t, "-v", "run", "held", "--", "echo", "ran")
	// -v logs each wait: once one shows, run is waiting.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.read(p.stderr), "waiting") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(t, 5*time.Second); code != 130 {
		t.Fatalf("exit %d, want 130; stderr %q", code, p.read(p.stderr))
	}
	if out := p.read(p.stdout); out != "" {
		t.Errorf("CMD ran: %q", out)
	}
}
