package mysql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/distlock/distlock/dialect"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want dialect.Kind
	}{
		{&mysql.MySQLError{Number: 1213}, dialect.KindRetry}, // deadlock
		{&mysql.MySQLError{Number: 1205}, dialect.KindRetry}, // lock wait timeout
		{&mysql.MySQLError{Number: 3024}, dialect.KindTimeout},
		{&mysql.MySQLError{Number: 1969}, dialect.KindTimeout},
		{&mysql.MySQLError{Number: 1053}, dialect.KindConn},
		{&mysql.MySQLError{Number: 1146}, dialect.KindNoTable},
		{fmt.Errorf("wrapped: %w", &mysql.MySQLError{Number: 1213}), dialect.KindRetry},
		// Galera: a certification failure is a deadlock; a node that is
		// not ready, or outside the primary component, ran nothing.
		{&mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"}, dialect.KindRetry},
		{&mysql.MySQLError{Number: 1047, Message: "WSREP has not yet prepared node for application use"}, dialect.KindUnavailable},
		{fmt.Errorf("wrapped: %w", &mysql.MySQLError{Number: 1047, Message: "WSREP has not yet prepared node for application use"}), dialect.KindUnavailable},
		{&mysql.MySQLError{Number: 1180, Message: "Error while appending streaming replication fragment(provider status: Not connected to Primary Component)"}, dialect.KindUnavailable},
		{&mysql.MySQLError{Number: 1180, Message: "Got error 90 \"Message too long\" during COMMIT"}, dialect.KindOther},
		{&mysql.MySQLError{Number: 1180, Message: "Error while appending streaming replication fragment(provider status: Transaction size exceeded)"}, dialect.KindOther},
		{&mysql.MySQLError{Number: 1047, Message: "Unknown command"}, dialect.KindOther},
		// TiDB: rolled back, to be run again.
		{&mysql.MySQLError{Number: 9007, Message: "Write conflict, txnStartTS=1, conflictStartTS=2, conflictCommitTS=3, key={tableID=90, handle=1} primary={tableID=90, handle=1} [try again later]"}, dialect.KindRetry},
		{&mysql.MySQLError{Number: 8002, Message: "[tikv] can not retry select for update statement"}, dialect.KindRetry},
		{&mysql.MySQLError{Number: 8022, Message: "Error: KV error safe to retry"}, dialect.KindRetry},
		{&mysql.MySQLError{Number: 8028, Message: "Information schema is changed during the execution of the statement"}, dialect.KindRetry},
		{&mysql.MySQLError{Number: 3572, Message: "Statement aborted because lock(s) could not be acquired immediately and NOWAIT is set."}, dialect.KindRetry},
		{mysql.ErrInvalidConn, dialect.KindConn},
		{driver.ErrBadConn, dialect.KindConn},
		{io.EOF, dialect.KindConn},
		{context.DeadlineExceeded, dialect.KindTimeout},
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
}

func TestAlreadyApplied(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&mysql.MySQLError{Number: 1060, Message: "Duplicate column name 'lease_us'"}, true},
		{fmt.Errorf("retried: %w", &mysql.MySQLError{Number: 1060}), true},
		{&mysql.MySQLError{Number: 1146}, false},
		{errors.New("other"), false},
	} {
		if got := alreadyApplied(tc.err); got != tc.want {
			t.Errorf("alreadyApplied(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
