package mysql

import "sync"

// maxKnownRows bounds the names a Store remembers as having a row: past
// it, the memory starts afresh (a forgotten name costs its next
// acquisition nothing but the INSERT form).
const maxKnownRows = 4096

// knownRows are the lock names this Store last saw with a row in the
// table. Their acquisitions go as an UPDATE (statements.acquireRow),
// cheaper for InnoDB than the INSERT that meets the duplicate key; others
// as the INSERT, which always leaves a row. A row deleted since (by a
// vacuum) makes the UPDATE find nothing, and the INSERT follows: one
// statement more, once. So an acquisition is one statement but after a
// vacuum took its row.
type knownRows struct {
	mu    sync.Mutex
	names map[string]struct{}
}

func (k *knownRows) has(name string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.names[name]
	return ok
}

func (k *knownRows) add(name string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.names == nil || len(k.names) >= maxKnownRows {
		k.names = make(map[string]struct{})
	}
	k.names[name] = struct{}{}
}
