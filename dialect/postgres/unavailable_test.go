package postgres

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/distlock/distlock/dialect"
)

// A server that refuses a statement it did not run (a standby, a primary
// demoted or shutting down, one still starting up) is KindUnavailable:
// safe to send again, and a waiting Acquire waits through it. A server
// that ended the session, maybe mid-statement, stays KindConn: the
// statement may have committed.
func TestClassifyFailover(t *testing.T) {
	t.Parallel()
	dialRefused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	// The shape of pgconn's *ConnectError when no host of a multi-host
	// DSN took writes: one error per host tried, joined.
	noWritableHost := fmt.Errorf("failed to connect to `user=postgres database=db`: %w", errors.Join(
		fmt.Errorf("127.0.0.1:15432 (127.0.0.1): dial error: %w", dialRefused),
		fmt.Errorf("127.0.0.1:15433 (127.0.0.1): ValidateConnect failed: %w", pgconn.ErrReadOnlyConnection)))
	startingUp := fmt.Errorf("failed to connect: %w", errors.Join(
		fmt.Errorf("127.0.0.1:15432 (127.0.0.1): dial error: %w", dialRefused),
		fmt.Errorf("127.0.0.1:15433 (127.0.0.1): server error: %w",
			&pgconn.PgError{Severity: "FATAL", Code: "57P03", Message: "the database system is starting up"})))
	tests := []struct {
		name string
		err  error
		want dialect.Kind
	}{
		{"read-only transaction (standby, demoted primary)", &pgconn.PgError{Code: "25006"}, dialect.KindUnavailable},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, dialect.KindUnavailable},
		{"no host takes writes (target_session_attrs=read-write)", noWritableHost, dialect.KindUnavailable},
		{"no host is a primary (target_session_attrs=primary)",
			fmt.Errorf("connect: %w", pgconn.ErrStandbyConnection), dialect.KindUnavailable},
		{"one host starting up, the other down", startingUp, dialect.KindUnavailable},
		{"admin shutdown: the session ended, maybe after a commit", &pgconn.PgError{Code: "57P01"}, dialect.KindConn},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, dialect.KindConn},
		{"every host refused the connection", fmt.Errorf("connect: %w", dialRefused), dialect.KindConn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := classify(tt.err)
			if got := dialect.KindOf(err); got != tt.want {
				t.Fatalf("classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("classify(%v) does not unwrap to the driver's error", tt.err)
			}
			var de *dialect.Error
			if !errors.As(err, &de) {
				t.Fatalf("classify(%v) is not a *dialect.Error", tt.err)
			}
			if want := tt.want == dialect.KindUnavailable; de.SafeToRetry() != want {
				t.Errorf("SafeToRetry() = %v, want %v", de.SafeToRetry(), want)
			}
		})
	}
}
