package integration

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// tortureHooks adds to a torture run: more fault kinds, and a watcher
// that runs alongside the workers.
type tortureHooks struct {
	// faults, if set, edits the list of fault kinds that take turns.
	faults func([]fault) []fault
	// watch runs from the workers' start until they have all ended, with
	// the harness's Module and the log's path; it must return when ctx
	// ends.
	watch func(ctx context.Context, mod *distlock.Module, logPath string)
}

func (h tortureHooks) editFaults(fs []fault) []fault {
	if h.faults == nil {
		return fs
	}
	return h.faults(fs)
}

// startWatch starts hooks.watch, if any, and returns the function that
// stops it and waits for it (also called when the test ends).
func (h tortureHooks) startWatch(t *testing.T, mod *distlock.Module, logPath string) func() {
	if h.watch == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.watch(ctx, mod, logPath)
	}()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// TestTortureFailover is the torture test on a PostgreSQL primary with a
// synchronous standby, through the multi-host DSN, with one more fault
// kind taking its turn with the others: a failover. The primary crashes
// (stop -m immediate), the standby is promoted, and the crashed node is
// rebuilt as the new synchronous standby, ready for the next failover.
// On top of the torture's checks (no overlap but with a killed holder
// after its expiry, no lost counter update, fences only grow, work after
// the last fault) it reports how long after each failover began the first
// lock was acquired, and how long locks were held by a token nobody had
// (see orphans), and fails if that exceeded the lease (MaxTime) by more
// than a second: a lease bounds every orphan.
//
//	eval "$(.ci/fixtures/pgstandby.sh start)"
//	go test -run '^TestTortureFailover$' -v -torture.duration=30s -torture.faults=8 ./integration
func TestTortureFailover(t *testing.T) {
	p := failoverPair(t)
	var logPath string
	hooks := orphanHooks(t, &logPath)
	hooks.faults = func(fs []fault) []fault {
		// A configured server restart restarts the shared server, not
		// the pair: the failover takes its place.
		fs = slices.DeleteFunc(fs, func(f fault) bool { return f.name == "server restart" })
		return append(fs, fault{name: "failover", inject: p.failoverFault, required: true})
	}
	torture(t, p.tg, hooks)
	if logPath == "" || t.Failed() {
		return
	}
	recs, err := failoverRecoveries(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		t.Logf("torture postgres-failover: %v", r)
	}
	reportOrphans(t, "torture postgres-failover", logPath, *tortureMaxTime)
}

// failoverFault crashes the primary, promotes the standby and rebuilds
// the crashed node as the new standby, logging each step as an F line:
// failover (start), crashed, promoted, rejoined.
func (p *pgPair) failoverFault(t *testing.T, _ target, _ *distlock.Module, _ *workers, log *os.File) error {
	fmt.Fprintf(log, "F failover %d\n", time.Now().UnixNano())
	for _, step := range []struct{ cmd, done string }{{"crash", "crashed"}, {"promote", "promoted"}, {"rejoin", "rejoined"}} {
		if _, err := p.runErr(step.cmd); err != nil {
			return err
		}
		fmt.Fprintf(log, "F %s %d\n", step.done, time.Now().UnixNano())
	}
	return nil
}

// recovery is how soon locks were acquired again after one failover.
type recovery struct {
	start, crashed, promoted time.Time
	first                    time.Time // the first acquisition after the crash, by the database's clock
}

func (r recovery) String() string {
	if r.first.IsZero() {
		return fmt.Sprintf("failover at %s: crash took %v, promotion %v; no acquisition after it",
			r.start.Format("15:04:05.000"), r.crashed.Sub(r.start).Round(time.Millisecond), r.promoted.Sub(r.crashed).Round(time.Millisecond))
	}
	return fmt.Sprintf("failover at %s: crash took %v, promotion %v; first acquisition %v after the failover began (%v after the promotion was seen)",
		r.start.Format("15:04:05.000"), r.crashed.Sub(r.start).Round(time.Millisecond), r.promoted.Sub(r.crashed).Round(time.Millisecond),
		r.first.Sub(r.start).Round(time.Millisecond), r.first.Sub(r.promoted).Round(time.Millisecond))
}

// failoverRecoveries reads the F lines of failoverFault and the E lines
// of the log: for each failover, the first acquisition (E's acquiredAt)
// after the crash, which only the promoted standby can have made.
func failoverRecoveries(path string) ([]recovery, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []recovery
	var cur *recovery
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		switch {
		case fields[0] == "F":
			var wall int64
			fmt.Sscan(fields[2], &wall)
			at := time.Unix(0, wall)
			switch fields[1] {
			case "failover":
				recs = append(recs, recovery{start: at})
				cur = &recs[len(recs)-1]
			case "crashed":
				if cur != nil {
					cur.crashed = at
				}
			case "promoted":
				if cur != nil {
					cur.promoted = at
				}
			}
		case fields[0] == "E" && len(fields) > 4 && cur != nil && !cur.crashed.IsZero() && cur.first.IsZero():
			var acquiredAt int64 // E name id fence acquiredAt wall
			if _, err := fmt.Sscan(fields[4], &acquiredAt); err != nil {
				return nil, err
			}
			if at := time.Unix(0, acquiredAt); at.After(cur.crashed) {
				cur.first = at
			}
		}
	}
	return recs, sc.Err()
}

// orphanHooks samples the live locks every 20ms into the torture log
// (see watchLocks), whose path it stores in *logPath, for reportOrphans.
func orphanHooks(t *testing.T, logPath *string) tortureHooks {
	return tortureHooks{watch: func(ctx context.Context, mod *distlock.Module, path string) {
		*logPath = path
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		watchLocks(ctx, mod, f, "torture-", 20*time.Millisecond)
	}}
}

// reportOrphans logs the longest times locks were held by a token nobody
// had, and fails the test if one outlasted the lease by more than a
// second.
func reportOrphans(t *testing.T, what, logPath string, maxTime time.Duration) {
	t.Helper()
	found, err := orphans(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Logf("%s: no lock was seen held by a token nobody had", what)
		return
	}
	t.Logf("%s: %d acquisitions seen held by a token nobody had; the longest:", what, len(found))
	for _, o := range found[:min(len(found), 5)] {
		t.Logf("%s:   %v", what, o)
	}
	if longest := found[0]; longest.Span > maxTime+time.Second {
		t.Errorf("%s: %v: longer than the lease (MaxTime %v) allows", what, longest, maxTime)
	}
}
