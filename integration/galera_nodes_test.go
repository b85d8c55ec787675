package integration

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// galeraTarget is the cluster as one target: node 1's DSN, and every
// node's for the torture workers to spread over.
func galeraTarget(t *testing.T) target {
	t.Helper()
	nodes := galeraNodes(t)
	tg := nodes[0]
	for _, n := range nodes {
		tg.Nodes = append(tg.Nodes, n.DSN)
	}
	return tg
}

// runGaleraCtl runs the fixture's `kill N` or `restart N`.
func runGaleraCtl(ctx context.Context, verb string, node int) error {
	ctl := os.Getenv(galeraCtlEnv)
	if ctl == "" {
		return fmt.Errorf("%s is not set", galeraCtlEnv)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, ctl, verb, strconv.Itoa(node)).CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s %d: %v\n%s", ctl, verb, node, err, out)
	}
	return nil
}

// galeraTortureMin is the shortest torture of a Galera cluster: a
// node's restart (recovery, IST, sync) takes about ten seconds here, and
// twice that on a busy machine; the run must go on well past it.
const galeraTortureMin = 40 * time.Second

// galeraFaults are the torture's faults for a Galera cluster: besides
// SIGKILL of a holder, SIGKILL of a whole node (node 2: the harness's own
// Module is on node 1) and its restart, which returns once the node has
// rejoined by IST and is synced; and KILL of node 1's connections.
func galeraFaults() []fault {
	kill := func(t *testing.T, _ target, _ *distlock.Module, _ *workers, log *os.File) error {
		start := time.Now()
		fmt.Fprintf(log, "F nodekill %d\n", start.UnixNano())
		if err := runGaleraCtl(t.Context(), "kill", 2); err != nil {
			return err
		}
		err := runGaleraCtl(t.Context(), "restart", 2)
		fmt.Fprintf(log, "F rejoined %d\n", time.Now().UnixNano())
		t.Logf("galera node 2 killed and rejoined in %v", time.Since(start).Round(time.Millisecond))
		return err
	}
	return []fault{
		{name: "kill -9 node and rejoin", inject: kill, required: true, once: true},
		{name: "KILL connections (node 1)", inject: killMySQLConnections},
	}
}

// Processes contending through different nodes for one lock never
// overlap, lose no update of a shared counter, and see fences rise in the
// order they ran: exclusion holds across the cluster.
func TestGaleraProcessesExclude(t *testing.T) {
	t.Parallel()
	nodes := galeraNodes(t)
	const perNode, rounds = 2, 10
	h, _ := setup(t, nodes[0], distlock.Config{MaxTime: 10 * time.Second, RetryInterval: 5 * time.Millisecond})
	dir := t.TempDir()
	logPath, counter := filepath.Join(dir, "log"), filepath.Join(dir, "counter")
	h.extra = []string{"H_ROUNDS=" + strconv.Itoa(rounds), "H_LOG=" + logPath, "H_COUNTER=" + counter}
	var wg sync.WaitGroup
	errs := make(chan error, perNode*len(nodes))
	for i := range perNode * len(nodes) {
		hn := h
		hn.tg = nodes[i%len(nodes)]
		cmd := hn.command(t, "contend")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { errs <- cmd.Wait() })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a contending process failed: %v", err)
		}
	}
	total := perNode * len(nodes) * rounds
	checkLog(t, logPath, total)
	data, _ := os.ReadFile(counter)
	if got := strings.TrimSpace(string(data)); got != strconv.Itoa(total) {
		t.Fatalf("counter = %s, want %d: an update was lost", got, total)
	}
}

// countExits counts the sections completed in a torture log.
func countExits(t *testing.T, path string) int {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if strings.HasPrefix(sc.Text(), "X ") {
			n++
		}
	}
	return n
}

// waitExits waits until the torture log holds at least n completed
// sections, for at most d; it returns how long that took.
func waitExits(t *testing.T, path string, n int, d time.Duration, what string) time.Duration {
	t.Helper()
	start := time.Now()
	for countExits(t, path) < n {
		if time.Since(start) > d {
			t.Fatalf("%s: fewer than %d sections completed after %v", what, n, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// A node killed with SIGKILL while holders and waiters work through all
// three nodes: the clients of the other two keep completing critical
// sections, with no overlap and no lost update; the locks that clients of
// the dead node held are taken over once they expire; the node rejoins and
// serves locks again. Not parallel: it takes node 3 away from the others.
func TestGaleraNodeKill(t *testing.T) {
	nodes := galeraNodes(t)
	if os.Getenv(galeraCtlEnv) == "" {
		skipOrFail(t, "%s is not set: cannot kill a Galera node", galeraCtlEnv)
	}
	const maxTime = 1500 * time.Millisecond
	cfg := distlock.Config{MaxTime: maxTime, RetryInterval: 10 * time.Millisecond}
	h, mod := setup(t, nodes[0], cfg)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	until := time.Now().Add(30 * time.Second)
	h.extra = []string{"H_NAMES=3", "H_WORKERS=2", "H_UNTIL=" + strconv.FormatInt(until.UnixNano(), 10),
		"H_LOG=" + logPath, "H_DIR=" + dir, "H_LONG=0.05"}
	var perNode []*workers
	for _, n := range nodes {
		hn := h
		hn.tg = n
		w := &workers{t: t, h: hn}
		w.start()
		w.start()
		perNode = append(perNode, w)
	}
	waitExits(t, logPath, 20, 20*time.Second, "before the kill")

	// A lock held through node 3 when it dies stays held, by a token its
	// holder can no longer use, until it expires; its holder must stop
	// before anyone else takes it.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	m3 := openModule(t, nodes[2], h.table, cfg)
	held, lostAt, doErr := make(chan struct{}), make(chan time.Time, 1), make(chan error, 1)
	go func() {
		doErr <- m3.Get("stranded").Do(ctx, func(ctx context.Context) error {
			close(held)
			<-ctx.Done()
			lostAt <- time.Now()
			return context.Cause(ctx)
		})
	}()
	select {
	case <-held:
	case <-ctx.Done():
		t.Fatal("no hold through node 3")
	}
	atKill := countExits(t, logPath)
	if err := runGaleraCtl(t.Context(), "kill", 3); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	fmt.Fprintf(logf, "F nodekill %d\n", killed.UnixNano())
	tok, err := mod.Acquire(ctx, "stranded")
	if err != nil {
		t.Fatalf("the lock held through the dead node was not taken over: %v", err)
	}
	takenAt := time.Now()
	t.Logf("a lock held through node 3 was taken over through node 1 %v after node 3 was killed (MaxTime %v)",
		takenAt.Sub(killed).Round(time.Millisecond), maxTime)
	if err := mod.Release(ctx, "stranded", tok); err != nil {
		t.Fatal(err)
	}
	select {
	case lost := <-lostAt:
		if lost.After(takenAt) {
			t.Errorf("the holder on the dead node ran on until %v, after the takeover at %v", lost, takenAt)
		} else {
			t.Logf("its holder on the dead node stopped %v after the kill, %v before the takeover",
				lost.Sub(killed).Round(time.Millisecond), takenAt.Sub(lost).Round(time.Millisecond))
		}
	case <-ctx.Done():
		t.Fatal("the holder on the dead node never learnt that it lost the lock")
	}

	took := waitExits(t, logPath, atKill+20, 30*time.Second, "with node 3 dead")
	t.Logf("node 3 killed: 20 more sections through nodes 1 and 2 in %v", took.Round(time.Millisecond))

	start := time.Now()
	if err := runGaleraCtl(t.Context(), "restart", 3); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(logf, "F rejoined %d\n", time.Now().UnixNano())
	t.Logf("node 3 rejoined in %v", time.Since(start).Round(time.Millisecond))
	if err := <-doErr; !errors.Is(err, distlock.ErrLost) {
		t.Errorf("Do through the dead node returned %v, want ErrLost", err)
	}
	// The rejoined node serves locks, and sees those taken elsewhere.
	tok, err = m3.TryAcquire(ctx, "after-rejoin")
	if err != nil {
		t.Fatalf("acquire through the rejoined node: %v", err)
	}
	if in, err := mod.Inspect(ctx, "after-rejoin"); err != nil || in.Holds != 1 {
		t.Fatalf("node 1 does not see the lock taken through the rejoined node: %+v, %v", in, err)
	}
	if err := mod.Release(ctx, "after-rejoin", tok); err != nil {
		t.Fatalf("release through node 1: %v", err)
	}
	afterRejoin := countExits(t, logPath)
	waitExits(t, logPath, afterRejoin+20, 20*time.Second, "after the rejoin")

	var reports []workerReport
	for _, w := range perNode {
		reports = append(reports, w.wait(until.Add(3*maxTime))...)
	}
	res, err := checkTorture(logPath)
	if err != nil {
		t.Fatal(err)
	}
	errs := map[string]int{}
	for _, r := range reports {
		for k, v := range r.Errors {
			errs[k] += v
		}
	}
	t.Logf("%d sections completed (%d aborted: lock lost), %d after the rejoin; client errors %v; violations %d",
		res.Sections, res.Aborted, res.AfterFault, errs, len(res.Violations))
	for _, v := range res.Violations {
		t.Error(v)
	}
}
