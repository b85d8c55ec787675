package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/go-sql-driver/mysql"

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

// Server error numbers.
const (
	erLockWaitTimeout  = 1205 // the statement was rolled back
	erLockDeadlock     = 1213 // the transaction was rolled back
	erQueryTimeout     = 3024 // MAX_EXECUTION_TIME exceeded (MySQL)
	erStatementTimeout = 1969 // max_statement_time exceeded (MariaDB)
	erServerShutdown   = 1053
	erConCount         = 1040 // too many connections
	erNoSuchTable      = 1146
	// Galera (MariaDB Galera Cluster, Percona XtraDB Cluster).
	erUnknownCom     = 1047 // "WSREP has not yet prepared node for application use"
	erErrorDuringCom = 1180 // "… (provider status: Not connected to Primary Component)"
	// TiDB: the statement (an autocommit transaction) was rolled back,
	// and running it again is how TiDB means it to be handled.
	erTiDBWriteConflict = 9007 // optimistic commit lost to a concurrent write ("try again later")
	erTiDBCantRetry     = 8002 // "can not retry select for update statement"
	erTiDBRetryable     = 8022 // "KV error safe to retry"
	erTiDBSchemaChanged = 8028 // "Information schema is changed during the execution of the statement"
	erLockNowait        = 3572 // a row locked, with NOWAIT (MySQL 8, TiDB; MariaDB says 1205)
)

// unavailable reports whether a MySQL error says that a Galera node
// cannot serve statements now and did not run this one. A node that is
// joining, donating or outside the primary component (its peers are
// unreachable, or it has not rejoined yet) refuses every statement with
// 1047; a statement whose commit could not be replicated because the node
// just lost the primary component fails with 1180 and is rolled back.
// Both pass once the node is back in the primary component, or on another
// node. The messages are fixed English text in the server (not
// translated by lc_messages), and are checked because both numbers have
// other uses: 1047 is also "unknown command" from any server, and 1180 an
// error at commit, such as a transaction too large to replicate, which
// retrying cannot fix.
//
// A certification failure (a conflicting write committed first on another
// node) is 1213, a deadlock, which is KindRetry already: the transaction
// was rolled back. So is 1205 for a causal read (wsrep_sync_wait) that
// timed out: the statement did not run.
func unavailable(e *mysql.MySQLError) bool {
	switch e.Number {
	case erUnknownCom:
		return strings.Contains(e.Message, "WSREP")
	case erErrorDuringCom:
		return strings.Contains(e.Message, "Not connected to Primary Component")
	}
	return false
}

func kindOf(err error) dialect.Kind {
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		switch myErr.Number {
		case erLockWaitTimeout, erLockDeadlock,
			erTiDBWriteConflict, erTiDBCantRetry, erTiDBRetryable, erTiDBSchemaChanged, erLockNowait:
			return dialect.KindRetry
		case erQueryTimeout, erStatementTimeout:
			return dialect.KindTimeout
		case erServerShutdown, erConCount:
			return dialect.KindConn
		case erNoSuchTable:
			return dialect.KindNoTable
		}
		if unavailable(myErr) {
			return dialect.KindUnavailable
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
