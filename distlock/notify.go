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

type wakeup struct {
	ch       chan struct{} // closed on release
	watchers int
}

// watch returns a channel that is closed when name is next released (or
// on wakeAll), and a function to call when the caller stops watching.
func (w *wakeups) watch(name string) (<-chan struct{}, func()) {
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
	return e.ch, func() {
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

// wake wakes everyone watching name.
func (w *wakeups) wake(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e := w.names[name]; e != nil {
		close(e.ch)
		delete(w.names, name)
	}
}

// wakeAll wakes every waiter, e.g. after notifications may have been lost.
func (w *wakeups) wakeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, e := range w.names {
		close(e.ch)
		delete(w.names, name)
	}
}
