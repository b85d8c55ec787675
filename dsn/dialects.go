package dsn

import (
	"errors"
	"fmt"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/dialect/mysql"
	"github.com/distlock/distlock/dialect/postgres"
	"github.com/distlock/distlock/dialect/sqlite"
)

// ErrNotBuiltIn is matched (errors.Is) by the error of Open for a dialect
// that this build of distlock does not include.
var ErrNotBuiltIn = errors.New("not built in yet")

// dialectFor returns the dialect named name ("sqlite", "postgres",
// "mysql"). Importing a dialect's package registers its database/sql
// driver (DSN.DriverName) too.
func dialectFor(name string) (dialect.Dialect, error) {
	switch name {
	case SQLite:
		return sqlite.Dialect(), nil
	case Postgres:
		return postgres.Dialect(), nil
	case MySQL:
		return mysql.Dialect(), nil
	}
	return nil, fmt.Errorf("dsn: the %s dialect is %w", name, ErrNotBuiltIn)
}
