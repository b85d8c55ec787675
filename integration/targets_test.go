package integration

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tcmysql "github.com/testcontainers/testcontainers-go/modules/mysql"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/dialect/mysql"
	"github.com/distlock/distlock/dialect/postgres"
	"github.com/distlock/distlock/dialect/sqlite"
	"github.com/distlock/distlock/dsn"
	"github.com/distlock/distlock/internal/skips"
)

// target is one database the tests run against.
type target struct {
	Name       string // "sqlite", "postgres", "mysql"
	Dialect    dialect.Dialect
	DriverName string
	DSN        string // what sql.Open needs
	// Nodes are the DSNs of every node of a cluster (Galera), DSN among
	// them; torture workers spread over them.
	Nodes []string
}

func dialectByName(name string) dialect.Dialect {
	switch name {
	case "postgres":
		return postgres.Dialect()
	case "mysql", "galera", "tidb":
		return mysql.Dialect()
	default:
		return sqlite.Dialect()
	}
}

// sqliteTarget is a fresh SQLite file for one test.
func sqliteTarget(t *testing.T) target {
	return target{Name: "sqlite", Dialect: sqlite.Dialect(), DriverName: sqlite.DriverName,
		DSN: sqlite.DSN(filepath.Join(t.TempDir(), "locks.db"))}
}

// serverTarget returns the PostgreSQL or MySQL database to test against:
// the one named by DISTLOCK_TEST_POSTGRES_URL / DISTLOCK_TEST_MYSQL_URL,
// else a container started with testcontainers-go (once per run), else
// the test is skipped — or fails, when DISTLOCK_REQUIRE_DB=1.
func serverTarget(t *testing.T, name string) target {
	t.Helper()
	env := map[string]string{"postgres": "DISTLOCK_TEST_POSTGRES_URL", "mysql": "DISTLOCK_TEST_MYSQL_URL"}[name]
	url := os.Getenv(env)
	if url == "" {
		var err error
		if url, err = containers.url(name); err != nil {
			skipOrFail(t, "no %s to test against: %s is not set and no container could be started (%v)", name, env, err)
		}
	}
	d, err := dsn.Parse(url)
	if err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	if d.Dialect != name {
		t.Fatalf("%s names a %s database, want %s", env, d.Dialect, name)
	}
	tg := target{Name: name, Dialect: dialectByName(name), DriverName: d.DriverName, DSN: d.DriverDSN}
	containers.ping(t, tg)
	return tg
}

// tidbTarget returns the TiDB named by $DISTLOCK_TEST_TIDB_URL (a
// mysql:// URL), on which the mysql dialect runs. TiDB is not packaged
// for this machine and no container is started for it: without the
// variable the test skips, whatever DISTLOCK_REQUIRE_DB says.
func tidbTarget(t *testing.T) target {
	t.Helper()
	const env = "DISTLOCK_TEST_TIDB_URL"
	url := os.Getenv(env)
	if url == "" {
		skips.Skip(t, "no TiDB to test against: $"+env+" is not set (a mysql:// URL of a tidb-server)")
	}
	d, err := dsn.Parse(url)
	if err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	if d.Dialect != "mysql" {
		t.Fatalf("%s names a %s database, want a mysql:// URL", env, d.Dialect)
	}
	tg := target{Name: "tidb", Dialect: dialectByName("mysql"), DriverName: d.DriverName, DSN: d.DriverDSN}
	db, err := sql.Open(tg.DriverName, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version string
	if err := db.QueryRowContext(t.Context(), "SELECT VERSION()").Scan(&version); err != nil {
		t.Fatalf("%s is unreachable: %v", env, err)
	}
	if !strings.Contains(version, "TiDB") {
		t.Fatalf("%s names a server whose version %q is not TiDB's", env, version)
	}
	return tg
}

// skipOrFail skips the test because the database setup it needs is
// unavailable — or fails it, when DISTLOCK_REQUIRE_DB=1 says that every
// database test must run.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("DISTLOCK_REQUIRE_DB") == "1" {
		t.Fatal(msg + "; DISTLOCK_REQUIRE_DB=1 makes this a failure")
	}
	skips.Skip(t, msg) // listed at the end of make test
}

// containerSet starts each database container at most once per run.
type containerSet struct {
	mu      sync.Mutex
	urls    map[string]string
	errs    map[string]error
	started []testcontainers.Container
	pinged  sync.Map
}

var containers containerSet

func (c *containerSet) url(name string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u, ok := c.urls[name]; ok {
		return u, nil
	}
	if err, ok := c.errs[name]; ok {
		return "", err
	}
	u, err := c.start(name)
	if c.urls == nil {
		c.urls, c.errs = map[string]string{}, map[string]error{}
	}
	if err != nil {
		c.errs[name] = err
		return "", err
	}
	c.urls[name] = u
	return u, nil
}

func (c *containerSet) start(name string) (url string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	provider, err := testcontainers.NewDockerProvider()
	if err != nil {
		return "", err
	}
	defer provider.Close()
	if err := provider.Health(ctx); err != nil {
		return "", fmt.Errorf("docker is not available: %w", err)
	}
	switch name {
	case "postgres":
		ctr, err := tcpostgres.Run(ctx, "postgres:16-alpine", tcpostgres.WithDatabase("distlock_test"),
			tcpostgres.WithUsername("postgres"), tcpostgres.WithPassword("postgres"), tcpostgres.BasicWaitStrategies())
		if err != nil {
			return "", err
		}
		c.started = append(c.started, ctr)
		return ctr.ConnectionString(ctx, "sslmode=disable")
	case "mysql":
		ctr, err := tcmysql.Run(ctx, "mysql:8.0", tcmysql.WithDatabase("distlock_test"),
			tcmysql.WithUsername("root"), tcmysql.WithPassword("distlock"))
		if err != nil {
			return "", err
		}
		c.started = append(c.started, ctr)
		host, err := ctr.Host(ctx)
		if err != nil {
			return "", err
		}
		port, err := ctr.MappedPort(ctx, "3306/tcp")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("mysql://root:distlock@%s:%s/distlock_test", host, port.Port()), nil
	}
	return "", fmt.Errorf("no container for %q", name)
}

// ping fails the test early, with a clear message, if the database named
// by the environment is down.
func (c *containerSet) ping(t *testing.T, tg target) {
	t.Helper()
	if _, ok := c.pinged.Load(tg.Name); ok {
		return
	}
	db, err := sql.Open(tg.DriverName, tg.DSN)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = db.PingContext(ctx)
		cancel()
		db.Close()
	}
	if err != nil {
		t.Fatalf("%s is unreachable: %v", tg.Name, err)
	}
	c.pinged.Store(tg.Name, true)
}

// used reports whether any container was started.
func (c *containerSet) used() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.started) > 0
}

// stop terminates the containers this run started.
func (c *containerSet) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ctr := range c.started {
		testcontainers.TerminateContainer(ctr)
	}
}
