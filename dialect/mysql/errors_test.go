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
