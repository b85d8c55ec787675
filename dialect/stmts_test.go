package dialect_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/dialect/sqlite"
)

// A prepare that cannot finish (here: it waits for the pool's only
// connection) does not hold up callers of other queries: they keep their
// own context's deadline.
func TestStmtsSlowPrepareBlocksNoOne(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "stmts.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := t.Context()
	st := dialect.NewStmts(db)
	defer st.Close()
	if _, err := st.Exec(ctx, "CREATE TABLE t (x INTEGER)"); err != nil { // prepared
		t.Fatal(err)
	}

	conn, err := db.Conn(ctx) // the only connection, taken
	if err != nil {
		t.Fatal(err)
	}
	slow := make(chan error, 1)
	go func() { // waits for the connection, as long as it is held
		_, err := st.Exec(context.Background(), "INSERT INTO t VALUES (1)")
		slow <- err
	}()
	time.Sleep(50 * time.Millisecond) // let it start preparing

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := st.Exec(short, "CREATE TABLE IF NOT EXISTS t (x INTEGER)")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Exec with a 100ms deadline = %v, want DeadlineExceeded", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Exec of a prepared query waited behind another query's prepare, past its own deadline")
	}
	conn.Close()
	if err := <-slow; err != nil {
		t.Errorf("the slow Exec, once the connection was free: %v", err)
	}
}

// Queries prepared concurrently end up prepared once, and all run.
func TestStmtsConcurrentPrepare(t *testing.T) {
	t.Parallel()
	db, err := sql.Open(sqlite.DriverName, sqlite.DSN(filepath.Join(t.TempDir(), "race.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The first connection turns the new file to WAL; connections opened
	// at once with it would find that switch under way (busy), which
	// distlock retries but this test, below distlock, would not.
	if err := db.PingContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := dialect.NewStmts(db)
	defer st.Close()
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			row, err := st.QueryRow(t.Context(), "SELECT 41 + 1")
			var n int
			if err == nil {
				err = row.Scan(&n)
			}
			if err == nil && n != 42 {
				err = errors.New("wrong answer")
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
