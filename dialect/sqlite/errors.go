package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"

	sqlite "modernc.org/sqlite"

	"github.com/distlock/distlock/dialect"
)

// SQLite's primary result codes that mean "try again": another connection
// holds a lock the statement needs, and the statement did nothing.
const (
	codeError  = 1 // SQLITE_ERROR: SQL errors, a missing table among them
	codeBusy   = 5 // SQLITE_BUSY and its extended codes
	codeLocked = 6 // SQLITE_LOCKED and its extended codes
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
	var se *sqlite.Error
	switch {
	case errors.As(err, &se):
		switch se.Code() & 0xff {
		case codeBusy, codeLocked:
			return dialect.KindRetry
		case codeError:
			if strings.Contains(se.Error(), "no such table") {
				return dialect.KindNoTable
			}
		}
		return dialect.KindOther
	case errors.Is(err, context.DeadlineExceeded):
		return dialect.KindTimeout
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		return dialect.KindConn
	}
	return dialect.KindOther
}
