package integration

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

func init() { moreHelpers["guard-hold"] = guardHold }

// guardHold acquires H_NAME, guards a transaction of its own, writes row
// (1, fence) to H_DATA in it, prints "guarded", then waits for a line on
// stdin before it commits, and prints "commit: <error or nil>".
func guardHold(ctx context.Context, mod *distlock.Module, name string) error {
	db, err := sql.Open(os.Getenv("H_DRIVER"), os.Getenv("H_DSN"))
	if err != nil {
		return err
	}
	defer db.Close()
	l := mod.Get(name)
	if err := l.Acquire(ctx); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := l.Guard(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (k, v) VALUES (1, %d)", os.Getenv("H_DATA"), l.Fence())); err != nil {
		return err
	}
	fmt.Println("guarded")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	fmt.Printf("commit: %v\n", tx.Commit())
	return nil
}

// The server ends the guarded transaction of a holder that was stopped
// (SIGSTOP) right after its guarded write: a takeover comes MaxTime after
// the transaction's last statement, not never, and when the holder
// resumes, its write does not commit. (SQLite has no server to do this; a
// stopped SQLite holder blocks every writer until it resumes.)
func TestGuardStoppedHolder(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"postgres", "mysql"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			const maxTime = 2 * time.Second // whole seconds: MariaDB's timeout is in seconds
			h, mod := setup(t, serverTarget(t, name), distlock.Config{MaxTime: maxTime, RetryInterval: 20 * time.Millisecond})
			db, err := sql.Open(h.tg.DriverName, h.tg.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			data := h.table + "_data"
			if _, err := db.ExecContext(t.Context(), "CREATE TABLE "+data+" (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)"); err != nil {
				t.Fatal(err)
			}
			h.extra = []string{"H_DATA=" + data}

			cmd := h.command(t, "guard-hold")
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
			lines := make(chan string, 2)
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
			if line := next(); line != "guarded" {
				t.Fatalf("helper: %q", line)
			}
			guarded := time.Now()
			if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Signal(syscall.SIGCONT)

			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			l := mod.Get(h.name)
			if err := l.Acquire(ctx); err != nil {
				t.Fatalf("takeover from a stopped guarded holder: %v", err)
			}
			waited := time.Since(guarded)
			t.Logf("%s: takeover %v after the stopped holder's last statement (MaxTime %v)", name, waited.Round(time.Millisecond), maxTime)
			if waited > maxTime+time.Second {
				t.Errorf("the takeover waited %v; the bound is MaxTime (%v) after the last statement", waited, maxTime)
			}
			// The stopped holder's transaction is gone: its row is free.
			if _, err := db.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (k, v) VALUES (1, %d)", data, -l.Fence())); err != nil {
				t.Fatalf("write by the new holder: %v", err)
			}

			cmd.Process.Signal(syscall.SIGCONT)
			fmt.Fprintln(stdin, "commit")
			line := next()
			if !strings.HasPrefix(line, "commit: ") || line == "commit: <nil>" {
				t.Fatalf("the resumed holder: %q; want its commit to fail", line)
			}
			t.Logf("%s: the resumed holder's %s", name, line)
			var v int64
			if err := db.QueryRowContext(ctx, "SELECT v FROM "+data+" WHERE k = 1").Scan(&v); err != nil {
				t.Fatal(err)
			}
			if v != -l.Fence() {
				t.Fatalf("row 1 = %d: the stopped holder's write committed after the takeover", v)
			}
			if err := cmd.Wait(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Fatalf("helper: %v", err)
			}
		})
	}
}
