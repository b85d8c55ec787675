package lockers

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
)

// PGAdvisory takes PostgreSQL session advisory locks (pg_advisory_lock,
// pg_advisory_unlock) on one connection pinned from db, keyed by a 64-bit
// FNV-1a hash of the name. The server queues waiters and grants the lock
// the moment it is released. One goroutine at a time.
func PGAdvisory(ctx context.Context, db *sql.DB) (Locker, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("pg_advisory_lock: pin a connection: %w", err)
	}
	return &pgAdvisory{conn: conn}, nil
}

type pgAdvisory struct{ conn *sql.Conn }

func (a *pgAdvisory) Lock(ctx context.Context, name string) (Unlock, error) {
	key := Key64(name)
	if _, err := a.conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return nil, fmt.Errorf("pg_advisory_lock %q: %w", name, err)
	}
	return func(ctx context.Context) error {
		var ok bool
		if err := a.conn.QueryRowContext(ctx, "SELECT pg_advisory_unlock($1)", key).Scan(&ok); err != nil {
			return fmt.Errorf("pg_advisory_unlock %q: %w", name, err)
		}
		if !ok {
			return fmt.Errorf("pg_advisory_unlock %q: not held", name)
		}
		return nil
	}, nil
}

func (a *pgAdvisory) Close() error { return a.conn.Close() }

// Key64 maps a lock name to an advisory lock key.
func Key64(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}
