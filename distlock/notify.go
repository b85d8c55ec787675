package distlock

import "sync"

// wakeups lets waiters sleep until a lock they want is released, by this
// Module or, where the dialect can push, by anyone.
//
// A waiter watches its name before it tries to acquire, so that a release
// landing between a failed attempt and the sleep is never missed.
type wakeups struct {
	mu    sync.Mutex
	names map[string]*wakeup
}

// wakeup is one round of waiting on a name: ch is closed by the next
// release. local, set before ch is closed, says that the release was made
// by this Module, so it certainly happened; a wake-up pushed by the
// database may be spurious (anyone allowed to NOTIFY can send one), and
// the waiter checks it with a read before it writes.
type wakeup struct {
	ch       chan struct{}
	watchers int
	local    bool
}

// watch returns the wakeup that the next release of name (or wakeAll)
// closes, and a function to call when the caller stops watching.
func (w *wakeups) watch(name string) (*wakeup, func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.names == nil {
		w.names = make(map[string]*wakeup)
	}
	e := w.names[name]
	if e == nil {
		e = &wakeup{ch: make(chan struct{})}
		w.names[name] = e
	}
	e.watchers++
	var once sync.Once
	return e, func() {
		once.Do(func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			e.watchers--
			if e.watchers == 0 && w.names[name] == e {
				delete(w.names, name)
			}
		})
	}
}

// wake wakes everyone watching name; local says the release was this
// Module's own.
func (w *wakeups) wake(name string, local bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e := w.names[name]; e != nil {
		e.local = local
		close(e.ch)
		delete(w.names, name)
	}
}

// pushed wakes the watchers of name for a release the database announced.
func (w *wakeups) pushed(name string) { w.wake(name, false) }

// wakeAll wakes every waiter, e.g. after notifications may have been lost.
func (w *wakeups) wakeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, e := range w.names {
		close(e.ch)
		delete(w.names, name)
	}
}
