package distlock

import (
	"context"
	"time"
)

// Event is one thing that happened to a lock, as Config.Observer receives
// it: enough for metrics of wait time, hold time, contention and losses.
type Event struct {
	Op   EventOp
	Name string // the lock
	// OpAcquire: how long the call took, from its start to its return
	// (acquired or not), how many statements tried to take the lock (0
	// when a release granted it from the line before any did), and
	// whether it got it; Err is why not, when it failed (nil when a
	// TryAcquire found the lock held).
	Wait     time.Duration
	Attempts int
	Acquired bool
	Err      error
	// OpRelease (the last hold let go) and OpLost: how long this handle
	// held the lock, from its acquisition.
	Held time.Duration
}

// EventOp is what an Event reports.
type EventOp int

const (
	// OpAcquire: an Acquire, TryAcquire, or Do's acquisition returned.
	// Re-entries by a handle that holds the lock are not reported.
	OpAcquire EventOp = iota + 1
	// OpRelease: the handle's last hold was released.
	OpRelease
	// OpLost: Do found its lock lost (it could not be extended in time).
	OpLost
)

func (op EventOp) String() string {
	switch op {
	case OpAcquire:
		return "acquire"
	case OpRelease:
		return "release"
	case OpLost:
		return "lost"
	}
	return "unknown"
}

// Observer receives lock events (see Config.Observer). Observe is called
// synchronously, on the goroutine of the operation, with its context: it
// must be quick and must not block.
type Observer interface {
	Observe(ctx context.Context, e Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(ctx context.Context, e Event)

// Observe calls f.
func (f ObserverFunc) Observe(ctx context.Context, e Event) { f(ctx, e) }

// slowWait is how long an acquisition may wait before it is logged.
const slowWait = time.Second

// observe hands e to Config.Observer, if set, and logs a long wait.
func (m *Module) observe(ctx context.Context, e Event) {
	if e.Op == OpAcquire && e.Acquired && e.Wait >= slowWait {
		m.cfg.Logger.InfoContext(ctx, "distlock: acquired after a long wait", "name", e.Name,
			"wait", e.Wait, "attempts", e.Attempts)
	}
	if m.cfg.Observer != nil {
		m.cfg.Observer.Observe(ctx, e)
	}
}
