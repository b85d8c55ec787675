package migrations

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// fakeTarget records what Up does with it; its version table is version
// and dirty.
type fakeTarget struct {
	version int64
	dirty   bool

	lockErr, applyErr, unlockErr error
	onApply                      func(Migration) // called before each Apply

	locks    int
	applied  []int64
	unlocked []bool // the ok of each Unlock
}

func (f *fakeTarget) Lock(ctx context.Context) (Session, error) {
	f.locks++
	if f.lockErr != nil {
		return nil, f.lockErr
	}
	return f, nil
}

func (f *fakeTarget) Version(context.Context) (int64, bool, error) { return f.version, f.dirty, nil }

func (f *fakeTarget) Apply(ctx context.Context, m Migration) error {
	if f.onApply != nil {
		f.onApply(m)
	}
	if f.applyErr != nil {
		f.dirty = true
		f.version = m.Version
		return f.applyErr
	}
	f.applied = append(f.applied, m.Version)
	f.version, f.dirty = m.Version, false
	return nil
}

func (f *fakeTarget) Unlock(ctx context.Context, ok bool) error {
	f.unlocked = append(f.unlocked, ok)
	return f.unlockErr
}

// last returns the newest SQLite migration's version.
func last(t *testing.T) int64 {
	ups, err := Ups("sqlite", "distlock")
	if err != nil {
		t.Fatal(err)
	}
	return ups[len(ups)-1].Version
}

func versions(from, to int64) []int64 {
	var vs []int64
	for v := from; v <= to; v++ {
		vs = append(vs, v)
	}
	return vs
}

func TestUpAppliesWhatIsPending(t *testing.T) {
	t.Parallel()
	n := last(t)
	for _, tt := range []struct {
		name    string
		version int64
		dirty   bool
		want    []int64
	}{
		{"fresh", NilVersion, false, versions(1, n)},
		// golang-migrate keeps a dirty NilVersion when a down migration
		// to nothing failed.
		{"dirty nil version", NilVersion, true, versions(1, n)},
		{"stamped 2 by the migrate CLI", 2, false, versions(3, n)},
		{"left dirty at 2", 2, true, versions(2, n)},
		{"left dirty at 1", 1, true, versions(1, n)},
		{"up to date", n, false, nil},
		{"newest left dirty", n, true, []int64{n}},
		{"migrated by a newer distlock", n + 3, false, nil},
		{"dirty in a newer distlock's migration", n + 3, true, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeTarget{version: tt.version, dirty: tt.dirty}
			if err := Up(t.Context(), f, "sqlite", "distlock"); err != nil {
				t.Fatalf("Up: %v", err)
			}
			if !slices.Equal(f.applied, tt.want) {
				t.Errorf("applied %v, want %v", f.applied, tt.want)
			}
			if f.locks != 1 || !slices.Equal(f.unlocked, []bool{true}) {
				t.Errorf("%d Locks, Unlocks %v; want one of each, ok", f.locks, f.unlocked)
			}
		})
	}
}

// A second Up finds nothing to do.
func TestUpTwiceIsANoop(t *testing.T) {
	t.Parallel()
	f := &fakeTarget{version: NilVersion}
	if err := Up(t.Context(), f, "sqlite", "distlock"); err != nil {
		t.Fatal(err)
	}
	f.applied = nil
	if err := Up(t.Context(), f, "sqlite", "distlock"); err != nil {
		t.Fatal(err)
	}
	if f.applied != nil || f.version != last(t) || f.dirty {
		t.Fatalf("second Up applied %v; version %d dirty %v", f.applied, f.version, f.dirty)
	}
}

func TestUpErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	t.Run("apply", func(t *testing.T) {
		t.Parallel()
		f := &fakeTarget{version: 1, applyErr: boom}
		err := Up(t.Context(), f, "sqlite", "distlock")
		if !errors.Is(err, boom) {
			t.Fatalf("Up = %v, want boom wrapped", err)
		}
		if f.applied != nil || !slices.Equal(f.unlocked, []bool{false}) {
			t.Errorf("applied %v, Unlocks %v; want none applied, one Unlock not ok", f.applied, f.unlocked)
		}
	})
	t.Run("lock", func(t *testing.T) {
		t.Parallel()
		f := &fakeTarget{version: NilVersion, lockErr: boom}
		if err := Up(t.Context(), f, "sqlite", "distlock"); !errors.Is(err, boom) {
			t.Fatalf("Up = %v, want boom", err)
		}
		if f.unlocked != nil {
			t.Errorf("Unlock called after a failed Lock: %v", f.unlocked)
		}
	})
	t.Run("unlock", func(t *testing.T) {
		t.Parallel()
		f := &fakeTarget{version: NilVersion, unlockErr: boom}
		if err := Up(t.Context(), f, "sqlite", "distlock"); !errors.Is(err, boom) {
			t.Fatalf("Up = %v, want the commit's error", err)
		}
	})
	t.Run("table", func(t *testing.T) {
		t.Parallel()
		f := &fakeTarget{version: NilVersion}
		if err := Up(t.Context(), f, "sqlite", "Bad"); err == nil || f.locks != 0 {
			t.Fatalf("Up with a bad table = %v after %d Locks", err, f.locks)
		}
	})
}

// Up stops between migrations when ctx ends, with an error matching
// ctx.Err(), also when the driver reports the end its own way.
func TestUpStopsWithContext(t *testing.T) {
	t.Parallel()
	t.Run("between migrations", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		f := &fakeTarget{version: NilVersion, onApply: func(m Migration) {
			if m.Version == 2 {
				cancel()
			}
		}}
		err := Up(ctx, f, "sqlite", "distlock")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Up = %v, want context.Canceled", err)
		}
		if !slices.Equal(f.applied, []int64{1, 2}) || !slices.Equal(f.unlocked, []bool{false}) {
			t.Errorf("applied %v, Unlocks %v", f.applied, f.unlocked)
		}
	})
	t.Run("already done", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		f := &fakeTarget{version: NilVersion}
		if err := Up(ctx, f, "sqlite", "distlock"); !errors.Is(err, context.Canceled) || f.locks != 0 {
			t.Fatalf("Up with a done ctx = %v after %d Locks", err, f.locks)
		}
	})
	t.Run("driver's own error", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		canceled := errors.New("pq: canceling statement due to user request")
		f := &cancelOnLock{fakeTarget: &fakeTarget{lockErr: canceled}, cancel: cancel}
		err := Up(ctx, f, "sqlite", "distlock")
		if !errors.Is(err, context.Canceled) || !errors.Is(err, canceled) {
			t.Fatalf("Up = %v, want both context.Canceled and the driver's error", err)
		}
	})
}

// cancelOnLock cancels the context while Lock waits, and fails Lock as
// the driver would.
type cancelOnLock struct {
	*fakeTarget
	cancel context.CancelFunc
}

func (c *cancelOnLock) Lock(ctx context.Context) (Session, error) {
	c.cancel()
	return c.fakeTarget.Lock(ctx)
}

func TestPending(t *testing.T) {
	t.Parallel()
	// Versions need not be consecutive.
	ups := []Migration{{Version: 1}, {Version: 5}, {Version: 9}}
	for _, tt := range []struct {
		version int64
		dirty   bool
		want    []int64
	}{
		{NilVersion, false, []int64{1, 5, 9}},
		{0, false, []int64{1, 5, 9}},
		{1, false, []int64{5, 9}},
		{3, false, []int64{5, 9}},
		{3, true, []int64{5, 9}},
		{5, true, []int64{5, 9}},
		{9, false, nil},
		{10, true, nil},
	} {
		var got []int64
		for _, m := range Pending(ups, tt.version, tt.dirty) {
			got = append(got, m.Version)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Pending(%d, dirty %v) = %v, want %v", tt.version, tt.dirty, got, tt.want)
		}
	}
}
