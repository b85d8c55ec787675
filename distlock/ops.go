package distlock

import (
	"context"
	"fmt"
	"time"

	"github.com/distlock/distlock/dialect"
)

// Info describes a held lock. It never carries the token.
type Info struct {
	Name       string
	Owner      string // Config.Owner of the process that acquired it
	Holds      int    // nested acquisitions by its token
	Fence      int64  // fencing token of the acquisition
	AcquiredAt time.Time
	ExpiresAt  time.Time // by the database's clock
	// Waiters is how many wait in the lock's line (live places).
	Waiters int
	// Remaining is the time left until ExpiresAt, measured by the
	// database when it was read: unlike time.Until(ExpiresAt), it does
	// not depend on this machine's clock agreeing with the database's.
	Remaining time.Duration
	// MaxTime is the acquisition's lease length, as the row remembers it:
	// what it was taken with (WithMaxTime, else Config.MaxTime of its
	// Module) and what Extend renews, whoever extends it. It is 0 for a
	// lock acquired before distlock remembered leases (schema version
	// before this column), and may be a little shorter than asked (MySQL
	// keeps microseconds with a significand below 16384, so 1m or 1.5s
	// exactly, any other within 1/1638; SQLite whole milliseconds).
	MaxTime time.Duration
}

func infoOf(r dialect.Row) Info {
	return Info{Name: r.Name, Owner: r.Owner, Holds: r.Holds, Fence: r.Fence,
		AcquiredAt: r.AcquiredAt, ExpiresAt: r.ExpiresAt, Remaining: r.Remaining, Waiters: r.Waiters,
		MaxTime: r.Lease}
}

// Acquire takes the lock name under a new token, waiting as long as ctx
// allows, and returns the token. When ctx ends first the error matches
// both ErrNotAcquired and ctx.Err().
func (m *Module) Acquire(ctx context.Context, name string) (Token, error) {
	l := m.Get(name)
	if err := l.Acquire(ctx); err != nil {
		return "", err
	}
	return l.Token(), nil
}

// TryAcquire takes the lock name under a new token if it is free now,
// and returns ErrNotAcquired if it is not.
func (m *Module) TryAcquire(ctx context.Context, name string) (Token, error) {
	l := m.Get(name)
	ok, err := l.TryAcquire(ctx)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%q: %w", name, ErrNotAcquired)
	}
	return l.Token(), nil
}

// Extend renews the lease of the acquisition of name that tok holds, with
// the lease it was acquired with (see Lock.Extend). It returns ErrExpired
// if tok does not hold name (any more).
func (m *Module) Extend(ctx context.Context, name string, tok Token) error {
	return m.Attach(name, tok).Extend(ctx)
}

// Release drops one hold of the acquisition of name that tok holds. It
// returns ErrExpired if tok does not hold name (any more), e.g. when it
// was released already.
func (m *Module) Release(ctx context.Context, name string, tok Token) error {
	return m.Attach(name, tok).Release(ctx)
}

// Inspect describes the lock name, or returns ErrNotHeld if it is free.
func (m *Module) Inspect(ctx context.Context, name string) (Info, error) {
	if err := ValidName(name); err != nil {
		return Info{}, err
	}
	if err := m.check(ctx); err != nil {
		return Info{}, err
	}
	var row dialect.Row
	var ok bool
	err := m.retry(ctx, func() (err error) {
		row, ok, err = m.store.Inspect(ctx, name)
		return err
	})
	if err != nil {
		return Info{}, dbError("inspect", name, err)
	}
	if !ok {
		return Info{}, fmt.Errorf("%q: %w", name, ErrNotHeld)
	}
	return infoOf(row), nil
}

// List describes every held lock, ordered by name.
func (m *Module) List(ctx context.Context) ([]Info, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	var rows []dialect.Row
	err := m.retry(ctx, func() (err error) {
		rows, err = m.store.List(ctx)
		return err
	})
	if err != nil {
		return nil, dbError("list", "", err)
	}
	infos := make([]Info, len(rows))
	for i, r := range rows {
		infos[i] = infoOf(r)
	}
	return infos, nil
}

// Vacuum deletes the rows of free and expired locks, never a held one, and
// returns how many it removed. It walks the table in key order, looking at
// Config.VacuumBatch rows per short transaction, so that acquisitions never
// wait long behind it however large the table is. Fences stay monotonic: a
// name whose row was removed gets a greater fence on its next acquisition.
// Rows that expire while Vacuum runs may be left for the next one. It
// also deletes the lapsed places of waiters that stopped waiting without
// leaving their lock's line (they died); these are not counted.
func (m *Module) Vacuum(ctx context.Context) (int64, error) {
	if err := m.check(ctx); err != nil {
		return 0, err
	}
	var total int64
	var after string
	for {
		var n int64
		var next string
		err := m.retry(ctx, func() (err error) {
			n, next, err = m.store.VacuumBatch(ctx, after, m.cfg.VacuumBatch)
			return err
		})
		total += n
		if err != nil {
			return total, dbError("vacuum", "", err)
		}
		if next == "" {
			break
		}
		after = next
	}
	// Then the lapsed places of the lines: waiters that died or stalled.
	for {
		var n int64
		err := m.retry(ctx, func() (err error) {
			n, err = m.store.VacuumQueue(ctx, m.cfg.VacuumBatch)
			return err
		})
		if err != nil {
			return total, dbError("vacuum", "", err)
		}
		if n < int64(m.cfg.VacuumBatch) {
			m.cfg.Logger.DebugContext(ctx, "distlock: vacuumed", "rows", total, "places", n)
			return total, nil
		}
	}
}

// Migrate creates the lock table, or brings it up to date, with the
// migrations embedded for the Module's dialect (see package migrations).
// It is safe to run at every start.
func (m *Module) Migrate(ctx context.Context) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	err := m.retry(ctx, func() error { return m.store.Migrate(ctx) })
	return dbError("migrate", "", err)
}

// check validates what every Module-level call starts with.
func (m *Module) check(ctx context.Context) error {
	if err := m.alive(); err != nil {
		return err
	}
	return ctx.Err()
}
