package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"

	"github.com/go-sql-driver/mysql"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/migrations"
)

// classify maps a driver error (or golang-migrate's wrapping of one) to a
// dialect.Error kind; nil stays nil.
func classify(err error) error {
	if err == nil {
		return nil
	}
	return dialect.Classify(kindOf(migrations.Cause(err)), err)
}

// Server error numbers.
const (
	erLockWaitTimeout  = 1205 // the statement was rolled back
	erLockDeadlock     = 1213 // the transaction was rolled back
	erQueryTimeout     = 3024 // MAX_EXECUTION_TIME exceeded (MySQL)
	erStatementTimeout = 1969 // max_statement_time exceeded (MariaDB)
	erServerShutdown   = 1053
	erConCount         = 1040 // too many connections
	erNoSuchTable      = 1146
)

func kindOf(err error) dialect.Kind {
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		switch myErr.Number {
		case erLockWaitTimeout, erLockDeadlock:
			return dialect.KindRetry
		case erQueryTimeout, erStatementTimeout:
			return dialect.KindTimeout
		case erServerShutdown, erConCount:
			return dialect.KindConn
		case erNoSuchTable:
			return dialect.KindNoTable
		}
		return dialect.KindOther
	}
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return dialect.KindTimeout
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, mysql.ErrInvalidConn), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &netErr):
		return dialect.KindConn
	}
	return dialect.KindOther
}
