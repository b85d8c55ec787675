package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"github.com/golang-migrate/migrate/v4/database"
	sqlite "modernc.org/sqlite"

	"github.com/distlock/distlock/dialect"
)

// SQLite's primary result codes that mean "try again": another connection
// holds a lock the statement needs, and the statement did nothing.
const (
	codeBusy   = 5 // SQLITE_BUSY and its extended codes
	codeLocked = 6 // SQLITE_LOCKED and its extended codes
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

func kindOf(err error) dialect.Kind {
	var se *sqlite.Error
	switch {
	case errors.As(err, &se):
		switch se.Code() & 0xff {
		case codeBusy, codeLocked:
			return dialect.KindRetry
		}
		return dialect.KindOther
	case errors.Is(err, context.DeadlineExceeded):
		return dialect.KindTimeout
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		return dialect.KindConn
	}
	return dialect.KindOther
}
