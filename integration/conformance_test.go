package integration

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/distlock/distlock/dialect/dialecttest"
	"github.com/distlock/distlock/internal/skips"
)

// The conformance suite, unchanged, against the real servers (SQLite runs
// it in dialect/sqlite).
func TestConformancePostgres(t *testing.T) { runConformance(t, "postgres") }
func TestConformanceMySQL(t *testing.T)    { runConformance(t, "mysql") }

// The suite on TiDB, when $DISTLOCK_TEST_TIDB_URL names one (TiDB is not
// packaged for this machine: without it the test skips, even with
// DISTLOCK_REQUIRE_DB=1).
func TestConformanceTiDB(t *testing.T) {
	t.Parallel()
	tg := tidbTarget(t)
	dialecttest.Run(t, dialecttest.Harness{Dialect: tg.Dialect, DriverName: tg.DriverName, DSN: func(*testing.T) string { return tg.DSN }})
}

func runConformance(t *testing.T, name string) {
	t.Parallel()
	tg := serverTarget(t, name)
	dialecttest.Run(t, dialecttest.Harness{
		Dialect:    tg.Dialect,
		DriverName: tg.DriverName,
		DSN:        func(*testing.T) string { return tg.DSN },
	})
}

// The suite again on MariaDB with SIMULTANEOUS_ASSIGNMENT in sql_mode, under
// which an UPDATE's assignments all read the row as it was (the MySQL
// dialect's UPDATE form of acquire relies on left-to-right assignment, so
// the Store must notice and keep to its INSERT form).
func TestConformanceMariaDBSimultaneousAssignment(t *testing.T) {
	t.Parallel()
	tg := serverTarget(t, "mysql")
	db, err := sql.Open(tg.DriverName, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	var version string
	err = db.QueryRowContext(t.Context(), "SELECT VERSION()").Scan(&version)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.ToLower(version), "mariadb") {
		skips.Skip(t, version+" is not MariaDB: no SIMULTANEOUS_ASSIGNMENT")
	}
	dsn := withParam(tg.DSN, "sql_mode=CONCAT(@@sql_mode,%27,SIMULTANEOUS_ASSIGNMENT%27)")
	dialecttest.Run(t, dialecttest.Harness{
		Dialect:    tg.Dialect,
		DriverName: tg.DriverName,
		DSN:        func(*testing.T) string { return dsn },
	})
}
