package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/distlock/distlock/dialect"
)

func (s *store) Acquire(ctx context.Context, req dialect.AcquireRequest) (dialect.AcquireResult, error) {
	var held any // NULL when the caller holds nothing
	if req.HeldHash != nil {
		held = req.HeldHash
	}
	q, err := s.statements(ctx)
	if err != nil {
		return dialect.AcquireResult{}, err
	}
	ttl := quantize(req.TTL)
	keep := req.KeepLease
	line := []any{req.Name, req.Ticket, req.Ticket} // {AHEAD}'s parameters
	var id int64
	// The UPDATE form spends the place it takes the lock from.
	var spent bool
	if s.known.has(req.Name) && !s.probe.insertOnly.Load() { // its row, as an UPDATE (see knownRows)
		res, err := s.exec(ctx, q.acquireRow, append(line, held, ttl, held, keep, ttl, ttl, held, req.Owner, req.NewHash, held, req.Ticket, req.Name)...)
		if err != nil {
			return dialect.AcquireResult{}, err
		}
		if id, err = res.LastInsertId(); err != nil {
			return dialect.AcquireResult{}, classify(err)
		}
		spent = id != 0
	}
	if id == 0 { // no row known, or none found: insert it (or decide on the one there)
		args := append([]any{req.Name, req.NewHash, req.Owner}, line...)
		args = append(append(args, line...), line...)
		res, err := s.exec(ctx, q.acquire, append(args, ttl, ttl, held, held, keep, ttl, ttl, held, req.Owner, req.NewHash, held, keep, ttl, ttl)...)
		if err != nil {
			return dialect.AcquireResult{}, err
		}
		if id, err = res.LastInsertId(); err != nil {
			return dialect.AcquireResult{}, classify(err)
		}
		s.known.add(req.Name) // the INSERT leaves a row
	}
	out := dialect.AcquireResult{Row: dialect.Row{Name: req.Name}}
	switch value := id / 4; id % 4 {
	case kindNew:
		out.Acquired, out.Row.Fence, out.Row.Holds = true, value, 1
		out.Row.Lease = time.Duration(ttl) * time.Microsecond
		switch {
		case req.Ticket == 0:
		case spent:
			out.Queued = true // the line skips the place; the caller deletes it
		default: // taken from a place in line by the INSERT: leave the line
			_, err := s.exec(ctx, s.sql.queue.dequeue, req.Ticket, req.Name)
			out.Queued = err != nil // the lock is taken all the same
		}
	case kindReentered:
		out.Acquired, out.Reentered = true, true
		out.Row.Fence, out.Row.Lease = renewed(value, ttl, keep)
	case kindHeld:
		out.Row.Remaining = time.Duration(value) * time.Microsecond
	default:
		return out, fmt.Errorf("mysql: acquire returned an unknown outcome %d", id)
	}
	return out, nil
}

func (s *store) Extend(ctx context.Context, req dialect.ExtendRequest) (dialect.Row, bool, error) {
	q, err := s.statements(ctx)
	if err != nil {
		return dialect.Row{}, false, err
	}
	ttl, keep := quantize(req.TTL), req.KeepLease
	res, err := s.exec(ctx, q.extend, keep, ttl, ttl, keep, ttl, ttl, req.Name, req.TokenHash)
	if err != nil {
		return dialect.Row{}, false, err
	}
	id, err := res.LastInsertId() // the fence (≥ 1) << 19 | the lease's code, or 0 if no live row matched
	if err != nil || id == 0 {
		return dialect.Row{}, false, classify(err)
	}
	row := dialect.Row{Name: req.Name}
	row.Fence, row.Lease = renewed(id, ttl, keep)
	return row, true, nil
}

func (s *store) Release(ctx context.Context, name string, tokenHash []byte) (dialect.Released, bool, error) {
	q, err := s.statements(ctx)
	if err != nil {
		return dialect.Released{}, false, err
	}
	res, err := s.exec(ctx, q.release, name, name, name, tokenHash)
	if err != nil {
		return dialect.Released{}, false, err
	}
	id, err := res.LastInsertId() // see statements.release
	if err != nil || id == 0 {
		return dialect.Released{}, false, classify(err)
	}
	return releasedHolds(id), true, nil
}

// releasedHolds reads the LAST_INSERT_ID of a release (see
// statements.release): the holds left; the head of the line is unknown
// (0).
func releasedHolds(id int64) dialect.Released {
	return dialect.Released{Holds: int(id - 1)}
}

func (s *store) Inspect(ctx context.Context, name string) (dialect.Row, bool, error) {
	q, err := s.statements(ctx)
	if err != nil {
		return dialect.Row{}, false, err
	}
	row, err := s.stmts.QueryRow(ctx, q.inspect, name)
	if err != nil {
		return dialect.Row{}, false, classify(err)
	}
	var r dialect.Row
	ok, err := dialect.ScanOne(row, func(sc dialect.Scanner) error { return scanRow(sc, &r, &r.Waiters) })
	return r, ok, classify(err)
}

func (s *store) List(ctx context.Context) ([]dialect.Row, error) {
	q, err := s.statements(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, q.list)
	if err != nil {
		return nil, err
	}
	out, err := dialect.ScanAll(rows, func(sc dialect.Scanner, r *dialect.Row) error { return scanRow(sc, r, &r.Waiters) })
	return out, classify(err)
}

// VacuumBatch deletes one batch in a short transaction (see
// statements.vacuumScan).
func (s *store) VacuumBatch(ctx context.Context, after string, limit int) (removed int64, next string, err error) {
	if _, err := s.statements(ctx); err != nil { // the session's clock decides what is expired
		return 0, "", err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, "", classify(err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	var expired []any
	var looked int
	err = eachRow(tx.QueryContext(ctx, s.sql.vacuumScan, after, limit))(func(sc dialect.Scanner) error {
		var name []byte
		var free bool
		if err := sc.Scan(&name, &free); err != nil {
			return err
		}
		looked++
		next = string(name)
		if free {
			expired = append(expired, name)
		}
		return nil
	})
	if err != nil {
		return 0, "", err
	}
	if looked < limit {
		next = "" // the end of the table
	}
	if len(expired) == 0 {
		return 0, next, classify(tx.Commit())
	}
	var locked []any
	var maxFence int64
	err = eachRow(tx.QueryContext(ctx, fmt.Sprintf(s.sql.vacuumLock, placeholders(len(expired))), expired...))(func(sc dialect.Scanner) error {
		var name []byte
		var fence int64
		if err := sc.Scan(&name, &fence); err != nil {
			return err
		}
		locked = append(locked, name)
		maxFence = max(maxFence, fence)
		return nil
	})
	if err != nil {
		return 0, "", err
	}
	if len(locked) == 0 { // all taken again since the scan
		return 0, next, classify(tx.Commit())
	}
	res, err := tx.ExecContext(ctx, fmt.Sprintf(s.sql.vacuumDelete, placeholders(len(locked))), locked...)
	if err != nil {
		return 0, "", classify(err)
	}
	if removed, err = res.RowsAffected(); err != nil {
		return 0, "", classify(err)
	}
	if _, err := tx.ExecContext(ctx, s.sql.vacuumFloor, maxFence); err != nil {
		return 0, "", classify(err)
	}
	return removed, next, classify(tx.Commit())
}

// placeholders returns n comma-separated question marks.
func placeholders(n int) string { return strings.Repeat("?, ", n-1) + "?" }

// eachRow returns dialect.EachRow over the result of a query, its errors
// classified.
func eachRow(rows *sql.Rows, err error) func(f func(dialect.Scanner) error) error {
	return func(f func(dialect.Scanner) error) error {
		if err != nil {
			return classify(err)
		}
		return classify(dialect.EachRow(rows, f))
	}
}

// scanRow reads rowColumns, then any trailing columns into more.
func scanRow(sc dialect.Scanner, r *dialect.Row, more ...any) error {
	var name []byte
	var acquired, expires, remaining, lease int64
	if err := sc.Scan(append([]any{&name, &r.Owner, &r.Holds, &r.Fence, &acquired, &expires, &remaining, &lease}, more...)...); err != nil {
		return err
	}
	r.Name = string(name)
	r.AcquiredAt = time.UnixMicro(acquired).UTC()
	r.ExpiresAt = time.UnixMicro(expires).UTC()
	r.Remaining = time.Duration(remaining) * time.Microsecond
	r.Lease = time.Duration(lease) * time.Microsecond
	return nil
}
