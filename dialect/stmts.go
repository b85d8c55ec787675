package dialect

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// Stmts prepares each query once on a pool and keeps it: database/sql
// then prepares it once per connection, lazily, and every later use costs
// one round trip and no parsing. Without it, go-sql-driver/mysql prepares,
// executes and closes every statement that has arguments (two round trips)
// and SQLite parses the statement again on every call.
//
// After Close, queries still run, unprepared: a Lock.Do that outlives its
// Module's Close still releases its lock.
type Stmts struct {
	db     *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	closed bool
}

// NewStmts returns an empty cache for db.
func NewStmts(db *sql.DB) *Stmts { return &Stmts{db: db} }

// get returns query prepared on the pool, or nil after Close.
func (s *Stmts) get(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.m[query]; ok || s.closed {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if s.m == nil {
		s.m = make(map[string]*sql.Stmt)
	}
	s.m[query] = st
	return st, nil
}

// Exec runs query with args. Errors are the driver's, for the dialect to
// classify.
func (s *Stmts) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := s.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return s.db.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// Query runs query with args.
func (s *Stmts) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return s.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRow runs query with args.
func (s *Stmts) QueryRow(ctx context.Context, query string, args ...any) (*sql.Row, error) {
	st, err := s.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return s.db.QueryRowContext(ctx, query, args...), nil
	}
	return st.QueryRowContext(ctx, args...), nil
}

// Close closes every prepared statement (not the pool).
func (s *Stmts) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for q, st := range s.m {
		errs = append(errs, st.Close())
		delete(s.m, q)
	}
	return errors.Join(errs...)
}
