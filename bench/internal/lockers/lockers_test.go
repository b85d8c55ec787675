package lockers

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"cirello.io/pglock"
)

// fake records the names it locks; its release fails as pglock's lost
// release does for every name in lose.
type fake struct {
	names []string
	lose  map[string]bool
}

func (f *fake) Lock(_ context.Context, name string) (Unlock, error) {
	f.names = append(f.names, name)
	return func(context.Context) error {
		if f.lose[name] {
			return fmt.Errorf("release %q: %w", name, pglock.ErrLockAlreadyReleased)
		}
		return nil
	}, nil
}

func (*fake) Close() error { return nil }

func TestFreshCycle(t *testing.T) {
	f := &fake{lose: map[string]bool{"p-2": true}}
	cycle, lost := FreshCycle(f, "p")
	for range 3 {
		if err := cycle(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"p-1", "p-2", "p-3"}; !slices.Equal(f.names, want) || *lost != 1 {
		t.Errorf("names %v, lost %d; want %v, 1", f.names, *lost, want)
	}
}
