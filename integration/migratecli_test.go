package integration

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/distlock/distlock/distlock"
)

// migrateCLIVersion is the golang-migrate release whose CLI the
// migrations package documents.
const migrateCLIVersion = "v4.20.1"

// docCommand matches a migrate CLI command in the migrations package doc.
var docCommand = regexp.MustCompile(`(?m)^//\tmigrate -path (migrations/(\w+)) -database '([^']+)' up$`)

// The migrate CLI commands that the migrations package documents work
// as written, once their placeholders are filled in: run from the
// repository's root with golang-migrate's own CLI (installed the way
// the doc says), on fresh databases, after which a Module finds its
// table up to date and works; and the other way round, the CLI finds
// nothing to do on a database that distlock's Migrate set up.
func TestMigrateCLICommands(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../migrations/migrations.go")
	if err != nil {
		t.Fatal(err)
	}
	cmds := docCommand.FindAllStringSubmatch(string(doc), -1)
	if len(cmds) != 3 {
		t.Fatalf("found %d migrate commands in the migrations package doc, want one per dialect (3)", len(cmds))
	}
	cli := migrateCLI(t)
	for _, c := range cmds {
		path, name, docURL := c[1], c[2], c[3]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, cliFirst := range []bool{true, false} {
				tg, dbURL := freshDatabase(t, name, docURL)
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
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				defer cancel()
				if !cliFirst {
					if err := mod.Migrate(ctx); err != nil {
						t.Fatalf("Migrate: %v", err)
					}
				}
				cmd := exec.CommandContext(ctx, cli, "-path", path, "-database", dbURL, "up")
				cmd.Dir = ".." // the repository's root, as the doc says
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("migrate -path %s … up: %v\n%s", path, err, out)
				} else if !cliFirst && !strings.Contains(string(out), "no change") {
					t.Errorf("migrate up after Migrate did something: %s", out)
				}
				if err := mod.Migrate(ctx); err != nil {
					t.Fatalf("Migrate after the CLI: %v", err)
				}
				tok, err := mod.TryAcquire(ctx, "migrated")
				if err != nil {
					t.Fatalf("TryAcquire on the CLI's schema: %v", err)
				}
				if info, err := mod.Inspect(ctx, "migrated"); err != nil || info.MaxTime != time.Minute {
					t.Fatalf("Inspect = %+v, %v: want the lock with its lease (the latest schema)", info, err)
				}
				if err := mod.Release(ctx, "migrated", tok); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

var migrateCLIOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "migrate-cli-")
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "install", "-tags", "postgres mysql sqlite",
		"github.com/golang-migrate/migrate/v4/cmd/migrate@"+migrateCLIVersion)
	cmd.Dir = dir // outside any module, as a user installs it
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &exec.ExitError{ProcessState: cmd.ProcessState, Stderr: out}
	}
	return filepath.Join(dir, "migrate"), nil
})

// migrateCLI installs golang-migrate's CLI, with the drivers the doc
// names, once per run.
func migrateCLI(t *testing.T) string {
	t.Helper()
	path, err := migrateCLIOnce()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go install the migrate CLI: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(path)) })
	return path
}

// freshDatabase makes a new, empty database of dialect name (an SQLite
// file, a PostgreSQL or MySQL database dropped after the test) and fills
// in the placeholders of docURL (USER:PASS, HOST, DB, /path/to/locks.db)
// to reach it.
func freshDatabase(t *testing.T, name, docURL string) (target, string) {
	t.Helper()
	if name == "sqlite" {
		tg := sqliteTarget(t)
		path := filepath.Join(t.TempDir(), "cli.db")
		tg.DSN = "file:" + path
		return tg, strings.Replace(docURL, "/path/to/locks.db", path, 1)
	}
	tg := serverTarget(t, name)
	dbName := randomName("cli_")
	admin, err := sql.Open(tg.DriverName, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + dbName); err != nil {
		skipOrFail(t, "cannot create a database: %v", err)
	}
	drop := "DROP DATABASE " + dbName
	if name == "postgres" {
		drop += " WITH (FORCE)"
	}
	t.Cleanup(func() {
		admin, _ := sql.Open(tg.DriverName, tg.DSN)
		defer admin.Close()
		admin.Exec(drop)
	})
	var userHost, placeholder string
	switch name {
	case "postgres":
		u, err := url.Parse(tg.DSN)
		if err != nil {
			t.Fatalf("the PostgreSQL DSN is not a URL: %v", err)
		}
		userHost, placeholder = u.User.String()+"@"+u.Host+"/"+dbName, "USER:PASS@HOST:5432/DB"
		u.Path = "/" + dbName
		tg.DSN = u.String()
	case "mysql":
		cfg, err := mysql.ParseDSN(tg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		user := url.UserPassword(cfg.User, cfg.Passwd).String()
		if cfg.Passwd == "" {
			user = cfg.User
		}
		userHost, placeholder = user+"@tcp("+cfg.Addr+")/"+dbName, "USER:PASS@tcp(HOST:3306)/DB"
		cfg.DBName = dbName
		tg.DSN = cfg.FormatDSN()
	}
	if !strings.Contains(docURL, placeholder) {
		t.Fatalf("the doc's %s URL %q has no %s to fill in", name, docURL, placeholder)
	}
	return tg, strings.Replace(docURL, placeholder, userHost, 1)
}
