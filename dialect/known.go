package dialect

import "sync"

// maxKnownRows bounds the names a KnownRows remembers: past it, the
// memory starts afresh (a forgotten name costs its next acquisition
// nothing but the INSERT form).
const maxKnownRows = 4096

// KnownRows are the lock names a Store last saw with a row in its table.
// A dialect may acquire those with an UPDATE of the row, which costs the
// database less than an INSERT that first meets the duplicate key, and
// the others with that INSERT, which always leaves a row. A row deleted
// since (by a vacuum) makes the UPDATE find nothing, and the INSERT
// follows: one statement more, once. So an acquisition stays one
// statement but after a vacuum took its row. The zero value is empty and
// ready; it is safe for concurrent use.
type KnownRows struct {
	mu    sync.Mutex
	names map[string]struct{}
}

// Has reports whether name was last seen with a row.
func (k *KnownRows) Has(name string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.names[name]
	return ok
}

// Add remembers that name has a row.
func (k *KnownRows) Add(name string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.names == nil || len(k.names) >= maxKnownRows {
		k.names = make(map[string]struct{})
	}
	k.names[name] = struct{}{}
}
