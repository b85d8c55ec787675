// Package target opens the databases the benchmarks run on: PostgreSQL and
// MariaDB/MySQL from the URLs in DISTLOCK_BENCH_POSTGRES_URL and
// DISTLOCK_BENCH_MYSQL_URL, SQLite in a file of its own.
package target

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/dialect/mysql"
	"github.com/distlock/distlock/dialect/postgres"
	"github.com/distlock/distlock/dialect/sqlite"
	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/dsn"
)

// Database names, as dialect.Dialect.Name returns them.
const (
	Postgres = "postgres"
	MySQL    = "mysql"
	SQLite   = "sqlite"
)

// All lists the databases in the order reports show them.
var All = []string{Postgres, MySQL, SQLite}

// Environment variables holding the server URLs.
const (
	EnvPostgres = "DISTLOCK_BENCH_POSTGRES_URL"
	EnvMySQL    = "DISTLOCK_BENCH_MYSQL_URL"
)

// PoolSize is the connection pool of every *sql.DB the benchmarks open, so
// that 32 goroutines never wait for a connection nor reconnect (the
// database/sql default keeps only 2 idle connections).
const PoolSize = 40

// ErrNoURL means the database's URL is not set: its benchmarks are skipped.
var ErrNoURL = errors.New("URL not set")

// Target is one open database.
type Target struct {
	Name    string // Postgres, MySQL or SQLite
	DB      *sql.DB
	Dialect dialect.Dialect
	// URL opens the same database again, in this or another process
	// ("sqlite:PATH" for SQLite). It may hold a password: never print it.
	URL string
	// Path is the SQLite file; "" for servers.
	Path string
}

// URLFromEnv returns the URL of a server database from its environment
// variable, or ErrNoURL. getenv is os.Getenv or a stand-in.
func URLFromEnv(name string, getenv func(string) string) (string, error) {
	env := map[string]string{Postgres: EnvPostgres, MySQL: EnvMySQL}[name]
	if env == "" {
		return "", fmt.Errorf("target: no URL variable for %q", name)
	}
	if u := getenv(env); u != "" {
		return u, nil
	}
	return "", fmt.Errorf("%s: %w (set %s)", name, ErrNoURL, env)
}

// NewSQLite makes a fresh SQLite database file in dir.
func NewSQLite(dir string) (*Target, error) {
	path := filepath.Join(dir, "bench.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("target: %w", err)
		}
	}
	return Open(SQLite, "sqlite:"+path)
}

// Open opens the database of kind name at url. SQLite is opened with
// sqlite.Open (WAL, busy timeout); servers with sql.Open on the driver and
// data source name that dsn.Parse gives. Open does not connect.
func Open(name, url string) (*Target, error) {
	d, err := dsn.Parse(url)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", name, err)
	}
	if d.Dialect != name {
		return nil, fmt.Errorf("target %s: the URL is for %s", name, d.Dialect)
	}
	t := &Target{Name: name, URL: url, Path: d.Path}
	switch name {
	case SQLite:
		t.Dialect = sqlite.Dialect()
		t.DB, err = sqlite.Open(d.Path)
	case Postgres:
		t.Dialect = postgres.Dialect()
		t.DB, err = sql.Open(d.DriverName, d.DriverDSN)
	case MySQL:
		t.Dialect = mysql.Dialect()
		t.DB, err = sql.Open(d.DriverName, d.DriverDSN)
	default:
		return nil, fmt.Errorf("target: unknown database %q", name)
	}
	if err != nil {
		return nil, fmt.Errorf("target %s: %s", name, d.Scrub(err.Error()))
	}
	t.DB.SetMaxOpenConns(PoolSize)
	t.DB.SetMaxIdleConns(PoolSize)
	return t, nil
}

// Close closes the database.
func (t *Target) Close() error { return t.DB.Close() }

// Module returns a migrated distlock Module keeping its locks in table.
// The caller closes it.
func (t *Target) Module(ctx context.Context, table string, cfg distlock.Config) (*distlock.Module, error) {
	cfg.Table = table
	m, err := distlock.New(t.DB, t.Dialect, cfg)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", t.Name, err)
	}
	if err := m.Migrate(ctx); err != nil {
		m.Close()
		return nil, fmt.Errorf("target %s: migrate %s: %w", t.Name, table, err)
	}
	return m, nil
}

// Ping checks that the database answers.
func (t *Target) Ping(ctx context.Context) error {
	if err := t.DB.PingContext(ctx); err != nil {
		return fmt.Errorf("target %s: %w", t.Name, err)
	}
	return nil
}
