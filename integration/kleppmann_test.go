package integration

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

func init() { moreHelpers["kleppmann"] = kleppmann }

// kleppmann increments counter 'c' of H_COUNTERS under the lock H_NAME,
// by plain Do (H_MODE=do, the write on the pool) or DoTx (H_MODE=dotx,
// the write in the guarded transaction): it reads the counter, prints
// "read N", waits for a line on stdin (the harness stops it meanwhile),
// then writes N+1 whatever its context says, and prints "wrote: <error>"
// and "done: <Do's or DoTx's error>".
func kleppmann(ctx context.Context, mod *distlock.Module, name string) error {
	counters := os.Getenv("H_COUNTERS")
	in := bufio.NewReader(os.Stdin)
	type querier interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}
	increment := func(ctx context.Context, q querier) error {
		var n int
		if err := q.QueryRowContext(ctx, "SELECT n FROM "+counters+" WHERE name = 'c'").Scan(&n); err != nil {
			return err
		}
		fmt.Printf("read %d\n", n)
		if _, err := in.ReadString('\n'); err != nil {
			return err
		}
		// A paused process does not look at its context before it writes.
		_, err := q.ExecContext(context.Background(), fmt.Sprintf("UPDATE %s SET n = %d WHERE name = 'c'", counters, n+1))
		fmt.Printf("wrote: %v\n", err)
		return err
	}
	var err error
	if os.Getenv("H_MODE") == "dotx" {
		err = mod.Get(name).DoTx(ctx, func(ctx context.Context, tx *sql.Tx) error { return increment(ctx, tx) })
	} else {
		db, oerr := sql.Open(os.Getenv("H_DRIVER"), os.Getenv("H_DSN"))
		if oerr != nil {
			return oerr
		}
		defer db.Close()
		err = mod.Get(name).Do(ctx, func(ctx context.Context) error { return increment(ctx, db) })
	}
	fmt.Printf("done: %v\n", strings.ReplaceAll(fmt.Sprint(err), "\n", "; "))
	return nil
}

// The scenario of the README's "Guarded writes": a holder reads a counter,
// is stopped (SIGSTOP) past its lease, another process increments the
// counter under the lock, then the first resumes and writes what it had
// computed. With plain Do, the other's increment is lost (the hole every
// lease has); with DoTx, the counter counts exactly the increments that
// committed.
func TestPausedHolderDoVersusDoTx(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		for _, mode := range []string{"do", "dotx"} {
			t.Run(mode, func(t *testing.T) { pausedHolder(t, tg, mode) })
		}
	})
}

func pausedHolder(t *testing.T, tg target, mode string) {
	const maxTime = time.Second
	h, mod := setup(t, tg, distlock.Config{MaxTime: maxTime, RetryInterval: 10 * time.Millisecond})
	db, err := sql.Open(tg.DriverName, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	counters := h.table + "_counters"
	for _, q := range []string{
		"CREATE TABLE " + counters + " (name VARCHAR(64) PRIMARY KEY, n INTEGER NOT NULL)",
		"INSERT INTO " + counters + " (name, n) VALUES ('c', 0)",
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	h.extra = []string{"H_MODE=" + mode, "H_COUNTERS=" + counters}
	cmd := h.command(t, "kleppmann")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case line := <-lines:
			return line
		case <-time.After(30 * time.Second):
			t.Fatal("the helper said nothing for 30s")
			return ""
		}
	}
	if line := next(); line != "read 0" {
		t.Fatalf("helper: %q", line)
	}
	cmd.Process.Signal(syscall.SIGSTOP)
	defer cmd.Process.Signal(syscall.SIGCONT)

	// Meanwhile another process increments the counter, under the lock.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	other := make(chan error, 1)
	go func() {
		other <- mod.Get(h.name).DoTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT n FROM "+counters+" WHERE name = 'c'").Scan(&n); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET n = %d WHERE name = 'c'", counters, n+1))
			return err
		})
	}()
	var otherErr error
	otherDone := false
	select { // SQLite: waits for the stopped holder's write lock
	case otherErr = <-other:
		otherDone = true
	case <-time.After(2*maxTime + maxTime/2):
	}
	cmd.Process.Signal(syscall.SIGCONT)
	fmt.Fprintln(stdin, "go")
	wrote, done := next(), next()
	if !otherDone {
		otherErr = <-other
	}
	cmd.Wait()

	applied := 0 // increments whose writer saw them succeed
	if otherErr == nil {
		applied++
	}
	if mode == "dotx" && done == "done: <nil>" || mode == "do" && wrote == "wrote: <nil>" {
		applied++
	}
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT n FROM "+counters+" WHERE name = 'c'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s %s: stopped holder %q, %q; other holder: %v; counter %d after %d increments seen to succeed",
		tg.Name, mode, wrote, done, otherErr, n, applied)
	switch {
	case mode == "do" && n >= applied:
		t.Fatalf("plain Do: counter %d after %d increments: the stopped holder's late write was expected to lose one", n, applied)
	case mode == "dotx" && n != applied:
		t.Fatalf("DoTx: counter %d after %d increments: an update was lost or applied twice", n, applied)
	case mode == "dotx" && otherErr != nil:
		t.Fatalf("DoTx of the other holder: %v", otherErr)
	}
}
