package integration

import (
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect/mysql"
	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/dsn"
)

// go-sql-driver sends a DSN parameter it does not know as SET on every
// new connection: timestamp=1000000000 freezes the session's
// UTC_TIMESTAMP, and its locks would expire at once for everyone else.
// The dsn package refuses such a DSN; a pool the caller opened with one
// is refused by the dialect, before any lock statement runs.
func TestMySQLSessionClockFixed(t *testing.T) {
	t.Parallel()
	tg := serverTarget(t, "mysql")
	if url := os.Getenv("DISTLOCK_TEST_MYSQL_URL"); url != "" {
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		if _, err := dsn.Parse(url + sep + "timestamp=1000000000"); err == nil || !strings.Contains(err.Error(), "clock") {
			t.Errorf("dsn.Parse with timestamp=: %v, want an error about the session's clock", err)
		}
	}
	h, mod := setup(t, tg, distlock.Config{MaxTime: time.Minute})

	db, err := sql.Open(tg.DriverName, tg.DSN+"&timestamp=1000000000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var now time.Time
	if err := db.QueryRowContext(t.Context(), "SELECT UTC_TIMESTAMP()").Scan(&now); err != nil {
		t.Fatal(err)
	}
	if now.Year() != 2001 {
		t.Fatalf("the driver did not fix the session's clock (UTC_TIMESTAMP %v): the test shows nothing", now)
	}
	frozen, err := distlock.New(db, tg.Dialect, distlock.Config{Table: h.table, MaxTime: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer frozen.Close()
	if _, err := frozen.TryAcquire(t.Context(), h.name); !errors.Is(err, mysql.ErrSessionClock) {
		t.Fatalf("TryAcquire with a fixed session clock: %v, want ErrSessionClock", err)
	}
	if err := frozen.Migrate(t.Context()); !errors.Is(err, mysql.ErrSessionClock) {
		t.Fatalf("Migrate with a fixed session clock: %v, want ErrSessionClock", err)
	}
	// Nothing was written: the lock is free for everyone else.
	if _, err := mod.Inspect(t.Context(), h.name); !errors.Is(err, distlock.ErrNotHeld) {
		t.Fatalf("after the refused acquire: %v, want ErrNotHeld", err)
	}
}
