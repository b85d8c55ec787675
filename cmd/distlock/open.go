package main

import (
	"context"
	"fmt"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/dsn"
	"github.com/distlock/distlock/internal/cli"
)

// open opens the lock table for a command: the database from --dsn,
// $DISTLOCK_DSN, $DATABASE_URL or the default SQLite file, and a Module
// configured by cfg and the global flags (which win). On SQLite it creates or upgrades the table, which is
// cheap and idempotent; on servers that is "distlock migrate"'s job.
func (a *app) open(ctx context.Context, cl *cmdline, cfg distlock.Config) (*dsn.Module, error) {
	if cl.g.table != "" {
		if err := dialect.ValidTable(cl.g.table); err != nil {
			return nil, usagef(cl.cmd.name, "%s", err)
		}
	}
	s, err := dsn.Lookup(string(cl.g.dsn), a.getenv)
	if err != nil {
		return nil, err
	}
	d, err := dsn.Parse(s)
	if err != nil {
		return nil, usagef(cl.cmd.name, "%s%s", cli.OneLine(err), a.dsnSource(cl))
	}
	a.db = &d
	if cl.cmd.existing {
		if err := d.Existing(); err != nil {
			return nil, fmt.Errorf("%w (is the path right? acquire and run create it)", err)
		}
	}
	if cl.g.owner != "" {
		cfg.Owner = cl.g.owner
	}
	cfg.MaxTime = timeOf(cl.g.maxTime)
	cfg.Table = cl.g.table
	cfg.Logger = a.logger(&cl.g)
	if cfg.Logger != nil {
		driverLog.Store(cfg.Logger)
	}
	m, err := d.OpenModule(cfg)
	if err != nil {
		return nil, err
	}
	a.table = m.Config().Table
	switch {
	case d.Dialect == dsn.SQLite && cl.cmd.name != "migrate":
		if err := m.Migrate(ctx); err != nil {
			m.Close()
			return nil, fmt.Errorf("creating the lock table: %w", err)
		}
	case d.Dialect != dsn.SQLite:
		// Fail at once on a server that cannot be reached, rather than
		// have a waiting acquire retry it silently, forever.
		pctx, cancel := context.WithTimeout(ctx, pingTimeout)
		err := m.DB.PingContext(pctx)
		cancel()
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("connecting: %w", err)
		}
	}
	return m, nil
}

// dsnSource names where the connection string came from when it was not
// the command line: " (from $DATABASE_URL)", for an error about it.
func (a *app) dsnSource(cl *cmdline) string {
	if cl.g.dsn != "" {
		return ""
	}
	for _, env := range []string{dsn.EnvDSN, dsn.EnvDatabaseURL} {
		if a.getenv(env) != "" {
			return " (from $" + env + ")"
		}
	}
	return ""
}

// pingTimeout bounds the first connection to a server.
const pingTimeout = 30 * time.Second
