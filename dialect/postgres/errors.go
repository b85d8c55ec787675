package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/distlock/distlock/dialect"
)

// classify maps a driver error, wrapped or not, to a dialect.Error kind;
// nil stays nil.
func classify(err error) error {
	if err == nil {
		return nil
	}
	return dialect.Classify(kindOf(err), err)
}

func kindOf(err error) dialect.Kind {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "40001", // serialization_failure
			pgErr.Code == "40P01", // deadlock_detected
			pgErr.Code == "55P03": // lock_not_available (lock_timeout)
			return dialect.KindRetry
		case pgErr.Code == "57014": // query_canceled (statement_timeout)
			return dialect.KindTimeout
		case pgErr.Code == "42P01": // undefined_table
			return dialect.KindNoTable
		case pgErr.Code == "42P05", // duplicate_prepared_statement
			pgErr.Code == "26000": // invalid_sql_statement_name
			// A named statement that a pooler's shared server connection
			// already has, or lacks: the Parse or Bind was refused, so
			// the statement did not run (see pooler.go).
			return dialect.KindRetry
		case pgErr.Code == "08P01": // protocol_violation
			if strings.EqualFold(pgErr.Severity, "FATAL") {
				// The session is over: PgBouncer says so when it loses
				// the server connection under a statement ("server conn
				// crashed?"), which may have run.
				return dialect.KindConn
			}
			// The server refused a message it could not make sense of
			// (e.g. a Bind for an unnamed statement that a pooler's other
			// server connection prepared). It answered, and the session
			// goes on: no connection failure, and nothing says that
			// retrying helps.
			return dialect.KindOther
		case pgErr.Code == "25006", // read_only_sql_transaction: a standby or a demoted primary
			pgErr.Code == "57P03": // cannot_connect_now: starting up, shutting down, in recovery
			// Refused before the statement ran.
			return dialect.KindUnavailable
		case strings.HasPrefix(pgErr.Code, "08"), // connection_exception
			// The server ended the session, perhaps mid-statement or
			// after a commit whose reply was lost: outcome unknown.
			pgErr.Code == "57P01", // admin_shutdown
			pgErr.Code == "57P02": // crash_shutdown
			return dialect.KindConn
		}
		return dialect.KindOther
	}
	if errors.Is(err, pgconn.ErrReadOnlyConnection) || errors.Is(err, pgconn.ErrStandbyConnection) {
		// target_session_attrs found no host that takes writes (the
		// primary is down, the standby not yet promoted): nothing was sent.
		return dialect.KindUnavailable
	}
	var netErr net.Error
	switch {
	case pgconn.SafeToRetry(err):
		return dialect.KindRetry // never reached the server
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return dialect.KindTimeout
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &netErr):
		return dialect.KindConn
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return dialect.KindConn
	}
	return dialect.KindOther
}
