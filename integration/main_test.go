// Package integration tests distlock against real PostgreSQL and
// MySQL/MariaDB servers and across separate OS processes. It is its own
// module so that testcontainers-go stays out of the library's
// dependencies.
//
// Databases come from DISTLOCK_TEST_POSTGRES_URL and
// DISTLOCK_TEST_MYSQL_URL (distlock DSNs: postgres://…, mysql://…); when
// unset, containers are started with testcontainers-go; without Docker the
// tests skip, unless DISTLOCK_REQUIRE_DB=1.
package integration

import (
	"io"
	"log"
	"os"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
)

func TestMain(m *testing.M) {
	// go-sql-driver logs dropped connections itself; the faults make plenty.
	gomysql.SetLogger(log.New(io.Discard, "", 0))
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	code := m.Run()
	containers.stop()
	os.Exit(code)
}
