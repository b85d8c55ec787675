package mysql

import "sync"

// maxKnownRows bounds the names a knownRows remembers: past it, the
// memory starts afresh (a forgotten name costs its next acquisition
// nothing but the INSERT form).
const maxKnownRows = 4096

// knownRows are the lock names a Store last saw with a row in its table.
// It acquires those with an UPDATE of the row (statements.acquireRow),
// which costs InnoDB less than an INSERT that first meets the duplicate
// key, and the others with that INSERT, which always leaves a row. A row deleted
// since (by a vacuum) makes the UPDATE find nothing, and the INSERT
// follows: one statement more, once. So an acquisition stays one
// statement but after a vacuum took its row. The zero value is empty and
// ready; it is safe for concurrent use.
type knownRows struct {
	mu    sync.Mutex
	names map[string]struct{}
}

// has reports whether name was last seen with a row.
func (k *knownRows) has(name string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.names[name]
	return ok
}

// add remembers that name has a row.
func (k *knownRows) add(name string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.names == nil || len(k.names) >= maxKnownRows {
		k.names = make(map[string]struct{})
	}
	k.names[name] = struct{}{}
}
