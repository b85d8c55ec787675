package integration

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"

	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/migrations"
)

// A MySQL Migrate waiting for the migration lock that the migrate CLI
// (golang-migrate's MySQL driver) holds returns soon after its ctx ends,
// with an error matching ctx.Err(), and runs once the lock is free,
// leaving a version the CLI reads and the lock free. golang-migrate's own
// driver, which distlock used before, waited for GET_LOCK up to 10 s
// whatever the ctx.
func TestMySQLMigrateHonoursContext(t *testing.T) {
	t.Parallel()
	tg := serverTarget(t, "mysql")
	dsn, cliURL := mysqlDatabase(t, tg)
	cliURL += "x-migrations-table=" + migrations.VersionTable("distlock")
	mod, err := distlock.New(openDB(t, tg.DriverName, dsn), tg.Dialect, distlock.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close()

	// Hold the CLI driver's lock, as a running `migrate up` does.
	drv, err := database.Open(cliURL)
	if err != nil {
		t.Fatal(err)
	}
	defer drv.Close()
	if err := drv.Lock(); err != nil {
		t.Fatal(err)
	}
	migrateEndsWithCtx(t, mod, 300*time.Millisecond, time.Second)
	if err := drv.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := mod.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate once the lock is free: %v", err)
	}

	// The lock is golang-migrate's, and free again.
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	name, _ := database.GenerateAdvisoryLockId(cfg.DBName + ":" + migrations.VersionTable("distlock"))
	var free int
	if err := openDB(t, tg.DriverName, dsn).QueryRowContext(t.Context(), "SELECT IS_FREE_LOCK(?)", name).Scan(&free); err != nil {
		t.Fatal(err)
	}
	if free != 1 {
		t.Errorf("the migration lock %s is still held after Migrate", name)
	}
	m, err := migrate.New("file://../migrations/mysql", cliURL)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	version, dirty, err := m.Version()
	ups, uerr := migrations.Ups("mysql", "distlock")
	if uerr != nil {
		t.Fatal(uerr)
	}
	if last := ups[len(ups)-1].Version; err != nil || dirty || int64(version) != last {
		t.Fatalf("the migrate tool reads version %d, dirty %v, %v; want %d, clean", version, dirty, err, last)
	}
	if err := m.Up(); !errors.Is(err, migrate.ErrNoChange) {
		t.Fatalf("the migrate tool after Module.Migrate: %v, want no change", err)
	}
}

// migrations.AdvisoryLockID is golang-migrate's GenerateAdvisoryLockId,
// which names the lock the migrate CLI takes.
func TestAdvisoryLockIDIsGolangMigrates(t *testing.T) {
	t.Parallel()
	for i := range 200 {
		db := randomName(fmt.Sprintf("db%d_", i))
		for _, more := range [][]string{nil, {"public", db + "_schema_migrations"}, {"s", "t", "u"}} {
			want, err := database.GenerateAdvisoryLockId(db, more...)
			if err != nil {
				t.Fatal(err)
			}
			if got := strconv.FormatUint(uint64(migrations.AdvisoryLockID(db, more...)), 10); got != want {
				t.Fatalf("AdvisoryLockID(%q, %q) = %s, golang-migrate's %s", db, more, got, want)
			}
		}
	}
}
