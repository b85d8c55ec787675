package dialecttest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"
)

// fault is a way a statement fails between the client and the database.
type fault int

const (
	// replyLost runs the statement on the database (it commits), then
	// holds the reply until the caller's context ends and returns the
	// context's error: a reply slower than the caller's deadline.
	replyLost fault = iota + 1
	// connLostAfter runs the statement, then reports a broken connection:
	// the statement took effect, the client cannot know it.
	connLostAfter
	// connDown reports a broken connection without running the statement.
	connDown
)

// errInjected is the connection error the faults report; every dialect
// classifies sql.ErrConnDone as a connection failure.
var errInjected = fmt.Errorf("injected fault: connection reset: %w", sql.ErrConnDone)

// faulty is a database/sql connector over the real driver that applies
// queued faults to the next statements sent, in order (preparing a
// statement is not one of them). Everything else passes through to the
// database under test.
type faulty struct {
	drv driver.Driver
	dsn string

	mu     sync.Mutex
	queue  []fault
	always fault // applied to every statement while no fault is queued
}

// open returns a pool on the test's database whose statements can be made
// to fail.
func (b *bundle) faulty(t interface{ Cleanup(func()) }) (*faulty, *sql.DB) {
	f := &faulty{drv: b.db.Driver(), dsn: b.dsn}
	db := sql.OpenDB(f)
	t.Cleanup(func() { db.Close() })
	return f, db
}

// inject queues faults for the next statements.
func (f *faulty) inject(fs ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, fs...)
}

// setAlways makes every statement fail with fl (0: none) until changed.
func (f *faulty) setAlways(fl fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.always = fl
}

func (f *faulty) next() (fl fault, queued bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queue) == 0 {
		return f.always, false
	}
	fl = f.queue[0]
	f.queue = f.queue[1:]
	return fl, true
}

// requeue puts a queued fault back in front, for the next statement.
func (f *faulty) requeue(fl fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append([]fault{fl}, f.queue...)
}

func (f *faulty) Connect(context.Context) (driver.Conn, error) {
	conn, err := f.drv.Open(f.dsn)
	if err != nil {
		return nil, err
	}
	return &faultyConn{Conn: conn, f: f}, nil
}

func (f *faulty) Driver() driver.Driver { return f.drv }

// run sends one statement through do, applying the next fault.
func (f *faulty) run(ctx context.Context, do func() (driver.Rows, driver.Result, error)) (driver.Rows, driver.Result, error) {
	fl, queued := f.next()
	if fl == connDown {
		return nil, nil, errInjected
	}
	rows, res, err := do()
	if err != nil && fl != 0 && queued {
		// The statement failed by itself (e.g. a pooler refused pgx's
		// named statement, which the dialect sends again): the fault,
		// which needs a statement that ran, is the next one's.
		f.requeue(fl)
	}
	if fl == 0 || err != nil {
		return rows, res, err
	}
	if rows != nil { // read the whole reply: the statement has finished
		if err := drain(rows); err != nil {
			return nil, nil, err
		}
	}
	if fl == connLostAfter {
		return nil, nil, errInjected
	}
	<-ctx.Done() // replyLost
	return nil, nil, ctx.Err()
}

func drain(rows driver.Rows) error {
	dest := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(dest); err != nil {
			rows.Close()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

type faultyConn struct {
	driver.Conn
	f *faulty
}

func (c *faultyConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	rows, _, err := c.f.run(ctx, func() (driver.Rows, driver.Result, error) {
		rows, err := q.QueryContext(ctx, query, args)
		return rows, nil, err
	})
	return rows, err
}

func (c *faultyConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	_, res, err := c.f.run(ctx, func() (driver.Rows, driver.Result, error) {
		res, err := e.ExecContext(ctx, query, args)
		return nil, res, err
	})
	return res, err
}

func (c *faultyConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
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
	return &faultyStmt{Stmt: st, f: c.f}, nil
}

func (c *faultyConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // fallback for old drivers
}

func (c *faultyConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *faultyConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

type faultyStmt struct {
	driver.Stmt
	f *faulty
}

func (s *faultyStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	e, ok := s.Stmt.(driver.StmtExecContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	_, res, err := s.f.run(ctx, func() (driver.Rows, driver.Result, error) {
		res, err := e.ExecContext(ctx, args)
		return nil, res, err
	})
	return res, err
}

func (s *faultyStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.Stmt.(driver.StmtQueryContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	rows, _, err := s.f.run(ctx, func() (driver.Rows, driver.Result, error) {
		rows, err := q.QueryContext(ctx, args)
		return rows, nil, err
	})
	return rows, err
}
