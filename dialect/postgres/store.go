package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/distlock/distlock/dialect"
)

func (s *store) Acquire(ctx context.Context, req dialect.AcquireRequest) (dialect.AcquireResult, error) {
	res := dialect.AcquireResult{Row: dialect.Row{Name: req.Name}}
	var held any // NULL when the caller holds nothing
	if req.HeldHash != nil {
		held = req.HeldHash
	}
	var remaining, lease int64
	var async sql.NullBool
	query := s.sql.acquire
	if req.Ticket != 0 {
		query = s.sql.acquireQueued
	}
	if _, err := s.queryRow(ctx, query, func(sc dialect.Scanner) error {
		return sc.Scan(&res.Acquired, &res.Row.Holds, &res.Row.Fence, &res.Row.Owner, &remaining, &lease, &async)
	}, req.Name, req.NewHash, held, req.Owner, req.TTL.Microseconds(), req.Ticket, req.KeepLease); err != nil {
		return dialect.AcquireResult{}, err
	}
	res.Reentered = res.Acquired && res.Row.Holds > 1
	res.Row.Remaining = time.Duration(remaining) * time.Microsecond
	res.Row.Lease = time.Duration(lease) * time.Microsecond
	return res, nil
}

func (s *store) Extend(ctx context.Context, req dialect.ExtendRequest) (dialect.Row, bool, error) {
	var row dialect.Row
	ok, err := s.queryRow(ctx, s.sql.extend, func(sc dialect.Scanner) error { return scanRow(sc, &row) },
		req.Name, req.TokenHash, req.TTL.Microseconds(), req.KeepLease)
	return row, ok, err
}

func (s *store) Release(ctx context.Context, name string, tokenHash []byte) (dialect.Released, bool, error) {
	var res dialect.Released
	var remaining int64
	var notified, async sql.NullBool
	ok, err := s.queryRow(ctx, s.sql.release, func(sc dialect.Scanner) error {
		return sc.Scan(&res.Holds, &res.Next, &res.Fence, &remaining, &notified, &async)
	}, name, tokenHash)
	res.Remaining = time.Duration(remaining) * time.Microsecond
	return res, ok, err
}

func (s *store) Inspect(ctx context.Context, name string) (dialect.Row, bool, error) {
	var row dialect.Row
	ok, err := s.queryRow(ctx, s.sql.inspect, func(sc dialect.Scanner) error { return scanRow(sc, &row, &row.Waiters) }, name)
	return row, ok, err
}

func (s *store) List(ctx context.Context) ([]dialect.Row, error) {
	rows, err := s.query(ctx, s.sql.list)
	if err != nil {
		return nil, err
	}
	out, err := dialect.ScanAll(rows, func(sc dialect.Scanner, r *dialect.Row) error { return scanRow(sc, r, &r.Waiters) })
	return out, classify(err)
}

// VacuumBatch deletes one batch inside a short transaction that locks out
// acquisitions (see statements.vacuumLock).
func (s *store) VacuumBatch(ctx context.Context, after string, limit int) (removed int64, next string, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, "", classify(err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, s.sql.vacuumLock); err != nil {
		return 0, "", classify(err)
	}
	// Inside the transaction a refused statement aborted it: switch modes
	// and let the caller retry the batch (the error is KindRetry).
	var looked int64
	pooled := s.pooled.Load()
	if err := tx.QueryRowContext(ctx, s.sql.vacuum, args(pooled, after, limit)...).Scan(&removed, &looked, &next); err != nil {
		if !pooled {
			s.usePooler(err)
		}
		return 0, "", classify(err)
	}
	if looked < int64(limit) {
		next = "" // the end of the table
	}
	return removed, next, classify(tx.Commit())
}

// scanRow reads rowColumns, then any trailing columns into more.
func scanRow(sc dialect.Scanner, r *dialect.Row, more ...any) error {
	var remaining, lease int64
	if err := sc.Scan(append([]any{&r.Name, &r.Owner, &r.Holds, &r.Fence, &r.AcquiredAt, &r.ExpiresAt, &remaining, &lease}, more...)...); err != nil {
		return err
	}
	r.AcquiredAt, r.ExpiresAt = r.AcquiredAt.UTC(), r.ExpiresAt.UTC()
	r.Remaining = time.Duration(remaining) * time.Microsecond
	r.Lease = time.Duration(lease) * time.Microsecond
	return nil
}
