package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
)

// TestFailoverUnderLoad crashes the primary (stop -m immediate) and
// promotes its synchronous standby while separate pools, each a Module on
// its own *sql.DB through the multi-host DSN, run critical sections under
// a few locks with Do, logged as the torture test logs them (enter and
// exit with the fence, a read-modify-write of a counter file). Two more
// locks are held through the failover by Do calls that go on for a lease
// after the promotion. It checks:
//
//   - no acknowledged acquisition is lost: for each lock, the promoted
//     standby's row has a fence at least the greatest one the old primary
//     acknowledged (Do's function started before the crash ended), and its fence
//     sequence is past them all; the locks held through the failover are
//     there with their fences, are kept alive by their holders on the new
//     primary, and released without error;
//   - fences never go back, and no counter update is lost;
//   - no two critical sections overlap. No overlap is forgiven: nothing is
//     killed here, and a holder that cannot extend its lock stops (its
//     context is cancelled) before the lock can expire, so with every
//     acknowledged commit on the standby, any overlap is a failure;
//   - waiters recover: each pool acquires again within 10s of the crash;
//   - no lock is held by a token nobody has for longer than the lease.
//
// It logs the time from the crash's start to the first acquisition after
// it, and the failures the pools met.
func TestFailoverUnderLoad(t *testing.T) {
	t.Parallel()
	p := failoverPair(t)
	const pools, perPool, names = 4, 3, 3
	maxTime := 3 * time.Second
	cfg := distlock.Config{MaxTime: maxTime, RetryInterval: 10 * time.Millisecond}
	h, mod := setup(t, p.tg, cfg)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	stop, stopWork := context.WithCancel(ctx)
	defer stopWork()

	var mu sync.Mutex
	var acks []ack
	failures := map[string]int{}
	record := func(a ack) { mu.Lock(); acks = append(acks, a); mu.Unlock() }
	var wg sync.WaitGroup
	mods := make([]*distlock.Module, pools)
	for i := range pools {
		pcfg := cfg
		pcfg.Table, pcfg.Owner = h.table, "pool-"+strconv.Itoa(i)
		if mods[i], err = distlock.New(p.open(p.tg), p.tg.Dialect, pcfg); err != nil {
			t.Fatal(err)
		}
		defer mods[i].Close()
		for g := range perPool {
			wg.Go(func() {
				id := fmt.Sprintf("%d.%d", i, g)
				for n := 0; stop.Err() == nil; n++ {
					l := mods[i].Get("load-" + strconv.Itoa((g+n)%names))
					err := l.Do(stop, func(ctx context.Context) error {
						record(ack{l.Name(), l.Fence(), time.Now(), i})
						return section(ctx, mods[i], l, logf, dir, id, false, maxTime)
					})
					if err != nil && stop.Err() == nil {
						mu.Lock()
						failures[failureKey(err)]++
						mu.Unlock()
						time.Sleep(20 * time.Millisecond) // the database may be down
					}
				}
			})
		}
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	var watchWG sync.WaitGroup
	watchWG.Go(func() { watchLocks(watchCtx, mod, logf, "load-", 20*time.Millisecond) })
	defer func() { stopWatch(); watchWG.Wait() }()

	// Two locks held through the failover, for a lease after it.
	promotedCh := make(chan struct{})
	held := make([]struct {
		fence int64
		err   error
	}, 2)
	heldIn := make(chan struct{}, len(held))
	var heldWG sync.WaitGroup
	for i := range held {
		heldWG.Go(func() {
			l := mods[i].Get("held-" + strconv.Itoa(i))
			held[i].err = l.Do(ctx, func(ctx context.Context) error {
				held[i].fence = l.Fence()
				heldIn <- struct{}{}
				select {
				case <-promotedCh:
				case <-ctx.Done():
					return context.Cause(ctx)
				}
				select { // a lease on the new primary: kept alive there, or lost
				case <-time.After(maxTime):
					return nil
				case <-ctx.Done():
					return context.Cause(ctx)
				}
			})
		})
	}
	for range held {
		select {
		case <-heldIn:
		case <-time.After(20 * time.Second):
			t.Fatal("the held locks were not acquired in 20s")
		}
	}
	waitAcks(t, &mu, &acks, 40, 20*time.Second)

	crashStart := time.Now()
	p.run("crash")
	crashed := time.Now()
	p.run("promote")
	promoted := time.Now()
	close(promotedCh)
	for i := range held {
		in, err := inspectRetrying(ctx, mod, "held-"+strconv.Itoa(i))
		if err != nil || in.Fence != held[i].fence {
			t.Errorf("after the failover, held-%d is %+v (%v); want the acquisition with fence %d held through it", i, in, err, held[i].fence)
		}
	}
	heldWG.Wait()
	waitRecovered(&mu, &acks, crashed, pools, crashStart.Add(10*time.Second))
	for i := range held {
		if held[i].err != nil {
			t.Errorf("Do holding held-%d through the failover: %v", i, held[i].err)
		}
	}
	stopWork()
	wg.Wait()
	stopWatch()
	watchWG.Wait()

	checkAcks(t, p, h.table, acks, crashStart, crashed, promoted, pools)
	res, err := checkTorture(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("failover under load: %d pools × %d goroutines on %d locks, MaxTime %v: %d critical sections, %d aborted (lock lost, or the run ended); Do failures %v",
		pools, perPool, names, maxTime, res.Sections, res.Aborted, failures)
	t.Logf("failover under load: crash took %v, promotion %v; violations %d",
		crashed.Sub(crashStart).Round(time.Millisecond), promoted.Sub(crashed).Round(time.Millisecond), len(res.Violations))
	for _, v := range res.Violations {
		t.Error(v)
	}
	reportOrphans(t, "failover under load", logPath, maxTime)
}

// ack is an acquisition a client was told about: Do's function started.
type ack struct {
	name  string
	fence int64
	at    time.Time
	pool  int
}

// checkAcks checks that the promoted standby has every acquisition the
// old primary acknowledged (before the crash ended: the standby takes no
// writes before its promotion), and that every pool acquired again soon
// after the crash.
func checkAcks(t *testing.T, p *pgPair, table string, acks []ack, crashStart, crashed, promoted time.Time, pools int) {
	t.Helper()
	maxAck := map[string]int64{}
	var maxAll int64
	var first time.Time
	recovered := make([]time.Time, pools)
	for _, a := range acks {
		if a.at.Before(crashed) { // the old primary acknowledged it
			maxAck[a.name] = max(maxAck[a.name], a.fence)
			maxAll = max(maxAll, a.fence)
		}
		if a.at.After(crashed) {
			if first.IsZero() || a.at.Before(first) {
				first = a.at
			}
			if recovered[a.pool].IsZero() || a.at.Before(recovered[a.pool]) {
				recovered[a.pool] = a.at
			}
		}
	}
	db := p.open(p.tg)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	lost := false
	for name, fence := range maxAck {
		var got int64
		if err := db.QueryRowContext(ctx, `SELECT fence FROM "`+table+`" WHERE name = $1`, name).Scan(&got); err != nil || got < fence {
			lost = true
			t.Errorf("lost acknowledged acquisition: the new primary has %s at fence %d (%v), but the old one acknowledged fence %d", name, got, err, fence)
		}
	}
	var last int64
	if err := db.QueryRowContext(ctx, `SELECT last_value FROM "`+table+`_fence_seq"`).Scan(&last); err != nil || last < maxAll {
		lost = true
		t.Errorf("the new primary's fence sequence is at %d (%v), below fence %d that the old one acknowledged", last, err, maxAll)
	}
	if first.IsZero() {
		t.Errorf("no acquisition after the failover")
		return
	}
	if !lost {
		t.Logf("failover under load: the acquisitions of %d locks acknowledged by the old primary are all on the new one (greatest fence %d, sequence at %d)",
			len(maxAck), maxAll, last)
	}
	t.Logf("failover under load: first acquisition %v after the crash began, %v after the promotion was seen",
		first.Sub(crashStart).Round(time.Millisecond), first.Sub(promoted).Round(time.Millisecond))
	for i, at := range recovered {
		switch {
		case at.IsZero():
			t.Errorf("pool %d acquired nothing after the crash", i)
		case at.Sub(crashStart) > 10*time.Second:
			t.Errorf("pool %d acquired again only %v after the crash began, not within 10s", i, at.Sub(crashStart))
		}
	}
}

// waitRecovered waits until every pool has had an acquisition
// acknowledged after the crash, or the deadline.
func waitRecovered(mu *sync.Mutex, acks *[]ack, crashed time.Time, pools int, deadline time.Time) {
	for ; time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		seen := map[int]bool{}
		mu.Lock()
		for _, a := range *acks {
			if a.at.After(crashed) {
				seen[a.pool] = true
			}
		}
		mu.Unlock()
		if len(seen) == pools {
			return
		}
	}
}

// waitAcks waits until n acquisitions have been acknowledged.
func waitAcks(t *testing.T, mu *sync.Mutex, acks *[]ack, n int, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		got := len(*acks)
		mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d acquisitions in %v", got, d)
		}
	}
}

// inspectRetrying inspects name, retrying for up to 10s the failures of
// connections that the crash left in the pool.
func inspectRetrying(ctx context.Context, mod *distlock.Module, name string) (distlock.Info, error) {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		in, err := mod.Inspect(ctx, name)
		if err == nil || errors.Is(err, distlock.ErrNotHeld) || time.Now().After(deadline) {
			return in, err
		}
	}
}

// failureKey names a Do failure: the operation and the error's kind.
func failureKey(err error) string {
	var dbErr *distlock.DBError
	switch {
	case errors.Is(err, distlock.ErrLost):
		return "lost"
	case errors.As(err, &dbErr):
		return dbErr.Op + "/" + dialect.KindOf(err).String()
	}
	return "other"
}
