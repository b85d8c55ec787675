package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"

	"github.com/go-sql-driver/mysql"
	"github.com/golang-migrate/migrate/v4/database"

	"github.com/distlock/distlock/dialect"
)

// classify maps a driver error to a dialect.Error kind.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var me database.Error // golang-migrate's error, which has no Unwrap
	if errors.As(err, &me) && me.OrigErr != nil {
		return dialect.Classify(kindOf(me.OrigErr), err)
	}
	return dialect.Classify(kindOf(err), err)
}

// Server error numbers.
const (
	erLockWaitTimeout  = 1205 // the statement was rolled back
	erLockDeadlock     = 1213 // the transaction was rolled back
	erQueryTimeout     = 3024 // MAX_EXECUTION_TIME exceeded (MySQL)
	erStatementTimeout = 1969 // max_statement_time exceeded (MariaDB)
	erServerShutdown   = 1053
	erConCount         = 1040 // too many connections
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
