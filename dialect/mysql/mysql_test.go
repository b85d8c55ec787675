package mysql_test

import (
	"os"
	"testing"

	"github.com/distlock/distlock/dialect/dialecttest"
	"github.com/distlock/distlock/dialect/mysql"
)

func TestConformance(t *testing.T) {
	dsn := os.Getenv("DISTLOCK_TEST_MYSQL_DSN")
	if dsn == "" {
		t.Skip("DISTLOCK_TEST_MYSQL_DSN not set")
	}
	dialecttest.Run(t, dialecttest.Harness{
		Dialect:    mysql.Dialect(),
		DriverName: mysql.DriverName,
		DSN:        func(*testing.T) string { return dsn },
	})
}
