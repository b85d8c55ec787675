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

// get returns query prepared on the pool, or nil after Close. It prepares
// without holding the mutex, so that one slow prepare (a server that does
// not answer) never holds up the statements already prepared, nor callers
// whose context ends sooner; if two callers prepare the same query at once,
// the second keeps the first's statement and closes its own.
func (s *Stmts) get(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	st, ok := s.m[query]
	closed := s.closed
	s.mu.Unlock()
	if ok || closed {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch prior, ok := s.m[query]; {
	case s.closed:
		st.Close()
		return nil, nil
	case ok:
		st.Close()
		return prior, nil
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

// TxStmt is a statement of a Stmts to run inside transactions, where
// database/sql reuses the pool's statement once it has been prepared on
// the transaction's connection (a statement run on a *sql.Conn outside a
// transaction is parsed again on every call).
type TxStmt struct {
	st    *sql.Stmt // nil after the cache was closed
	query string
}

// ForTx returns query's statement for use in transactions. Call it before
// the transaction's connection is taken: preparing on the pool the first
// time needs a connection of its own, which a pool of one would never
// give while the caller holds its only one.
func (s *Stmts) ForTx(ctx context.Context, query string) (TxStmt, error) {
	st, err := s.get(ctx, query)
	return TxStmt{st: st, query: query}, err
}

// In returns the statement bound to tx (closed with it).
func (t TxStmt) In(ctx context.Context, tx *sql.Tx) (*sql.Stmt, error) {
	if t.st == nil {
		return tx.PrepareContext(ctx, t.query)
	}
	return tx.StmtContext(ctx, t.st), nil
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
