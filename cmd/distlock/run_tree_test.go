//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distlock/distlock/dsn"
)

// workerScript is a job's worker: it records its pid in DIR/pids, then
// appends to DIR/ticks every 50 ms until it is killed. "stubborn"
// ignores SIGTERM; "polite" records its pid in DIR/terms on SIGTERM and
// exits.
const workerScript = `
case "$2" in
stubborn) trap '' TERM ;;
polite) trap 'echo $$ >> "$1/terms"; exit 0' TERM ;;
esac
echo $$ >> "$1/pids"
while :; do echo x >> "$1/ticks"; sleep 0.05; done
`

// Job scripts, run as sh -c SCRIPT DIR: they record their own pid
// first, so it leads the process group. "daemon" double-forks a worker
// that calls setsid, leaving the job's process group and session, as
// daemons do.
const (
	backgroundJob = `echo $$ >> "$0/pids"; sh "$0/worker.sh" "$0" "$1" & sleep 1000 & wait`
	daemonJob     = `echo $$ >> "$0/pids"; (setsid sh "$0/worker.sh" "$0" "$1" </dev/null >/dev/null 2>&1 &); sleep 1000 & wait`
)

// workerDir returns a directory holding worker.sh; the test's cleanup
// kills the workers that outlive it (on the old code).
func workerDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "worker.sh"), []byte(workerScript), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, pid := range readPids(dir) {
			if cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); strings.Contains(string(cmdline), dir) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	return dir
}

// readPids returns the pids recorded in DIR/pids.
func readPids(dir string) []int {
	b, _ := os.ReadFile(filepath.Join(dir, "pids"))
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitTree waits until the job has recorded n pids and a worker ticks,
// and returns its processes (the job's first: its process group).
func waitTree(t *testing.T, p *started, dir string, n int) []procStat {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ticks, _ := os.ReadFile(filepath.Join(dir, "ticks"))
		if pids := readPids(dir); len(pids) >= n && len(ticks) > 0 {
			var procs []procStat
			for _, pid := range pids {
				st, ok := readStat(pid)
				if !ok {
					t.Fatalf("process %d of the job is gone already", pid)
				}
				procs = append(procs, st)
			}
			return procs
		}
		select {
		case <-p.done:
			t.Fatalf("run exited %d before its job started; stderr %q", p.code, p.read(p.stderr))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job has not started its workers; pids %v", readPids(dir))
		}
	}
}

// living returns those of procs that still run (not zombies), and the
// other living members of the process group of the first.
func living(procs []procStat) []procStat {
	var out []procStat
	seen := map[int]bool{}
	for _, p := range procs {
		if st, ok := readStat(p.pid); ok && st.start == p.start && st.state != 'Z' && st.state != 'X' {
			out = append(out, st)
			seen[p.pid] = true
		}
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || seen[pid] {
			continue
		}
		if st, ok := readStat(pid); ok && len(procs) > 0 && st.pgrp == procs[0].pid && st.state != 'Z' && st.state != 'X' {
			out = append(out, st)
		}
	}
	return out
}

// waitGone waits at most d for every process of the tree to be gone, and
// returns those left.
func waitGone(procs []procStat, d time.Duration) []procStat {
	deadline := time.Now().Add(d)
	for {
		left := living(procs)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRunKilledHolderKillsTree kills "run" with SIGKILL while its job
// has a worker in the background, in its process group or daemonised out
// of it: the whole tree must be gone well before the lock (maxtime 3s)
// can expire, and the next holder of the lock must never see the worker
// still at work.
func TestRunKilledHolderKillsTree(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, job string }{
		{"background", backgroundJob},
		{"daemon", daemonJob},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t, "sqlite")
			dir := workerDir(t)
			holder := b.start(t, "run", "--maxtime", "3s", "job", "--", "sh", "-c", tc.job, dir)
			procs := waitTree(t, holder, dir, 2)
			if tc.name == "daemon" && procs[1].pgrp == procs[0].pid {
				t.Fatalf("the daemon %d did not leave the job's process group", procs[1].pid)
			}
			holder.cmd.Process.Kill()
			holder.wait(t, 5*time.Second)
			killed := time.Now()
			if left := waitGone(procs, time.Second); len(left) > 0 {
				t.Errorf("1s after run was killed, its job's processes still run: %+v", left)
			} else {
				t.Logf("the tree was gone %v after run was killed", time.Since(killed).Round(time.Millisecond))
			}

			// The next holder: the worker's ticks must not move while it
			// holds the lock.
			r := b.run(t, "", nil, "run", "--maxtime", "3s", "--wait", "10s", "job", "--",
				"sh", "-c", `a=$(wc -c < "$0/ticks"); sleep 0.3; b=$(wc -c < "$0/ticks"); echo "$a $b"`, dir)
			r.expect(t, 0)
			if f := strings.Fields(r.stdout); len(f) != 2 || f[0] != f[1] {
				t.Errorf("the killed holder's worker still ran while the next holder held the lock: ticks %q", r.stdout)
			}
		})
	}
}

// TestRunLostLockKillsTree deletes the row of a lock that "run" holds:
// when run exits 5, every process of its job is gone, including a worker
// that ignores SIGTERM (SIGKILL after --kill-after) and a daemon that
// left the job's process group.
func TestRunLostLockKillsTree(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, job, worker string }{
		{"stubborn background", backgroundJob, "stubborn"},
		{"daemon", daemonJob, "polite"},
		{"stubborn daemon", daemonJob, "stubborn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t, "sqlite")
			dir := workerDir(t)
			p := b.start(t, "run", "--maxtime", "1s", "--kill-after", "300ms", "lost", "--", "sh", "-c", tc.job, dir, tc.worker)
			procs := waitTree(t, p, dir, 2)
			db, _, err := dsn.Open(b.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec("DELETE FROM distlock WHERE name = 'lost'"); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(t, 15*time.Second); code != exitLost {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitLost, p.read(p.stderr))
			}
			if left := living(procs); len(left) > 0 {
				t.Errorf("run exited on the lost lock, but its job's processes still run: %+v", left)
			}
		})
	}
}

// TestRunExitKillsLeftovers: a job that exits while processes it started
// still run (one in its group, one daemonised) has them killed, SIGTERM
// first, before run releases the lock and exits with the job's status.
func TestRunExitKillsLeftovers(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	dir := workerDir(t)
	p := b.start(t, "run", "--kill-after", "300ms", "left", "--", "sh", "-c",
		`echo $$ >> "$0/pids"; sh "$0/worker.sh" "$0" polite &
		(setsid sh "$0/worker.sh" "$0" stubborn </dev/null >/dev/null 2>&1 &)
		while [ "$(wc -l < "$0/pids")" -lt 3 ]; do sleep 0.01; done; exit 7`, dir)
	if code := p.wait(t, 15*time.Second); code != 7 {
		t.Fatalf("exit %d, want the job's 7; stderr %q", code, p.read(p.stderr))
	}
	pids := readPids(dir)
	if len(pids) != 3 {
		t.Fatalf("pids %v", pids)
	}
	for _, pid := range pids {
		if st, ok := readStat(pid); ok && st.state != 'Z' && st.state != 'X' {
			t.Errorf("run has exited, but process %d of its job still runs", pid)
		}
	}
	terms, _ := os.ReadFile(filepath.Join(dir, "terms"))
	// The workers recorded their pids in either order.
	if got := strings.TrimSpace(string(terms)); got != strconv.Itoa(pids[1]) && got != strconv.Itoa(pids[2]) {
		t.Errorf("terms %q: the polite worker was not sent SIGTERM", got)
	}
	if _, held := b.lsEntries(t)["left"]; held {
		t.Error("lock still held")
	}
}
