package dialect

import (
	"errors"
	"fmt"
)

// Kind classifies a database error by what the caller may do about it.
type Kind int

const (
	// KindOther is an error that retrying will not fix (bad SQL, missing
	// table, permission denied, constraint violations).
	KindOther Kind = iota
	// KindRetry means the statement certainly did not take effect and may be
	// sent again at once: SQLite busy/locked, serialization failures,
	// deadlocks, lock wait timeouts.
	KindRetry
	// KindConn means the connection failed or could not be made. The
	// statement may or may not have taken effect.
	KindConn
	// KindTimeout means the statement ran out of time (a context deadline
	// or a server-side statement timeout); it may or may not have taken
	// effect.
	KindTimeout
	// KindNoTable means the lock table (or a companion of it) does not
	// exist: Migrate has not been run.
	KindNoTable
	// KindUnavailable means the server answered but cannot serve the
	// statement now, and did not run it: it is starting up or shutting
	// down, it is a read-only standby or a demoted primary after a
	// failover, or a cluster node outside the primary component. Sending
	// it again after a pause (on a new connection, perhaps to another
	// host) may succeed; a waiting Acquire keeps waiting through it.
	KindUnavailable
)

func (k Kind) String() string {
	switch k {
	case KindRetry:
		return "retryable"
	case KindConn:
		return "connection"
	case KindTimeout:
		return "timeout"
	case KindNoTable:
		return "missing table"
	case KindUnavailable:
		return "unavailable"
	default:
		return "other"
	}
}

// Error is a database error classified by a dialect. Its message is the
// driver's (drivers name the host, never the password); Unwrap gives the
// driver's error.
type Error struct {
	Kind Kind
	Err  error
}

// Classify wraps err with its kind; nil stays nil.
func Classify(kind Kind, err error) error {
	if err == nil {
		return nil
	}
	if e := (*Error)(nil); errors.As(err, &e) {
		return err // classified already (e.g. by a wrapping driver): keep it
	}
	return &Error{Kind: kind, Err: err}
}

func (e *Error) Error() string { return fmt.Sprintf("%s error: %v", e.Kind, e.Err) }

// Unwrap returns the driver's error.
func (e *Error) Unwrap() error { return e.Err }

// SafeToRetry reports whether the failed statement certainly did not take
// effect, so that sending it again cannot apply it twice.
func (e *Error) SafeToRetry() bool { return e.Kind == KindRetry || e.Kind == KindUnavailable }

// Timeout reports whether the statement ran out of time.
func (e *Error) Timeout() bool { return e.Kind == KindTimeout }

// KindOf returns the kind of the first *Error in err's chain, or KindOther.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindOther
}
