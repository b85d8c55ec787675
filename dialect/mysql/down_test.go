package mysql_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/dialect/mysql"
	"github.com/distlock/distlock/distlock"
)

// A server that is down gives a classified error that names the host and
// never the password.
func TestServerDown(t *testing.T) {
	t.Parallel()
	db, err := sql.Open(mysql.DriverName, "app:s3cretpw@tcp(127.0.0.1:1)/app?timeout=2s")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mod, err := distlock.New(db, mysql.Dialect(), distlock.Config{})
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
	t.Log(err)
	if msg := err.Error(); !strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "s3cretpw") {
		t.Errorf("error %q should name the host and never the password", msg)
	}
	if err := mod.Migrate(t.Context()); err == nil || strings.Contains(err.Error(), "s3cretpw") {
		t.Errorf("Migrate with the server down: %v", err)
	}
}
