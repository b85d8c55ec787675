package dsn

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
)

// Open parses s and opens its database with the right driver, returning
// the dialect to hand to distlock.New. Like sql.Open it does not connect:
// the first statement does. The caller owns the *sql.DB and closes it.
func Open(s string) (*sql.DB, dialect.Dialect, error) {
	d, err := Parse(s)
	if err != nil {
		return nil, nil, err
	}
	return d.Open()
}

// Open opens the database d names; see the function Open.
func (d DSN) Open() (*sql.DB, dialect.Dialect, error) {
	dia, err := dialectFor(d.Dialect)
	if err != nil {
		return nil, nil, err
	}
	db, err := sql.Open(d.DriverName, d.DriverDSN)
	if err != nil {
		// database/sql's errors name the driver, never the DSN; Scrub
		// anyway, in case a driver's does.
		return nil, nil, fmt.Errorf("dsn: open %s: %s", d.Target(), d.Scrub(err.Error()))
	}
	return db, dia, nil
}

// Module is a distlock.Module together with the database it runs on, as
// opened by OpenModule. Its Close closes both.
type Module struct {
	*distlock.Module
	// DB is the database the Module runs on; Module.Close closes it.
	DB *sql.DB
	// DSN is the parsed connection string, for messages (DSN.Target,
	// DSN.Scrub).
	DSN DSN
}

// OpenModule opens the database named by s and returns a distlock Module
// on it, configured by cfg. It does not connect and does not migrate:
// call Migrate to create the table.
func OpenModule(s string, cfg distlock.Config) (*Module, error) {
	d, err := Parse(s)
	if err != nil {
		return nil, err
	}
	return d.OpenModule(cfg)
}

// OpenModule opens the database d names and returns a distlock Module on
// it; see the function OpenModule.
func (d DSN) OpenModule(cfg distlock.Config) (*Module, error) {
	db, dia, err := d.Open()
	if err != nil {
		return nil, err
	}
	mod, err := distlock.New(db, dia, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Module{Module: mod, DB: db, DSN: d}, nil
}

// Close closes the Module (stopping its background work, see
// distlock.Module.Close) and then its database.
func (m *Module) Close() error {
	return errors.Join(m.Module.Close(), m.DB.Close())
}
