package dialecttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// Two Modules campaigning with Lead never lead at once, every term's fence
// is above the previous one, Leader shows the leader (owner and term) to
// the other candidate, and a Lead whose context ends returns an error
// matching ctx.Err() and gives leadership up, to the other candidate
// waiting for it. Each candidate ends its campaign after each term it
// wins and campaigns again once the other has led, so that leadership
// passes back and forth while both campaign.
func testLead(t *testing.T, h Harness) {
	const terms = 8
	b := setup(t, h, distlock.Config{})
	name := uniqueName("lead")
	owners := []string{"candidate-a", "candidate-b"}
	mods := make([]*distlock.Module, len(owners))
	for i, o := range owners {
		mods[i] = b.peer(t, distlock.Config{Owner: o, MaxTime: short, RetryInterval: 5 * time.Millisecond})
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()

	var (
		leading atomic.Int32
		mu      sync.Mutex
		fences  []int64
		leaders []string
		errs    = make(chan error, 4*terms)
	)
	led := func() (int, string) { // terms so far, and the last leader
		mu.Lock()
		defer mu.Unlock()
		if len(leaders) == 0 {
			return 0, ""
		}
		return len(leaders), leaders[len(leaders)-1]
	}
	var wg sync.WaitGroup
	for i, m := range mods {
		wg.Go(func() {
			follower := mods[1-i]
			for ctx.Err() == nil {
				campaign, stop := context.WithCancel(ctx)
				err := m.Lead(campaign, name, func(ctx context.Context, l *distlock.Lock) error {
					if n := leading.Add(1); n != 1 {
						errs <- fmt.Errorf("%d leaders at once", n)
					}
					defer leading.Add(-1)
					info, err := follower.Leader(ctx, name)
					if err != nil || info.Owner != owners[i] || info.Fence != l.Fence() {
						errs <- fmt.Errorf("Leader during %s's term %d: %+v, %v", owners[i], l.Fence(), info, err)
					}
					mu.Lock()
					if n := len(fences); n > 0 && l.Fence() <= fences[n-1] {
						errs <- fmt.Errorf("term %d after term %d", l.Fence(), fences[n-1])
					}
					fences = append(fences, l.Fence())
					leaders = append(leaders, owners[i])
					if len(fences) == terms {
						cancel()
					}
					mu.Unlock()
					stop() // end this campaign; Lead gives leadership up
					return nil
				})
				stop()
				if !errors.Is(err, context.Canceled) {
					errs <- fmt.Errorf("Lead of %s returned %v, want context.Canceled", owners[i], err)
					return
				}
				// Campaign again once the other candidate has led.
				for n, last := led(); ctx.Err() == nil && (n == 0 || last == owners[i]); n, last = led() {
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(fences) < terms {
		t.Fatalf("%d terms in 30s, want %d", len(fences), terms)
	}
	for k := 1; k < len(leaders); k++ {
		if leaders[k] == leaders[k-1] {
			t.Errorf("%s led twice in a row: %v", leaders[k], leaders)
		}
	}
	if info, err := b.mod.Leader(b.ctx, name); !errors.Is(err, distlock.ErrNotHeld) {
		t.Fatalf("after Lead returned, Leader = %+v, %v; want ErrNotHeld", info, err)
	}
	t.Logf("terms %v, led by %v", fences, leaders)
}

// When the leader loses the lock, its fn's context ends with cause
// ErrLost, and Lead campaigns again: the next term has a higher fence.
func testLeadLost(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{MaxTime: short, RetryInterval: 5 * time.Millisecond})
	name := uniqueName("lead-lost")
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	var fences []int64
	var causes []error
	err := b.mod.Lead(ctx, name, func(ctx context.Context, l *distlock.Lock) error {
		fences = append(fences, l.Fence())
		if len(fences) == 2 {
			cancel()
			return nil
		}
		// Someone with access to the table ends the leader's lease.
		b.exec(t, fmt.Sprintf("UPDATE %s SET expires_at = acquired_at WHERE name = '%s'", b.table, name))
		select {
		case <-ctx.Done():
			causes = append(causes, context.Cause(ctx))
			return ctx.Err()
		case <-time.After(5 * short):
			return errors.New("the leader's context was not cancelled after it lost the lock")
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Lead: %v, want context.Canceled", err)
	}
	if len(causes) != 1 || !errors.Is(causes[0], distlock.ErrLost) {
		t.Fatalf("the lost term's context ended with %v, want ErrLost", causes)
	}
	if len(fences) != 2 || fences[1] <= fences[0] {
		t.Fatalf("terms %v, want two rising", fences)
	}
}
