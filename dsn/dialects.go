package dsn

import (
	"fmt"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/dialect/mysql"
	"github.com/distlock/distlock/dialect/postgres"
	"github.com/distlock/distlock/dialect/sqlite"
)

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
	return nil, fmt.Errorf("dsn: unknown dialect %q", name)
}
