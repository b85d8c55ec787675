package dialecttest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"regexp"
	"sync/atomic"
	"testing"

	"github.com/distlock/distlock/distlock"
)

// counter is a database/sql connector that passes everything through to
// the real driver and counts the statements sent to the database.
type counter struct {
	drv        driver.Driver
	dsn        string
	statements atomic.Int64
	// only, if set, limits the count to the statements it matches (and
	// no longer counts prepares).
	only *regexp.Regexp
}

func (c *counter) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, n: &c.statements, only: c.only}, nil
}

func (c *counter) Driver() driver.Driver { return c.drv }

type countingConn struct {
	driver.Conn
	n    *atomic.Int64
	only *regexp.Regexp
}

// counts reports whether the statement query is counted.
func (c *countingConn) counts(query string) bool { return c.only == nil || c.only.MatchString(query) }

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	rows, err := q.QueryContext(ctx, query, args)
	if err != driver.ErrSkip && c.counts(query) {
		c.n.Add(1)
	}
	return rows, err
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	res, err := e.ExecContext(ctx, query, args)
	if err != driver.ErrSkip && c.counts(query) {
		c.n.Add(1)
	}
	return res, err
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
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
	if c.only == nil {
		c.n.Add(1) // a round trip on servers (MySQL's COM_STMT_PREPARE)
	}
	var n *atomic.Int64
	if c.counts(query) {
		n = c.n
	}
	return &countingStmt{Stmt: st, n: n}, nil
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.only == nil {
		c.n.Add(1)
	}
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // fallback for old drivers
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

type countingStmt struct {
	driver.Stmt
	n *atomic.Int64 // nil: not counted
}

func (s *countingStmt) count() {
	if s.n != nil {
		s.n.Add(1)
	}
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.count()
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	return nil, driver.ErrSkip
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.count()
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return q.QueryContext(ctx, args)
	}
	return nil, driver.ErrSkip
}

// Acquire, re-entry, extend and release are each one statement: one round
// trip, no transaction, and no prepare once the connection has run them
// (preparing counts as a statement). So is a TryAcquire that finds the
// lock held.
func testOneStatement(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	c := &counter{drv: b.db.Driver(), dsn: b.dsn}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	m := b.module(t, db, distlock.Config{})
	held := uniqueName("held")
	if _, err := b.mod.Acquire(b.ctx, held); err != nil { // another pool holds it
		t.Fatal(err)
	}
	if err := db.PingContext(b.ctx); err != nil { // open the connection first
		t.Fatal(err)
	}
	steps := func(l, other *distlock.Lock) []struct {
		op string
		fn func() error
	} {
		return []struct {
			op string
			fn func() error
		}{
			{"Acquire", func() error { return l.Acquire(b.ctx) }},
			{"re-entering Acquire", func() error { return l.Acquire(b.ctx) }},
			{"Extend", func() error { return l.Extend(b.ctx) }},
			{"Release", func() error { return l.Release(b.ctx) }},
			{"last Release", func() error { return l.Release(b.ctx) }},
			{"TryAcquire", func() error { _, err := l.TryAcquire(b.ctx); return err }},
			{"TryAcquire of a held lock", func() error {
				if ok, err := other.TryAcquire(b.ctx); ok || err != nil {
					return fmt.Errorf("got %v, %v; want false", ok, err)
				}
				return nil
			}},
		}
	}
	for _, s := range steps(m.Get(uniqueName("warm")), m.Get(held)) { // prepares
		if err := s.fn(); err != nil {
			t.Fatalf("warming up, %s: %v", s.op, err)
		}
	}
	resends := 0 // allowed behind a pooler: see Harness.Pooled
	if h.Pooled {
		resends = 1
	}
	for _, s := range steps(m.Get(uniqueName("count")), m.Get(held)) {
		before := c.statements.Load()
		if err := s.fn(); err != nil {
			t.Fatalf("%s: %v", s.op, err)
		}
		n := c.statements.Load() - before
		if n == 2 && resends > 0 {
			resends--
			t.Logf("%s sent 2 statements: the dialect switched modes behind the pooler", s.op)
			continue
		}
		if n != 1 {
			t.Errorf("%s sent %d statements, want 1", s.op, n)
		}
	}
}
