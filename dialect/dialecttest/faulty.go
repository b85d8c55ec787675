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

// faulty makes chosen statements of a pool fail: it applies queued
// faults to the next statements sent, in order (preparing a statement is
// not one of them). Everything else passes through to the database.
type faulty struct {
	mu     sync.Mutex
	queue  []fault
	always fault // applied to every statement while no fault is queued
	// refuse, while set, refuses the next statement it matches with
	// refusal, without running it (see refuseNext).
	refuse  func(query string) bool
	refusal error
	sticky  bool // refuse every matching statement, not only the next
}

// faulty opens a pool on the test's database whose statements can be
// made to fail.
func (b *bundle) faulty(t interface{ Cleanup(func()) }) (*faulty, *sql.DB) {
	f := &faulty{}
	tp := &tap{drv: b.db.Driver(), dsn: b.dsn, statement: f.run}
	return f, tp.open(t)
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

// refuseNext makes the next statement that match matches fail with err
// without running it, before any queued fault.
func (f *faulty) refuseNext(match func(query string) bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse, f.refusal, f.sticky = match, err, false
}

// refuseAll makes every statement that match matches fail with err
// without running it, from now on.
func (f *faulty) refuseAll(match func(query string) bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse, f.refusal, f.sticky = match, err, true
}

// refused reports the error with which query is refused, if it is.
func (f *faulty) refused(query string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse == nil || !f.refuse(query) {
		return nil
	}
	if !f.sticky {
		f.refuse = nil
	}
	return f.refusal
}

// refusing reports whether a refusal waits for its statement.
func (f *faulty) refusing() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refuse != nil
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

// run sends one statement through do, applying the next fault.
func (f *faulty) run(ctx context.Context, query string, do func() (driver.Rows, driver.Result, error)) (driver.Rows, driver.Result, error) {
	if err := f.refused(query); err != nil {
		return nil, nil, err
	}
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
