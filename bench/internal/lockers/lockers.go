// Package lockers puts distlock and the locks a user would pick instead
// behind one small interface, so that every measurement runs each of them
// through the same code.
package lockers

import (
	"context"
	"fmt"
	"strconv"

	"github.com/distlock/distlock/distlock"
)

// Unlock releases what Lock took.
type Unlock func(ctx context.Context) error

// Locker takes named exclusive locks, waiting until they are free or ctx
// ends.
type Locker interface {
	Lock(ctx context.Context, name string) (Unlock, error)
	Close() error
}

// Distlock takes locks through a distlock Module: Get, Acquire, Release.
func Distlock(m *distlock.Module) Locker { return distlockLocker{m} }

type distlockLocker struct{ m *distlock.Module }

func (d distlockLocker) Lock(ctx context.Context, name string) (Unlock, error) {
	l := d.m.Get(name)
	if err := l.Acquire(ctx); err != nil {
		return nil, fmt.Errorf("distlock acquire %q: %w", name, err)
	}
	return func(ctx context.Context) error {
		if err := l.Release(ctx); err != nil {
			return fmt.Errorf("distlock release %q: %w", name, err)
		}
		return nil
	}, nil
}

// Close does nothing: the Module belongs to the caller.
func (distlockLocker) Close() error { return nil }

// Cycle is one acquire+release of name, the unit every latency figure
// measures.
func Cycle(ctx context.Context, l Locker, name string) error {
	unlock, err := l.Lock(ctx, name)
	if err != nil {
		return err
	}
	return unlock(ctx)
}

// FreshCycle returns an acquire+release by l that takes a new name on every
// call (prefix-1, prefix-2, …), for pglock: it deletes a lock's row on
// release anyway (so every acquisition inserts), and a lost release
// (IsLostRelease) leaves its name held for a whole lease. A lost release
// is counted in *lost and not returned as an error. The cycle is for one
// goroutine at a time.
func FreshCycle(l Locker, prefix string) (cycle func(ctx context.Context) error, lost *int) {
	var n, lostN int
	prefix += "-"
	return func(ctx context.Context) error {
		n++
		err := Cycle(ctx, l, prefix+strconv.Itoa(n))
		if IsLostRelease(err) {
			lostN++
			return nil
		}
		return err
	}, &lostN
}
