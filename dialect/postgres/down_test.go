package postgres_test

import (
	"testing"

	"github.com/distlock/distlock/dialect/dialecttest"
	"github.com/distlock/distlock/dialect/postgres"
)

func TestServerDown(t *testing.T) {
	t.Parallel()
	dialecttest.ServerDown(t, postgres.Dialect(), postgres.DriverName,
		"postgres://app:s3cretpw@127.0.0.1:1/app?connect_timeout=2", "127.0.0.1", "s3cretpw")
}
