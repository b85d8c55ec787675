package lockers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cirello.io/pglock"
	_ "github.com/lib/pq" // registers "postgres", the driver pglock.New insists on
)

// PGLockTable is the table cirello.io/pglock keeps its locks in.
const PGLockTable = "bench_pglock"

// PGLockOptions departs from cirello.io/pglock's defaults (a lease of
// pglock.DefaultLeaseDuration, a heartbeat every
// pglock.DefaultHeartbeatFrequency that starts with the acquisition, a
// waiter that retries once per lease).
type PGLockOptions struct {
	Lease       time.Duration // zero: pglock's default
	NoHeartbeat bool          // WithHeartbeatFrequency(0)
	// PQ says db uses lib/pq, pglock's own driver, which pglock.New
	// checks; otherwise pglock.UnsafeNew runs it on db's driver (pgx).
	PQ bool
}

// PGLock takes locks with cirello.io/pglock on db, in its table
// PGLockTable, created if missing.
//
// pglock deletes a lock's row on release, so every acquisition inserts one.
// Its release can race its own first heartbeat (the heartbeat's update
// commits, then release cancels it before the client records the new
// version): release then fails with pglock.ErrLockAlreadyReleased (see
// IsLostRelease) and the row stays held until its lease runs out.
func PGLock(ctx context.Context, db *sql.DB, o PGLockOptions) (Locker, error) {
	opts := []pglock.ClientOption{pglock.WithCustomTable(PGLockTable)}
	if o.Lease > 0 {
		opts = append(opts, pglock.WithLeaseDuration(o.Lease))
	}
	if o.NoHeartbeat {
		opts = append(opts, pglock.WithHeartbeatFrequency(0))
	}
	newClient := pglock.UnsafeNew
	if o.PQ {
		newClient = pglock.New
	}
	c, err := newClient(db, opts...)
	if err != nil {
		return nil, fmt.Errorf("pglock: %w", err)
	}
	if err := c.TryCreateTable(); err != nil {
		return nil, fmt.Errorf("pglock: %w", err)
	}
	return pgLock{c}, nil
}

// IsLostRelease reports whether err is pglock's failure to release a lock
// it held, after which the lock stays taken until its lease runs out.
func IsLostRelease(err error) bool { return errors.Is(err, pglock.ErrLockAlreadyReleased) }

// OpenPQ opens url (postgres://…) with lib/pq, pglock's own driver.
func OpenPQ(url string, poolSize int) (*sql.DB, error) {
	db, err := sql.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("lib/pq: %w", err)
	}
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize)
	return db, nil
}

type pgLock struct{ c *pglock.Client }

func (p pgLock) Lock(ctx context.Context, name string) (Unlock, error) {
	l, err := p.c.AcquireContext(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("pglock acquire %q: %w", name, err)
	}
	return func(ctx context.Context) error {
		if err := p.c.ReleaseContext(ctx, l); err != nil {
			return fmt.Errorf("pglock release %q: %w", name, err)
		}
		return nil
	}, nil
}

// Close does nothing: the *sql.DB belongs to the caller.
func (pgLock) Close() error { return nil }
