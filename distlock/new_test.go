package distlock_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/dialect/sqlite"
	"github.com/distlock/distlock/distlock"
)

func openSQLite(t *testing.T) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestNewRejectsNil(t *testing.T) {
	t.Parallel()
	db, _ := openSQLite(t)
	tests := []struct {
		name string
		db   *sql.DB
		d    dialect.Dialect
	}{
		{"nil db", nil, sqlite.Dialect()},
		{"nil dialect", db, nil},
		{"both nil", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := distlock.New(tt.db, tt.d, distlock.Config{})
			if !errors.Is(err, distlock.ErrInvalidConfig) || m != nil {
				t.Fatalf("New = %v, %v; want nil, ErrInvalidConfig", m, err)
			}
		})
	}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	db, _ := openSQLite(t)
	for _, cfg := range []distlock.Config{
		{MaxTime: -1},
		{Table: "Bad"},
		{RetryInterval: -1},
		{VacuumBatch: -1},
	} {
		m, err := distlock.New(db, sqlite.Dialect(), cfg)
		if !errors.Is(err, distlock.ErrInvalidConfig) || m != nil {
			t.Errorf("New(%+v) = %v, %v; want nil, ErrInvalidConfig", cfg, m, err)
		}
	}
}

func TestNewDoesNotTouchOrCloseDB(t *testing.T) {
	t.Parallel()
	db, path := openSQLite(t)
	m, err := distlock.New(db, sqlite.Dialect(), distlock.Config{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if got := m.Config(); got.Table != "distlock" || got.MaxTime != distlock.DefaultMaxTime || got.Logger == nil {
		t.Errorf("Config() = %+v, want defaults filled in", got)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("New touched the database: Stat(%s) = %v", path, err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatalf("the *sql.DB is unusable after Module.Close: %v", err)
	}
}

// TestNewAcceptedTableWorks: a table name that New accepts must work in
// the dialect's SQL, keywords included ("if", "exists" and "set" are
// SQLite keywords; "order", "select" and "table" everyone's).
func TestNewAcceptedTableWorks(t *testing.T) {
	t.Parallel()
	for _, table := range []string{"jobs_lock", "if", "exists", "set", "order", "select", "table"} {
		t.Run(table, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, _ := openSQLite(t)
			m, err := distlock.New(db, sqlite.Dialect(), distlock.Config{Table: table})
			if err != nil { // every one of these is a valid table name
				t.Fatalf("New(Table: %q) = %v", table, err)
			}
			defer m.Close()
			if err := m.Migrate(ctx); err != nil {
				t.Fatalf("New accepted Table %q but Migrate fails: %v", table, err)
			}
			tok, err := m.TryAcquire(ctx, "job")
			if err != nil {
				t.Fatalf("TryAcquire: %v", err)
			}
			if _, err := m.TryAcquire(ctx, "job"); !errors.Is(err, distlock.ErrNotAcquired) {
				t.Fatalf("second TryAcquire = %v, want ErrNotAcquired", err)
			}
			if infos, err := m.List(ctx); err != nil || len(infos) != 1 || infos[0].Name != "job" {
				t.Fatalf("List = %+v, %v; want the one lock", infos, err)
			}
			if err := m.Release(ctx, "job", tok); err != nil {
				t.Fatalf("Release: %v", err)
			}
			if n, err := m.Vacuum(ctx); err != nil || n != 1 {
				t.Fatalf("Vacuum = %d, %v; want 1", n, err)
			}
		})
	}
}
