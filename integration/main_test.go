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
	"fmt"
	"io"
	"log"
	"os"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
	"go.uber.org/goleak"

	"github.com/distlock/distlock/internal/skips"
)

func TestMain(m *testing.M) {
	// go-sql-driver logs dropped connections itself; the faults make plenty.
	gomysql.SetLogger(log.New(io.Discard, "", 0))
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	code := m.Run()
	if code == 0 && !containers.used() {
		// No goroutine outlives the Modules' Close: listeners, keep-alives
		// and pools are all gone. (testcontainers keeps goroutines of its
		// own, so the check runs only without containers.)
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines leaked:", err)
			code = 1
		}
	}
	containers.stop()
	skips.Report()
	os.Exit(code)
}
