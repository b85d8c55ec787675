package mysql_test

import (
	"os"
	"testing"

	"github.com/distlock/distlock/dialect/dialecttest"
	"github.com/distlock/distlock/dialect/mysql"
	"github.com/distlock/distlock/dsn"
	"github.com/distlock/distlock/internal/skips"
)

// The statements the Store uses on TiDB (tidb.go: the fence floor read
// as a joined row locked FOR UPDATE, no UPDATE form) keep every promise
// of the conformance suite, run here on MySQL/MariaDB
// ($DISTLOCK_TEST_MYSQL_URL); the integration module runs the suite on a
// real TiDB when $DISTLOCK_TEST_TIDB_URL is set.
func TestConformanceTiDBStatements(t *testing.T) {
	url := os.Getenv("DISTLOCK_TEST_MYSQL_URL")
	if url == "" {
		if os.Getenv("DISTLOCK_REQUIRE_DB") == "1" {
			t.Fatal("$DISTLOCK_TEST_MYSQL_URL is not set; DISTLOCK_REQUIRE_DB=1 makes this a failure")
		}
		skips.Skip(t, "$DISTLOCK_TEST_MYSQL_URL is not set")
	}
	d, err := dsn.Parse(url)
	if err != nil || d.Dialect != dsn.MySQL {
		t.Fatalf("$DISTLOCK_TEST_MYSQL_URL: %v (dialect %q)", err, d.Dialect)
	}
	dialecttest.Run(t, dialecttest.Harness{
		Dialect:    mysql.TiDBStatements(),
		DriverName: d.DriverName,
		DSN:        func(*testing.T) string { return d.DriverDSN },
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	skips.Report()
	os.Exit(code)
}
