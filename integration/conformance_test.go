package integration

import (
	"testing"

	"github.com/distlock/distlock/dialect/dialecttest"
)

// The conformance suite, unchanged, against the real servers (SQLite runs
// it in dialect/sqlite).
func TestConformancePostgres(t *testing.T) { runConformance(t, "postgres") }
func TestConformanceMySQL(t *testing.T)    { runConformance(t, "mysql") }

func runConformance(t *testing.T, name string) {
	t.Parallel()
	tg := serverTarget(t, name)
	dialecttest.Run(t, dialecttest.Harness{
		Dialect:    tg.Dialect,
		DriverName: tg.DriverName,
		DSN:        func(*testing.T) string { return tg.DSN },
	})
}
