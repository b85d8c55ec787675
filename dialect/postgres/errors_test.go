package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/distlock/distlock/dialect"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want dialect.Kind
	}{
		{&pgconn.PgError{Code: "40001"}, dialect.KindRetry}, // serialization_failure
		{&pgconn.PgError{Code: "40P01"}, dialect.KindRetry}, // deadlock_detected
		{&pgconn.PgError{Code: "55P03"}, dialect.KindRetry}, // lock_not_available
		{&pgconn.PgError{Code: "57014"}, dialect.KindTimeout},
		{&pgconn.PgError{Code: "57P01"}, dialect.KindConn}, // admin_shutdown (pg_terminate_backend)
		{&pgconn.PgError{Code: "08006"}, dialect.KindConn},
		{&pgconn.PgError{Code: "42P01"}, dialect.KindNoTable}, // undefined_table
		{&pgconn.PgError{Code: "23505"}, dialect.KindOther},
		// Behind a transaction pooler: a named statement refused at
		// Parse (already exists) or Bind (does not exist) did not run.
		{&pgconn.PgError{Code: "42P05"}, dialect.KindRetry},
		{&pgconn.PgError{Code: "26000"}, dialect.KindRetry},
		// A protocol violation is the server's answer, not a broken
		// connection, and not known to be retryable.
		{&pgconn.PgError{Code: "08P01", Severity: "ERROR"}, dialect.KindOther},
		// … unless it ends the session: PgBouncer losing the server
		// connection under a statement.
		{&pgconn.PgError{Code: "08P01", Severity: "FATAL", Message: "server conn crashed?"}, dialect.KindConn},
		{&pgconn.PgError{Code: "08001"}, dialect.KindConn}, // sqlclient_unable_to_establish_sqlconnection
		{fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "40P01"}), dialect.KindRetry},
		{context.DeadlineExceeded, dialect.KindTimeout},
		{driver.ErrBadConn, dialect.KindConn},
		{io.ErrUnexpectedEOF, dialect.KindConn},
		{errors.New("something else"), dialect.KindOther},
	}
	for _, tt := range tests {
		err := classify(tt.err)
		if got := dialect.KindOf(err); got != tt.want {
			t.Errorf("classify(%v) = %v, want %v", tt.err, got, tt.want)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("classify(%v) does not unwrap to the driver's error", tt.err)
		}
	}
	if classify(nil) != nil {
		t.Error("classify(nil) != nil")
	}
}
