package mysql

import (
	"context"
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
	ttl := req.TTL.Microseconds()
	res, err := s.exec(ctx, s.sql.acquire,
		req.Name, req.NewHash, req.Owner, ttl,
		held, held, req.Owner, req.NewHash, held, ttl)
	if err != nil {
		return dialect.AcquireResult{}, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return dialect.AcquireResult{}, classify(err)
	}
	out := dialect.AcquireResult{Row: dialect.Row{Name: req.Name}}
	switch value := id / 4; id % 4 {
	case kindNew:
		out.Acquired, out.Row.Fence, out.Row.Holds = true, value, 1
	case kindReentered:
		out.Acquired, out.Reentered, out.Row.Fence = true, true, value
	case kindHeld:
		out.Row.Remaining = time.Duration(value) * time.Microsecond
	default:
		return out, fmt.Errorf("mysql: acquire returned an unknown outcome %d", id)
	}
	return out, nil
}

func (s *store) Extend(ctx context.Context, name string, tokenHash []byte, ttl time.Duration) (dialect.Row, bool, error) {
	res, err := s.exec(ctx, s.sql.extend, ttl.Microseconds(), name, tokenHash)
	if err != nil {
		return dialect.Row{}, false, err
	}
	fence, err := res.LastInsertId() // the fence (≥ 1), or 0 if no live row matched
	if err != nil || fence == 0 {
		return dialect.Row{}, false, classify(err)
	}
	return dialect.Row{Name: name, Fence: fence}, true, nil
}

func (s *store) Release(ctx context.Context, name string, tokenHash []byte) (int, bool, error) {
	res, err := s.exec(ctx, s.sql.release, name, tokenHash)
	if err != nil {
		return 0, false, err
	}
	before, err := res.LastInsertId() // holds before (≥ 1), or 0 if no live row matched
	if err != nil || before == 0 {
		return 0, false, classify(err)
	}
	return int(before - 1), true, nil
}

func (s *store) Inspect(ctx context.Context, name string) (dialect.Row, bool, error) {
	rows, err := s.query(ctx, s.sql.inspect, name)
	if err != nil {
		return dialect.Row{}, false, err
	}
	out, err := dialect.ScanAll(rows, scanRow)
	if err != nil || len(out) == 0 {
		return dialect.Row{}, false, classify(err)
	}
	return out[0], true, nil
}

func (s *store) List(ctx context.Context) ([]dialect.Row, error) {
	rows, err := s.query(ctx, s.sql.list)
	if err != nil {
		return nil, err
	}
	out, err := dialect.ScanAll(rows, scanRow)
	return out, classify(err)
}

// VacuumBatch deletes one batch in a short transaction (see
// statements.vacuumLockMeta).
func (s *store) VacuumBatch(ctx context.Context, limit int) (n int64, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, classify(err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	var cutoff string
	if err := tx.QueryRowContext(ctx, s.sql.vacuumLockMeta).Scan(&cutoff); err != nil {
		return 0, classify(err)
	}
	rows, err := tx.QueryContext(ctx, s.sql.vacuumSelect, cutoff, limit)
	if err != nil {
		return 0, classify(err)
	}
	args := []any{cutoff}
	var maxFence int64
	for rows.Next() {
		var name []byte
		var fence int64
		if err := rows.Scan(&name, &fence); err != nil {
			rows.Close()
			return 0, classify(err)
		}
		args = append(args, name)
		maxFence = max(maxFence, fence)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, classify(err)
	}
	if len(args) == 1 {
		return 0, classify(tx.Commit())
	}
	placeholders := strings.Repeat("?, ", len(args)-2) + "?"
	res, err := tx.ExecContext(ctx, fmt.Sprintf(s.sql.vacuumDelete, placeholders), args...)
	if err != nil {
		return 0, classify(err)
	}
	if n, err = res.RowsAffected(); err != nil {
		return 0, classify(err)
	}
	if _, err := tx.ExecContext(ctx, s.sql.vacuumFloor, maxFence); err != nil {
		return 0, classify(err)
	}
	return n, classify(tx.Commit())
}

// scanRow reads rowColumns.
func scanRow(sc dialect.Scanner, r *dialect.Row) error {
	var name []byte
	var acquired, expires, remaining int64
	if err := sc.Scan(&name, &r.Owner, &r.Holds, &r.Fence, &acquired, &expires, &remaining); err != nil {
		return err
	}
	r.Name = string(name)
	r.AcquiredAt = time.UnixMicro(acquired).UTC()
	r.ExpiresAt = time.UnixMicro(expires).UTC()
	r.Remaining = time.Duration(remaining) * time.Microsecond
	return nil
}
