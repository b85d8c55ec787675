// Package floor measures what any durable lock must pay at least: two
// single-row writes, each committed on its own (autocommit), on the same
// *sql.DB as distlock. An acquire+release is two writes that must each be
// durable, so no lock kept in the database can beat it by much. Two
// SELECT 1 round trips are measured beside it for context: the cost of
// talking to the server at all.
package floor

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/bench/internal/workload"
)

// Table is the floor's table: rows (id, n).
const Table = "bench_floor"

// Floor holds the prepared statements of the floor on one database.
type Floor struct {
	update, selectOne *sql.Stmt
	returning         *sql.Stmt // UPDATE … RETURNING: PostgreSQL and SQLite
	notify            *sql.Stmt // PostgreSQL only
}

// New creates Table with rows 1..rows if needed, and prepares the update
// (UPDATE bench_floor SET n = n + 1 WHERE id = ?) and SELECT 1 on t.DB.
// Prepared statements make the comparison fair on MySQL, where distlock's
// dialect prepares its statements too; pgx prepares and caches statements
// by itself, and so does database/sql's *sql.Stmt on SQLite.
func New(ctx context.Context, t *target.Target, rows int) (*Floor, error) {
	create := "CREATE TABLE IF NOT EXISTS " + Table + " (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)"
	if t.Name == target.MySQL {
		create += " ENGINE = InnoDB"
	}
	if _, err := t.DB.ExecContext(ctx, create); err != nil {
		return nil, fmt.Errorf("floor %s: create table: %w", t.Name, err)
	}
	values := make([]string, rows)
	for i := range values {
		values[i] = fmt.Sprintf("(%d, 0)", i+1)
	}
	insert := "INSERT INTO " + Table + " (id, n) VALUES " + strings.Join(values, ", ")
	switch t.Name {
	case target.MySQL:
		insert = "INSERT IGNORE" + strings.TrimPrefix(insert, "INSERT")
	default:
		insert += " ON CONFLICT (id) DO NOTHING"
	}
	if _, err := t.DB.ExecContext(ctx, insert); err != nil {
		return nil, fmt.Errorf("floor %s: insert rows: %w", t.Name, err)
	}
	param := "?"
	if t.Name == target.Postgres {
		param = "$1"
	}
	f := &Floor{}
	var err error
	if f.update, err = t.DB.PrepareContext(ctx, "UPDATE "+Table+" SET n = n + 1 WHERE id = "+param); err != nil {
		return nil, fmt.Errorf("floor %s: prepare: %w", t.Name, err)
	}
	if f.selectOne, err = t.DB.PrepareContext(ctx, "SELECT 1"); err != nil {
		f.Close()
		return nil, fmt.Errorf("floor %s: prepare: %w", t.Name, err)
	}
	if t.Name != target.MySQL { // MySQL and MariaDB have no UPDATE … RETURNING
		if f.returning, err = t.DB.PrepareContext(ctx, "UPDATE "+Table+" SET n = n + 1 WHERE id = "+param+" RETURNING n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("floor %s: prepare: %w", t.Name, err)
		}
	}
	if t.Name == target.Postgres {
		f.notify, err = t.DB.PrepareContext(ctx, "WITH u AS (UPDATE "+Table+" SET n = n + 1 WHERE id = $1 RETURNING id) "+
			"SELECT pg_notify('"+Table+"', id::text) FROM u")
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("floor %s: prepare: %w", t.Name, err)
		}
	}
	return f, nil
}

// Close closes the prepared statements.
func (f *Floor) Close() error {
	for _, st := range []*sql.Stmt{f.update, f.selectOne, f.returning, f.notify} {
		if st != nil {
			st.Close()
		}
	}
	return nil
}

// Writes returns the floor operation on row id: two autocommit updates of
// that row, one after the other.
func (f *Floor) Writes(id int) workload.Op {
	return func(ctx context.Context) error {
		for range 2 {
			res, err := f.update.ExecContext(ctx, id)
			if err != nil {
				return fmt.Errorf("floor update: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return fmt.Errorf("floor update: %d rows affected (%v)", n, err)
			}
		}
		return nil
	}
}

// ReturningWrites returns Writes with each update reading back the value
// it wrote (UPDATE … RETURNING), as a lock's writes must (the acquire its
// fence, the release the holds left), or nil where the database has no
// UPDATE … RETURNING.
func (f *Floor) ReturningWrites(id int) workload.Op {
	if f.returning == nil {
		return nil
	}
	return func(ctx context.Context) error {
		for range 2 {
			var n int64
			if err := f.returning.QueryRowContext(ctx, id).Scan(&n); err != nil {
				return fmt.Errorf("floor update returning: %w", err)
			}
		}
		return nil
	}
}

// Selects returns two SELECT 1 round trips.
func (f *Floor) Selects() workload.Op {
	return func(ctx context.Context) error {
		for range 2 {
			var one int
			if err := f.selectOne.QueryRowContext(ctx).Scan(&one); err != nil {
				return fmt.Errorf("floor select: %w", err)
			}
		}
		return nil
	}
}

// NotifyWrites (PostgreSQL only) is Writes with the second update sending
// a NOTIFY in the same statement, as distlock's release does when a
// waiter watches the lock. PostgreSQL
// serialises the commits of all transactions that notify (they hold a
// database-wide lock from before the commit until after it is flushed),
// so this shows what that costs when many goroutines release at once.
func (f *Floor) NotifyWrites(id int) workload.Op {
	return func(ctx context.Context) error {
		if f.notify == nil {
			return fmt.Errorf("floor: NOTIFY is PostgreSQL's")
		}
		if _, err := f.update.ExecContext(ctx, id); err != nil {
			return fmt.Errorf("floor update: %w", err)
		}
		var v sql.NullString
		if err := f.notify.QueryRowContext(ctx, id).Scan(&v); err != nil {
			return fmt.Errorf("floor update+notify: %w", err)
		}
		return nil
	}
}
