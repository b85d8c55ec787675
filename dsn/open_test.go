package dsn

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

func TestOpenSQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "locks.db")
	db, d, err := Open("sqlite:" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if d.Name() != "sqlite" {
		t.Errorf("dialect %q", d.Name())
	}
	mod, err := distlock.New(db, d, distlock.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close()
	ctx := context.Background()
	if err := mod.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tok, err := mod.TryAcquire(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := mod.Release(ctx, "x", tok); err != nil {
		t.Fatal(err)
	}
}

func TestOpenServers(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]string{"postgres://u:secret@127.0.0.1:1/db": "postgres", "mysql://u:secret@127.0.0.1:1/db": "mysql"} {
		db, d, err := Open(s) // sql.Open does not connect
		if err != nil {
			t.Fatalf("Open(%q): %v", s, err)
		}
		db.Close()
		if d.Name() != want {
			t.Errorf("Open(%q) gave the %s dialect, want %s", s, d.Name(), want)
		}
	}
	if _, err := dialectFor("oracle"); err == nil || err.Error() != `dsn: unknown dialect "oracle"` {
		t.Errorf("dialectFor(oracle) = %v", err)
	}
}

func TestOpenBadDSN(t *testing.T) {
	t.Parallel()
	if _, _, err := Open("redis://h"); err == nil {
		t.Error("Open(redis://h): no error")
	}
	if _, err := OpenModule("nope", distlock.Config{}); err == nil {
		t.Error("OpenModule(nope): no error")
	}
	_, err := OpenModule("sqlite:"+filepath.Join(t.TempDir(), "x.db"), distlock.Config{MaxTime: -time.Second})
	if !errors.Is(err, distlock.ErrInvalidConfig) {
		t.Errorf("OpenModule with a bad Config = %v, want ErrInvalidConfig", err)
	}
}

func TestOpenModule(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "locks.db")
	m, err := OpenModule("sqlite://"+path, distlock.Config{Table: "cli_locks", MaxTime: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if m.DSN.Path != path || m.Config().Table != "cli_locks" {
		t.Errorf("DSN %v, table %q", m.DSN, m.Config().Table)
	}
	ctx := context.Background()
	if err := m.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.TryAcquire(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.DB.Ping(); err == nil {
		t.Error("Close left the database open")
	}
}

func TestDSNOpenModule(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "locks.db")
	d, err := Parse("sqlite:" + path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.OpenModule(distlock.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.DSN.Path != path || m.Config().Table != "distlock" {
		t.Errorf("DSN %v, table %q", m.DSN, m.Config().Table)
	}
	if _, err := d.OpenModule(distlock.Config{Table: "Bad"}); !errors.Is(err, distlock.ErrInvalidConfig) {
		t.Errorf("DSN.OpenModule with a bad Config = %v, want ErrInvalidConfig", err)
	}
}
