package mysql_test

import (
	"testing"

	"github.com/distlock/distlock/dialect/dialecttest"
	"github.com/distlock/distlock/dialect/mysql"
)

func TestServerDown(t *testing.T) {
	t.Parallel()
	dialecttest.ServerDown(t, mysql.Dialect(), mysql.DriverName,
		"app:s3cretpw@tcp(127.0.0.1:1)/app?timeout=2s", "127.0.0.1", "s3cretpw")
}
