package dialecttest

import (
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
)

// ServerDown checks, with a server that is not running at all, that
// operations fail with a *distlock.DBError classified as a connection
// error whose message names host and never contains password. dsn must
// point at a closed port on host and contain password.
func ServerDown(t *testing.T, d dialect.Dialect, driverName, dsn, host, password string) {
	t.Helper()
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mod, err := distlock.New(db, d, distlock.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close()
	_, err = mod.TryAcquire(t.Context(), "job")
	var dbErr *distlock.DBError
	if !errors.As(err, &dbErr) {
		t.Fatalf("TryAcquire with the server down: got %T %v, want *distlock.DBError", err, err)
	}
	if dialect.KindOf(err) != dialect.KindConn || dbErr.SafeToRetry() {
		t.Errorf("classified as %v (SafeToRetry %v), want a connection error", dialect.KindOf(err), dbErr.SafeToRetry())
	}
	if msg := err.Error(); !strings.Contains(msg, host) || strings.Contains(msg, password) {
		t.Errorf("error %q should name the host and never the password", msg)
	}
	if err := mod.Migrate(t.Context()); err == nil || strings.Contains(err.Error(), password) {
		t.Errorf("Migrate with the server down: %v", err)
	}
}
