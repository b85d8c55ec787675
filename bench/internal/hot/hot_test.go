package hot

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distlock/distlock/bench/internal/lockers"
)

// chanLocker is an in-process Locker of one name at a time: a channel of
// one token shared by every locker made from it. It counts its Locks and
// fails every Lock once failAfter have succeeded (0: never).
type chanLocker struct {
	token     chan struct{}
	locks     *atomic.Int64
	failAfter int64
}

func newChanLockers(n int, failAfter int64) ([]lockers.Locker, *atomic.Int64) {
	token := make(chan struct{}, 1)
	token <- struct{}{}
	locks := new(atomic.Int64)
	ls := make([]lockers.Locker, n)
	for i := range ls {
		ls[i] = chanLocker{token, locks, failAfter}
	}
	return ls, locks
}

func (c chanLocker) Lock(ctx context.Context, _ string) (lockers.Unlock, error) {
	select {
	case <-c.token:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if n := c.locks.Add(1); c.failAfter > 0 && n > c.failAfter {
		c.token <- struct{}{}
		return nil, errBroken
	}
	return func(context.Context) error { c.token <- struct{}{}; return nil }, nil
}

func (chanLocker) Close() error { return nil }

var errBroken = errors.New("broken")

// timer records the calls a *testing.B would get.
type timer struct{ calls []string }

func (t *timer) ResetTimer() { t.calls = append(t.calls, "reset") }
func (t *timer) StopTimer()  { t.calls = append(t.calls, "stop") }

func TestRunCycles(t *testing.T) {
	ls, locks := newChanLockers(4, 0)
	tm := &timer{}
	r, err := Run(t.Context(), ls, "n", Options{Cycles: 100, Timer: tm})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, n := range r.PerWaiter {
		sum += n
	}
	if r.Cycles != 100 || sum != 100 || r.Wait.N != 100 || len(r.PerWaiter) != 4 {
		t.Errorf("cycles %d, per waiter %v, waits %d; want 100 over 4 waiters", r.Cycles, r.PerWaiter, r.Wait.N)
	}
	if got := locks.Load(); got != 104 {
		t.Errorf("%d locks taken, want 100 and one warm-up per locker", got)
	}
	if len(tm.calls) != 2 || tm.calls[0] != "reset" || tm.calls[1] != "stop" {
		t.Errorf("timer calls %v, want reset, stop", tm.calls)
	}
	if r.Elapsed <= 0 || r.AcqPerSec() <= 0 {
		t.Errorf("elapsed %v, %v acq/s", r.Elapsed, r.AcqPerSec())
	}
}

func TestRunDuration(t *testing.T) {
	ls, _ := newChanLockers(3, 0)
	const d = 20 * time.Millisecond
	r, err := Run(t.Context(), ls, "n", Options{Duration: d})
	if err != nil {
		t.Fatal(err)
	}
	if r.Cycles == 0 || r.Elapsed < d {
		t.Errorf("%d cycles in %v, want some in at least %v", r.Cycles, r.Elapsed, d)
	}
}

func TestRunError(t *testing.T) {
	ls, _ := newChanLockers(4, 10)
	if _, err := Run(t.Context(), ls, "n", Options{Duration: time.Hour}); !errors.Is(err, errBroken) {
		t.Errorf("Run = %v, want %v", err, errBroken)
	}
	ls, _ = newChanLockers(4, 2) // fails in the warm-up
	if _, err := Run(t.Context(), ls, "n", Options{Cycles: 10}); !errors.Is(err, errBroken) {
		t.Errorf("Run = %v, want %v", err, errBroken)
	}
	if _, err := Run(t.Context(), ls, "n", Options{}); err == nil {
		t.Error("Run without a limit succeeded")
	}
}

func TestRunCancelled(t *testing.T) {
	ls, _ := newChanLockers(2, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := Run(ctx, ls, "n", Options{Duration: time.Hour}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want the context's end", err)
	}
}

func TestFigures(t *testing.T) {
	r := Result{Cycles: 8, Elapsed: 2 * time.Second, PerWaiter: []int{1, 3, 4}}
	if got := r.AcqPerSec(); got != 4 {
		t.Errorf("AcqPerSec = %v, want 4", got)
	}
	if got := r.MinShare(); got != 0.375 { // 1 of a mean of 8/3
		t.Errorf("MinShare = %v, want 0.375", got)
	}
	if got := (Result{}).MinShare(); got != 0 {
		t.Errorf("MinShare of nothing = %v, want 0", got)
	}
	if got := (Result{Cycles: 2, Elapsed: time.Second, PerWaiter: []int{0, 2}}).MinShare(); got != 0 {
		t.Errorf("MinShare with a starved waiter = %v, want 0", got)
	}
}
