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
// the other candidate, leadership passes between them, and when their
// contexts end both return an error matching ctx.Err() and give
// leadership up.
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
		leaders = map[string]int{}
		errs    = make(chan error, 2*terms+len(owners))
	)
	var wg sync.WaitGroup
	for i, m := range mods {
		wg.Go(func() {
			follower := mods[1-i]
			err := m.Lead(ctx, name, func(ctx context.Context, l *distlock.Lock) error {
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
				leaders[owners[i]]++
				if len(fences) == terms {
					cancel()
				}
				mu.Unlock()
				select { // lead a while, or until the end
				case <-ctx.Done():
				case <-time.After(5 * time.Millisecond):
				}
				return nil
			})
			if !errors.Is(err, context.Canceled) {
				errs <- fmt.Errorf("Lead of %s returned %v, want context.Canceled", owners[i], err)
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
	if len(leaders) < 2 {
		t.Errorf("only %v led: leadership never passed", leaders)
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
