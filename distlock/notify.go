package distlock

import (
	"sync"
	"time"
)

// waiters are the goroutines of this Module waiting in the line of a lock,
// each known by its place (name and ticket), so that a release wakes the
// one waiter whose turn it is, not every waiter of the name.
type waiters struct {
	mu sync.Mutex
	m  map[place]*waiter
	// joining counts, by name, the waiters taking a place (whose ticket
	// is not known yet): see lined.
	joining map[string]int
}

// place is one spot in the line of a lock.
type place struct {
	name   string
	ticket int64
}

// waiter is woken by a send on ch (buffered: a wake-up is never lost, and
// never blocks the waker). local, set before the send, says that a
// release in this Module (or one vouched for: see dialect.Notice) woke
// it: the lock certainly was released; fence, that the release granted
// it the lock (see dialect.Granter). A wake-up pushed by the database may
// be spurious (anyone allowed to NOTIFY can send one), and the waiter
// checks it with a read before it writes.
type waiter struct {
	ch    chan struct{}
	mu    sync.Mutex
	local bool
	grant grant
}

// grant is a release's grant of the lock to a waiter's place (see
// dialect.Granter): the fence of the acquisition and, when the release
// said how long it lasts, the waiter's local, conservative estimate of
// its expiry (zero when the waiter must read it).
type grant struct {
	fence    int64
	deadline time.Time
}

// add registers the waiter at p and returns it with a function that
// removes it.
func (w *waiters) add(p place) (*waiter, func()) {
	e := &waiter{ch: make(chan struct{}, 1)}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = make(map[place]*waiter)
	}
	w.m[p] = e
	return e, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.m[p] == e {
			delete(w.m, p)
		}
	}
}

// move re-registers e at a new place (a waiter that lost its place and
// took another).
func (w *waiters) move(from, to place, e *waiter) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m[from] == e {
		delete(w.m, from)
	}
	w.m[to] = e
}

// wake wakes the waiter at p, if it is in this Module; local says the
// release was this Module's own (or vouched for), and g, when its fence
// is positive, that it granted the lock to p.
func (w *waiters) wake(p place, local bool, g grant) {
	w.mu.Lock()
	e := w.m[p]
	w.mu.Unlock()
	if e != nil {
		e.signal(local, g)
	}
}

// localHead reports whether no waiter of this Module is ahead of p in its
// line.
func (w *waiters) localHead(p place) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for q := range w.m {
		if q.name == p.name && q.ticket < p.ticket {
			return false
		}
	}
	return true
}

// joins records that a waiter of name is taking a place; the function it
// returns records that it has one (registered by add) or gave up.
func (w *waiters) joins(name string) func() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.joining == nil {
		w.joining = make(map[string]int)
	}
	w.joining[name]++
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.joining[name]--; w.joining[name] == 0 {
			delete(w.joining, name)
		}
	}
}

// lined reports whether a waiter of this Module is in the line of name, or
// taking a place in it.
func (w *waiters) lined(name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.joining[name] > 0 {
		return true
	}
	for q := range w.m {
		if q.name == name {
			return true
		}
	}
	return false
}

// wakeNext wakes the first waiter of this Module in the line of name after
// ticket: the next to watch the lock when a local head leaves the line.
func (w *waiters) wakeNext(name string, ticket int64) {
	w.mu.Lock()
	var next *waiter
	var best int64
	for q, e := range w.m {
		if q.name == name && q.ticket > ticket && (next == nil || q.ticket < best) {
			next, best = e, q.ticket
		}
	}
	w.mu.Unlock()
	if next != nil {
		next.signal(false, grant{})
	}
}

// wakeAll wakes every waiter, e.g. after notifications may have been lost.
func (w *waiters) wakeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.m {
		e.signal(false, grant{})
	}
}

func (e *waiter) signal(local bool, g grant) {
	e.mu.Lock()
	e.local = e.local || local
	if local && g.fence > 0 {
		e.grant = g
	}
	e.mu.Unlock()
	select {
	case e.ch <- struct{}{}:
	default: // already signalled
	}
}

// woken reports, once per signal, whether a release in this Module (or
// one vouched for) sent it, and the grant it made, if it made one; call
// it after receiving from ch.
func (e *waiter) woken() (local bool, g grant) {
	e.mu.Lock()
	defer e.mu.Unlock()
	local, g, e.local, e.grant = e.local, e.grant, false, grant{}
	return local, g
}
