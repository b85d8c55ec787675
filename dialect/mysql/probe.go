package mysql

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/distlock/distlock/dialect"
)

// ErrSessionClock is returned (wrapped in a dialect.Error of KindOther)
// when the session's clock is not the server's: @@timestamp was set on
// the connection, for instance by a DSN parameter timestamp=…, which
// go-sql-driver sends as SET timestamp = … on every new connection. Such a
// session's UTC_TIMESTAMP() stands still, so the locks it takes would
// expire at once for everyone else, or never.
var ErrSessionClock = errors.New("mysql: the session's clock is fixed (@@timestamp is set, e.g. by a timestamp= DSN parameter); distlock needs the server's own clock")

// maxClockSkew is how far @@session.timestamp may be from SYSDATE (which
// SET timestamp does not move) before the session's clock counts as
// fixed: far more than a statement takes, far less than any useful fake.
const maxClockSkew = 5.0 // seconds

// Server kinds found by probe.
const (
	serverUnknown int32 = iota // not probed yet, or the probe failed
	serverPlain                // MySQL or MariaDB, no Galera
	serverGalera               // a MariaDB Galera Cluster node
	serverTiDB                 // TiDB (see tidb.go)
)

// probeQueries run once per Store, on its first statement.
const (
	probeClock = "SELECT @@session.timestamp - UNIX_TIMESTAMP(SYSDATE(6))"
	probeVars  = "SHOW VARIABLES WHERE Variable_name IN ('version', 'wsrep_on', 'wsrep_provider', 'sql_mode')"
)

// prober finds, once, what kind of server a Store talks to. Until a probe
// succeeds every statement probes first; afterwards the cost is an atomic
// load.
type prober struct {
	kind atomic.Int32
	// insertOnly is set when acquisitions must keep to the INSERT form
	// (statements.acquire), never the UPDATE of a known row
	// (statements.acquireRow), whose marker needs an UPDATE's assignments
	// to see the ones before them: not under MariaDB's
	// SIMULTANEOUS_ASSIGNMENT sql_mode, and not verified on TiDB (see
	// tidb.go). It is set before kind.
	insertOnly atomic.Bool
}

// statements returns the SQL to use on this server: the plain statements,
// or on Galera the ones that ask for causal reads (see galeraStatements).
// The first call probes the server (two statements, once per Store): it
// fails with ErrSessionClock if the session's clock is fixed, and finds
// out whether the server is a Galera node. On MySQL and MariaDB without
// Galera the statements are the plain ones, unchanged.
func (s *store) statements(ctx context.Context) (*statements, error) {
	switch s.probe.kind.Load() {
	case serverPlain:
		return &s.sql, nil
	case serverGalera:
		return &s.galera, nil
	case serverTiDB:
		return &s.tidb, nil
	}
	kind, simultaneous, err := s.probeServer(ctx)
	if err != nil {
		return nil, err
	}
	if s.forceKind != serverUnknown { // tests: another server's statements here
		kind = s.forceKind
	}
	s.probe.insertOnly.Store(simultaneous || kind == serverTiDB)
	s.probe.kind.Store(kind)
	return s.statements(ctx)
}

// probeServer checks the session's clock, finds the server's kind, and
// whether the session's sql_mode makes assignments simultaneous.
//
// The clock check catches a *sql.DB whose DSN sets timestamp=… (the dsn
// package refuses such DSNs; a pool opened by the caller is checked here).
// DSN parameters apply to every connection of a pool, so checking one
// connection checks them all; a SET timestamp run by hand on a single
// connection of the pool is not caught, as that would cost a check on
// every statement.
func (s *store) probeServer(ctx context.Context) (kind int32, simultaneous bool, err error) {
	var skew float64
	if err := s.db.QueryRowContext(ctx, probeClock).Scan(&skew); err != nil {
		return serverUnknown, false, classify(err)
	}
	if skew > maxClockSkew || skew < -maxClockSkew {
		return serverUnknown, false, dialect.Classify(dialect.KindOther,
			fmt.Errorf("%w: it is %.0f s away from the server's", ErrSessionClock, skew))
	}
	rows, err := s.db.QueryContext(ctx, probeVars)
	if err != nil {
		return serverUnknown, false, classify(err)
	}
	vars := map[string]string{}
	err = dialect.EachRow(rows, func(sc dialect.Scanner) error {
		var name, value string
		if err := sc.Scan(&name, &value); err != nil {
			return err
		}
		vars[strings.ToLower(name)] = value
		return nil
	})
	if err != nil {
		return serverUnknown, false, classify(err)
	}
	return serverKind(vars), assignsSimultaneously(vars), nil
}

// assignsSimultaneously reports whether the session's sql_mode makes an
// UPDATE's assignments simultaneous (MariaDB's SIMULTANEOUS_ASSIGNMENT).
func assignsSimultaneously(vars map[string]string) bool {
	for mode := range strings.SplitSeq(vars["sql_mode"], ",") {
		if strings.EqualFold(strings.TrimSpace(mode), "SIMULTANEOUS_ASSIGNMENT") {
			return true
		}
	}
	return false
}

// serverKind tells TiDB (its version says so, e.g.
// 8.0.11-TiDB-v8.5.6) and a MariaDB Galera node (replicating: wsrep_on
// with a provider loaded) from any other server. Percona XtraDB Cluster and
// MySQL-wsrep have no SET STATEMENT: they count as plain servers, and
// need wsrep_sync_wait set on the server or in the DSN (see the package
// documentation).
func serverKind(vars map[string]string) int32 {
	if strings.Contains(vars["version"], "TiDB") {
		return serverTiDB
	}
	on := strings.EqualFold(vars["wsrep_on"], "ON") || vars["wsrep_on"] == "1"
	provider := vars["wsrep_provider"]
	if on && provider != "" && !strings.EqualFold(provider, "none") &&
		strings.Contains(strings.ToLower(vars["version"]), "mariadb") {
		return serverGalera
	}
	return serverPlain
}
