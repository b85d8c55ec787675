package dialecttest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/distlock/distlock/distlock"
)

// counter is a pool that counts the statements sent to the database
// (a prepare counts too: a round trip on servers, MySQL's
// COM_STMT_PREPARE; so does beginning a transaction), but for SQLite's
// PRAGMAs, which set the embedded connection (SQLite's release switches
// it to synchronous=NORMAL and back) and neither read nor write. With
// only, it counts just the statements that match, and no prepares.
//
// SQLite is embedded: nothing is a round trip, and the cost to count is
// parsing. There a statement run without a prepared statement counts as
// a prepare too (SQLite parses it on every call), and beginning a
// transaction does not count (a statement outside one runs in one of its
// own anyway; the release runs in one so that database/sql reuses the
// statement prepared on its connection).
type counter struct {
	statements *atomic.Int64
	db         *sql.DB
}

// Counting opens a pool like db's, on dsn, that counts the statements whose
// SQL matches only (prepared or not); closed when t ends. For a dialect's
// own tests of how many statements of a kind an operation sends.
func Counting(t testing.TB, db *sql.DB, dsn string, only *regexp.Regexp) (*sql.DB, *atomic.Int64) {
	tp, n := countingTap(db.Driver(), dsn, only.MatchString)
	return tp.open(t), n
}

// countingTap is a tap that counts the statements for which counts is true.
func countingTap(drv driver.Driver, dsn string, counts func(query string) bool) (*tap, *atomic.Int64) {
	n := new(atomic.Int64)
	return &tap{drv: drv, dsn: dsn,
		statement: func(_ context.Context, query string, run func() (driver.Rows, driver.Result, error)) (driver.Rows, driver.Result, error) {
			if counts(query) {
				n.Add(1)
			}
			return run()
		},
	}, n
}

// counting opens a counting pool on the test's database.
func (b *bundle) counting(t *testing.T, only *regexp.Regexp) *counter {
	if only != nil {
		db, n := Counting(t, b.db, b.dsn, only)
		return &counter{statements: n, db: db}
	}
	counts := func(query string) bool { return !strings.HasPrefix(query, "PRAGMA ") }
	tp, n := countingTap(b.db.Driver(), b.dsn, counts)
	tp.prepare = func(string) { n.Add(1) }
	if b.h.DriverName == "sqlite" {
		tp.direct = func(query string) {
			if counts(query) {
				n.Add(1)
			}
		}
	} else {
		tp.begin = func() { n.Add(1) }
	}
	return &counter{statements: n, db: tp.open(t)}
}

// Acquire, re-entry, extend and release are each one statement: one round
// trip, no transaction, and no prepare once the connection has run them
// (preparing counts as a statement). So is a TryAcquire that finds the
// lock held.
func testOneStatement(t *testing.T, h Harness) {
	b := setup(t, h, distlock.Config{})
	c := b.counting(t, nil)
	db := c.db
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
