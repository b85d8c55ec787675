package dialecttest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// Modules on separate pools (standing in for processes) and goroutines
// within each contend for one lock; the critical sections must never
// overlap, their fences must increase in the order they ran, and no
// database error (SQLite busy included) may reach the callers.
func testMutualExclusion(t *testing.T, h Harness) {
	const modules, workers, rounds = 3, 3, 8
	b := setup(t, h, distlock.Config{})
	name := uniqueName("mutex")
	mods := []*distlock.Module{b.mod}
	for len(mods) < modules {
		mods = append(mods, b.peer(t, distlock.Config{RetryInterval: 5 * time.Millisecond}))
	}
	var (
		inside   atomic.Int32
		mu       sync.Mutex
		fences   []int64
		counter  atomic.Int64 // read, then written: only the lock makes it exact
		failures = make(chan error, modules*workers)
		wg       sync.WaitGroup
	)
	for _, m := range mods {
		for range workers {
			wg.Go(func() {
				for range rounds {
					l := m.Get(name)
					err := l.Do(b.ctx, func(ctx context.Context) error {
						if n := inside.Add(1); n != 1 {
							return errors.New("two holders inside the critical section")
						}
						defer inside.Add(-1)
						c := counter.Load()
						time.Sleep(time.Millisecond)
						counter.Store(c + 1)
						mu.Lock()
						fences = append(fences, l.Fence())
						mu.Unlock()
						return nil
					})
					if err != nil {
						failures <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
	if got := counter.Load(); got != modules*workers*rounds {
		t.Fatalf("counter = %d, want %d: an update was lost", got, modules*workers*rounds)
	}
	for i := 1; i < len(fences); i++ {
		if fences[i] <= fences[i-1] {
			t.Fatalf("fence %d followed %d", fences[i], fences[i-1])
		}
	}
}
