package lockers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// getLockTimeout is GET_LOCK's own wait limit, in seconds; ctx ends the
// wait earlier.
const getLockTimeout = 3600

// GetLock takes MySQL/MariaDB user-level locks (GET_LOCK, RELEASE_LOCK)
// on one connection pinned from db, through statements prepared on that
// connection, as distlock's MySQL dialect prepares its own: without the
// DSN's interpolateParams, go-sql-driver would otherwise prepare, run and
// close each statement. One goroutine at a time.
func GetLock(ctx context.Context, db *sql.DB) (Locker, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("GET_LOCK: pin a connection: %w", err)
	}
	g := &getLock{conn: conn}
	if g.lock, err = conn.PrepareContext(ctx, "SELECT GET_LOCK(?, ?)"); err == nil {
		g.unlock, err = conn.PrepareContext(ctx, "SELECT RELEASE_LOCK(?)")
	}
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("GET_LOCK: prepare: %w", err)
	}
	return g, nil
}

type getLock struct {
	conn         *sql.Conn
	lock, unlock *sql.Stmt
}

func (g *getLock) Lock(ctx context.Context, name string) (Unlock, error) {
	var got sql.NullInt64
	if err := g.lock.QueryRowContext(ctx, name, getLockTimeout).Scan(&got); err != nil {
		return nil, fmt.Errorf("GET_LOCK %q: %w", name, err)
	}
	if got.Int64 != 1 {
		return nil, fmt.Errorf("GET_LOCK %q: returned %v", name, got)
	}
	return func(ctx context.Context) error {
		var released sql.NullInt64
		if err := g.unlock.QueryRowContext(ctx, name).Scan(&released); err != nil {
			return fmt.Errorf("RELEASE_LOCK %q: %w", name, err)
		}
		if released.Int64 != 1 {
			return fmt.Errorf("RELEASE_LOCK %q: returned %v", name, released)
		}
		return nil
	}, nil
}

func (g *getLock) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{g.lock, g.unlock} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(append(errs, g.conn.Close())...)
}
