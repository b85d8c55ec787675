package integration

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/mysql"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	_ "github.com/golang-migrate/migrate/v4/database/sqlite"
	_ "github.com/golang-migrate/migrate/v4/source/file"

	"github.com/distlock/distlock/distlock"
)

// The files under migrations/ work as they are with golang-migrate's own
// URL-based tooling (what the migrate CLI runs), and a Module then finds
// its table up to date.
func TestPlainMigrationFiles(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var tg target
			var dbURL string
			switch name {
			case "sqlite":
				path := filepath.Join(t.TempDir(), "plain.db")
				tg = sqliteTarget(t)
				tg.DSN = "file:" + path
				dbURL = "sqlite://" + path
			case "postgres":
				tg = serverTarget(t, name)
				tg.DSN, dbURL = pgSchema(t, tg)
			case "mysql":
				tg = serverTarget(t, name)
				tg.DSN, dbURL = mysqlDatabase(t, tg)
			}
			m, err := migrate.New("file://../migrations/"+name, dbURL+"x-migrations-table=distlock_schema_migrations")
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Up(); err != nil {
				t.Fatalf("migrate up with the plain files: %v", err)
			}
			m.Close()

			db, err := sql.Open(tg.DriverName, tg.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			mod, err := distlock.New(db, tg.Dialect, distlock.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer mod.Close()
			if err := mod.Migrate(t.Context()); err != nil {
				t.Fatalf("Module.Migrate after the migrate tool: %v", err)
			}
			tok, err := mod.TryAcquire(t.Context(), "plain")
			if err != nil {
				t.Fatal(err)
			}
			if err := mod.Release(t.Context(), "plain", tok); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func randomName(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// pgSchema creates a schema of its own for the default table names, and
// returns the DSN and golang-migrate URL (with a trailing '&') that use it.
func pgSchema(t *testing.T, tg target) (dsn, migrateURL string) {
	t.Helper()
	schema := randomName("plain_")
	db, err := sql.Open(tg.DriverName, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		skipOrFail(t, "cannot create a schema: %v", err)
	}
	t.Cleanup(func() {
		db, _ := sql.Open(tg.DriverName, tg.DSN)
		defer db.Close()
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(tg.DSN)
	if err != nil {
		t.Fatalf("the PostgreSQL DSN is not a URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	dsn = u.String()
	u.Scheme = "pgx5"
	return dsn, u.String() + "&"
}

// mysqlDatabase creates a database of its own for the default table names.
func mysqlDatabase(t *testing.T, tg target) (dsn, migrateURL string) {
	t.Helper()
	name := randomName("plain_")
	db, err := sql.Open(tg.DriverName, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		skipOrFail(t, "cannot create a database: %v", err)
	}
	t.Cleanup(func() {
		db, _ := sql.Open(tg.DriverName, tg.DSN)
		defer db.Close()
		db.Exec("DROP DATABASE " + name)
	})
	cfg, err := mysql.ParseDSN(tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = name
	dsn = cfg.FormatDSN()
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn, fmt.Sprintf("mysql://%s%s", dsn, sep)
}
