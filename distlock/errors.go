package distlock

import (
	"errors"
	"fmt"

	"github.com/distlock/distlock/dialect"
)

// Sentinel errors, checked with errors.Is. Errors returned by this package
// wrap one of them, or a *DBError for failures of the database itself.
var (
	// ErrNotAcquired: the lock is held by someone else. When Acquire gives
	// up because its context ended, the error also matches ctx.Err().
	ErrNotAcquired = errors.New("distlock: lock not acquired")
	// ErrExpired: the token no longer holds the lock; it was released, it
	// expired (and may have been taken by someone else), or it belongs to
	// another lock.
	ErrExpired = errors.New("distlock: token expired or released")
	// ErrNotHeld: the lock is free (Inspect), or the handle holds nothing
	// (Lock.Extend, Lock.Release).
	ErrNotHeld = errors.New("distlock: lock not held")
	// ErrLost: a lock held by Lock.Do could not be kept alive. It is the
	// cause of the cancellation of fn's context.
	ErrLost = errors.New("distlock: lock lost")
	// ErrInvalidName: a lock name that is empty, longer than MaxNameLen
	// bytes, not valid UTF-8 or holds a NUL byte.
	ErrInvalidName = errors.New("distlock: invalid lock name")
	// ErrInvalidToken: a token that distlock did not make (wrong length,
	// prefix or alphabet).
	ErrInvalidToken = errors.New("distlock: invalid token")
	// ErrInvalidConfig: New was given a nil *sql.DB or dialect, or a Config
	// with a bad value.
	ErrInvalidConfig = errors.New("distlock: invalid config")
	// ErrClosed: the Module was closed.
	ErrClosed = errors.New("distlock: module closed")
	// ErrNoTable: the lock table does not exist; run Module.Migrate (or
	// "distlock migrate"). A *DBError matches it.
	ErrNoTable = errors.New("distlock: lock table missing (run Migrate)")
)

// DBError is a failure of the database while running Op on the lock Name
// (empty for table-wide operations such as List). It unwraps to the
// dialect's classified error and, through it, to the driver's error.
type DBError struct {
	Op   string // "acquire", "extend", "release", "inspect", "list", "vacuum", "migrate"
	Name string
	Err  error
}

func (e *DBError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("distlock: %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("distlock: %s %q: %v", e.Op, e.Name, e.Err)
}

// Unwrap returns the underlying error.
func (e *DBError) Unwrap() error { return e.Err }

// Is lets errors.Is(err, ErrNoTable) recognise a missing table on every
// database.
func (e *DBError) Is(target error) bool {
	return target == ErrNoTable && dialect.KindOf(e.Err) == dialect.KindNoTable
}

// SafeToRetry reports whether the failed operation certainly did not take
// effect, so that calling it again cannot apply it twice.
func (e *DBError) SafeToRetry() bool {
	k := dialect.KindOf(e.Err)
	return k == dialect.KindRetry || k == dialect.KindUnavailable
}

// Timeout reports whether the operation failed because time ran out.
func (e *DBError) Timeout() bool { return dialect.KindOf(e.Err) == dialect.KindTimeout }

func dbError(op, name string, err error) error {
	if err == nil {
		return nil
	}
	return &DBError{Op: op, Name: name, Err: err}
}

// notAcquiredError is the error of an acquire that gave up because its
// context ended. It matches ErrNotAcquired and the context's error and,
// when the database was failing as the wait ended, that failure (a
// *DBError), so the caller sees why it waited in vain; it prints on one
// line.
type notAcquiredError struct {
	cause error // ctx.Err()
	last  error // the database failure waited through last, or nil
}

func (e *notAcquiredError) Error() string {
	if e.last == nil {
		return ErrNotAcquired.Error() + ": " + e.cause.Error()
	}
	return ErrNotAcquired.Error() + ": " + e.cause.Error() + "; the database was failing: " + e.last.Error()
}

func (e *notAcquiredError) Unwrap() []error {
	if e.last == nil {
		return []error{ErrNotAcquired, e.cause}
	}
	return []error{ErrNotAcquired, e.cause, e.last}
}
