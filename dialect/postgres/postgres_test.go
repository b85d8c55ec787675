package postgres_test

import (
	"os"
	"testing"

	"github.com/distlock/distlock/dialect/dialecttest"
	"github.com/distlock/distlock/dialect/postgres"
)

func TestConformance(t *testing.T) {
	dsn := os.Getenv("DISTLOCK_TEST_POSTGRES_URL")
	if dsn == "" {
		t.Skip("DISTLOCK_TEST_POSTGRES_URL not set")
	}
	dialecttest.Run(t, dialecttest.Harness{
		Dialect:    postgres.Dialect(),
		DriverName: postgres.DriverName,
		DSN:        func(*testing.T) string { return dsn },
	})
}
