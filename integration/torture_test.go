package integration

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

var (
	tortureDuration = flag.Duration("torture.duration", 8*time.Second, "how long each database is tortured")
	tortureProcs    = flag.Int("torture.procs", 3, "worker processes")
	tortureWorkers  = flag.Int("torture.workers", 3, "goroutines per worker process")
	tortureNames    = flag.Int("torture.names", 3, "lock names contended for")
	tortureMaxTime  = flag.Duration("torture.maxtime", 1500*time.Millisecond, "MaxTime of the workers' locks")
	tortureFaults   = flag.Int("torture.faults", 6, "faults injected per database")
	tortureVacuum   = flag.Duration("torture.vacuum", 100*time.Millisecond, "pause between the Vacuums that run all along (0: none)")
)

// TestTorture makes worker processes fight over a few locks while the
// harness kills holders with SIGKILL, terminates database connections
// (the LISTEN one included) and restarts the server, then checks the
// log: no overlapping critical sections, no lost counter update, fences
// strictly increasing, no takeover before the killed holder's expiry, and
// work completed after the last fault. Server restarts run only when a
// command is given in DISTLOCK_TORTURE_RESTART_POSTGRES /
// DISTLOCK_TORTURE_RESTART_MYSQL (.ci/run sets them); it runs alone, not
// in parallel with other tests, because it restarts servers.
//
//	go test -run TestTorture -v -torture.duration=5m ./integration
func TestTorture(t *testing.T) {
	for _, name := range []string{"sqlite", "postgres", "mysql", "galera", "pgbouncer", "tidb"} {
		t.Run(name, func(t *testing.T) {
			tg := sqliteTarget(t)
			switch name {
			case "galera":
				tg = galeraTarget(t)
			case "pgbouncer":
				tg = pgbouncerTarget(t)
			case "tidb":
				tg = tidbTarget(t)
			case "postgres", "mysql":
				tg = serverTarget(t, name)
			}
			var logPath string
			torture(t, tg, orphanHooks(t, &logPath))
			if logPath != "" && !t.Failed() {
				reportOrphans(t, "torture "+name, logPath, *tortureMaxTime)
			}
		})
	}
}

func torture(t *testing.T, tg target, hooks tortureHooks) {
	cfg := distlock.Config{MaxTime: *tortureMaxTime, RetryInterval: 10 * time.Millisecond}
	h, mod := setup(t, tg, cfg)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	duration := *tortureDuration
	if tg.Name == "galera" {
		duration = max(duration, galeraTortureMin) // a node's restart takes seconds
	}
	duration = max(duration, hooks.minDuration)
	until := time.Now().Add(duration)
	h.extra = []string{
		"H_NAMES=" + strconv.Itoa(*tortureNames), "H_WORKERS=" + strconv.Itoa(*tortureWorkers),
		"H_UNTIL=" + strconv.FormatInt(until.UnixNano(), 10), "H_LOG=" + logPath, "H_DIR=" + dir,
		"H_LONG=0.05",
	}
	w := &workers{t: t, h: h}
	for range *tortureProcs {
		w.start()
	}

	stopWatch := hooks.startWatch(t, mod, logPath)
	vacuumed, stopVacuum := vacuumAlong(t, mod)
	faults := hooks.editFaults(faultsFor(tg))
	injected := map[string]int{}
	// Faults fill the first 60% of the run, on a fixed schedule; those a
	// slow fault (the restart, first) delayed follow it at once, within
	// that window. The rest of the run shows the recovery.
	start, window := time.Now(), duration*6/10
	next := 0 // the kinds take turns, whatever slots a slow restart costs
	for i := range *tortureFaults {
		at := start.Add(window * time.Duration(i+1) / time.Duration(*tortureFaults))
		if time.Now().After(start.Add(window)) || len(faults) == 0 {
			break // behind schedule past the window: leave the rest of the run to the recovery
		}
		time.Sleep(time.Until(at)) // behind schedule (after the restart): at once
		k := next % len(faults)
		f := faults[k]
		if f.once {
			faults = slices.Delete(slices.Clone(faults), k, k+1) // this slot only
		} else {
			next++
		}
		if err := f.inject(t, tg, mod, w, logf); err != nil {
			if f.required {
				t.Errorf("fault %s failed: %v", f.name, err)
			} else {
				t.Logf("fault %s not injected: %v", f.name, err)
			}
			continue
		}
		injected[f.name]++
	}
	// A worker ends within its Do's release and its Module's Close, which
	// waits for background give-backs (up to 5 s, while the database is
	// down).
	reports := w.wait(until.Add(3**tortureMaxTime + 6*time.Second))
	stopWatch()
	stopVacuum()

	res, err := checkTorture(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var sum workerReport
	sum.Errors = map[string]int{}
	for _, r := range reports {
		sum.Sections += r.Sections
		sum.Lost += r.Lost
		for k, v := range r.Errors {
			sum.Errors[k] += v
		}
	}
	t.Logf("torture %s: %v, %d processes × %d goroutines on %d locks, MaxTime %v",
		tg.Name, duration, w.started, *tortureWorkers, *tortureNames, *tortureMaxTime)
	t.Logf("torture %s: %d critical sections completed (%d aborted: lock lost), %d after the last fault",
		tg.Name, res.Sections, res.Aborted, res.AfterFault)
	t.Logf("torture %s: faults injected %v; client errors seen %v (%d Do calls reported ErrLost)",
		tg.Name, injected, sum.Errors, sum.Lost)
	t.Logf("torture %s: vacuum ran %d times beside, removing %d rows (%d failed: %v)",
		tg.Name, vacuumed.runs, vacuumed.removed, vacuumed.failed, vacuumed.lastErr)
	if n := len(res.Takeovers); n > 0 {
		t.Logf("torture %s: takeover after SIGKILL of a holder: min %v, median %v, max %v (MaxTime %v, %d takeovers)",
			tg.Name, res.Takeovers[0].Round(time.Millisecond), res.Takeovers[n/2].Round(time.Millisecond),
			res.Takeovers[n-1].Round(time.Millisecond), *tortureMaxTime, n)
	}
	// Every Do call a worker counts as completed logged its section's
	// exit first; workers killed, or whose report is missing, only add
	// sections to the log.
	if sum.Sections > res.Sections {
		t.Errorf("torture %s: workers report %d completed sections, the log only %d: log lines were lost",
			tg.Name, sum.Sections, res.Sections)
	}
	t.Logf("torture %s: violations %d", tg.Name, len(res.Violations))
	for _, v := range res.Violations {
		t.Error(v)
	}
	if res.Sections == 0 || res.AfterFault == 0 {
		t.Errorf("no critical section completed after the last fault: the clients did not recover")
	}
}

// vacuumRuns counts what vacuumAlong did.
type vacuumRuns struct {
	runs, removed, failed int64
	lastErr               error
}

// vacuumAlong runs Vacuum every -torture.vacuum until the returned stop
// is called: rows of released locks are deleted while others take them
// again, so that fences must stay above the floor of deleted ones (the
// checker sees them rise). Vacuum failing while faults hit the database
// is expected, and counted.
func vacuumAlong(t *testing.T, mod *distlock.Module) (*vacuumRuns, func()) {
	var v vacuumRuns
	if *tortureVacuum <= 0 {
		return &v, func() {}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(*tortureVacuum)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			n, err := mod.Vacuum(ctx)
			cancel()
			v.runs++
			v.removed += n
			if err != nil {
				v.failed++
				v.lastErr = err
			}
		}
	}()
	return &v, func() { close(stop); <-done }
}

// workers keeps the torture's worker processes.
type workers struct {
	t       *testing.T
	h       helper
	mode    string // helper mode; "" is "torture"
	mu      sync.Mutex
	procs   map[int]*workerProc
	started int
	reports []workerReport
	wg      sync.WaitGroup
}

type workerProc struct {
	cmd    *exec.Cmd
	killed bool
	done   chan struct{} // closed once the process has been waited for
}

func (w *workers) start() {
	h := w.h
	if nodes := h.tg.Nodes; len(nodes) > 0 { // a cluster: spread the workers over its nodes
		w.mu.Lock()
		h.tg.DSN = nodes[w.started%len(nodes)]
		w.mu.Unlock()
	}
	cmd := h.command(w.t, cmp.Or(w.mode, "torture"))
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	p := &workerProc{cmd: cmd, done: make(chan struct{})}
	w.mu.Lock()
	if w.procs == nil {
		w.procs = map[int]*workerProc{}
	}
	w.procs[cmd.Process.Pid] = p
	w.started++
	w.mu.Unlock()
	w.wg.Go(func() {
		err := cmd.Wait()
		close(p.done)
		w.mu.Lock()
		defer w.mu.Unlock()
		if p.killed {
			return
		}
		if err != nil {
			w.t.Errorf("torture worker %d failed: %v", cmd.Process.Pid, err)
			return
		}
		var r workerReport
		if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
			w.t.Errorf("torture worker %d report %q: %v", cmd.Process.Pid, out.String(), err)
		}
		w.reports = append(w.reports, r)
	})
}

// kill SIGKILLs pid and waits until it is gone; the caller starts a
// replacement.
func (w *workers) kill(pid int) bool {
	w.mu.Lock()
	p := w.procs[pid]
	if p == nil || p.killed {
		w.mu.Unlock()
		return false
	}
	p.killed = true
	w.mu.Unlock()
	p.cmd.Process.Kill()
	<-p.done
	return true
}

// alive reports whether pid is a worker not killed.
func (w *workers) alive(pid int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.procs[pid]
	return p != nil && !p.killed
}

// any returns the pid of a live worker.
func (w *workers) any() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	for pid, p := range w.procs {
		if !p.killed {
			return pid
		}
	}
	return 0
}

func (w *workers) wait(deadline time.Time) []workerReport {
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Until(deadline)):
		w.t.Errorf("torture workers still running at %s, their deadline", deadline.Format("15:04:05.000"))
		w.mu.Lock()
		for _, p := range w.procs {
			p.cmd.Process.Kill()
		}
		w.mu.Unlock()
		<-done
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.reports
}
