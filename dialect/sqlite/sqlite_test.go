package sqlite_test

import (
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/distlock/distlock/dialect/dialecttest"
	"github.com/distlock/distlock/dialect/sqlite"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	dialecttest.Run(t, dialecttest.Harness{
		Dialect:    sqlite.Dialect(),
		DriverName: sqlite.DriverName,
		DSN: func(t *testing.T) string {
			return sqlite.DSN(filepath.Join(t.TempDir(), "locks.db"))
		},
	})
}
