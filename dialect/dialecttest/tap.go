package dialecttest

import (
	"context"
	"database/sql"
	"database/sql/driver"
)

// tap is a database/sql connector that passes everything through to the
// real driver, calling its hooks on the way: the counting and the
// fault-injecting pools of the suite are taps.
type tap struct {
	drv driver.Driver
	dsn string
	// statement runs one statement (query's text) by calling run, and may
	// count it, fail it or hold its reply; nil runs it.
	statement func(ctx context.Context, query string, run func() (driver.Rows, driver.Result, error)) (driver.Rows, driver.Result, error)
	// prepare and begin, if set, are told of each prepare and transaction;
	// direct, of each statement run on a connection without a prepared
	// statement (which SQLite parses on every call).
	prepare, direct func(query string)
	begin           func()
}

func (tp *tap) Connect(context.Context) (driver.Conn, error) {
	conn, err := tp.drv.Open(tp.dsn)
	if err != nil {
		return nil, err
	}
	return &tapConn{Conn: conn, tp: tp}, nil
}

func (tp *tap) Driver() driver.Driver { return tp.drv }

// open returns a pool through tp, closed with t.
func (tp *tap) open(t interface{ Cleanup(func()) }) *sql.DB {
	db := sql.OpenDB(tp)
	t.Cleanup(func() { db.Close() })
	return db
}

func (tp *tap) run(ctx context.Context, query string, do func() (driver.Rows, driver.Result, error)) (driver.Rows, driver.Result, error) {
	if tp.statement == nil {
		return do()
	}
	return tp.statement(ctx, query, do)
}

// runDirect runs a statement sent without a prepared statement.
func (tp *tap) runDirect(ctx context.Context, query string, do func() (driver.Rows, driver.Result, error)) (driver.Rows, driver.Result, error) {
	if tp.direct != nil {
		tp.direct(query)
	}
	if tp.statement == nil {
		return do()
	}
	return tp.statement(ctx, query, do)
}

type tapConn struct {
	driver.Conn
	tp *tap
}

func (c *tapConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	rows, _, err := c.tp.runDirect(ctx, query, func() (driver.Rows, driver.Result, error) {
		rows, err := q.QueryContext(ctx, query, args)
		return rows, nil, err
	})
	return rows, err
}

func (c *tapConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	_, res, err := c.tp.runDirect(ctx, query, func() (driver.Rows, driver.Result, error) {
		res, err := e.ExecContext(ctx, query, args)
		return nil, res, err
	})
	return res, err
}

func (c *tapConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var st driver.Stmt
	var err error
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	if c.tp.prepare != nil {
		c.tp.prepare(query)
	}
	return &tapStmt{Stmt: st, tp: c.tp, query: query}, nil
}

func (c *tapConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.tp.begin != nil {
		c.tp.begin()
	}
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // fallback for old drivers
}

func (c *tapConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *tapConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

type tapStmt struct {
	driver.Stmt
	tp    *tap
	query string
}

func (s *tapStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	e, ok := s.Stmt.(driver.StmtExecContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	_, res, err := s.tp.run(ctx, s.query, func() (driver.Rows, driver.Result, error) {
		res, err := e.ExecContext(ctx, args)
		return nil, res, err
	})
	return res, err
}

func (s *tapStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.Stmt.(driver.StmtQueryContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	rows, _, err := s.tp.run(ctx, s.query, func() (driver.Rows, driver.Result, error) {
		rows, err := q.QueryContext(ctx, args)
		return rows, nil, err
	})
	return rows, err
}
