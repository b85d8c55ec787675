package integration

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// setup migrates a fresh table on tg and returns a helper description
// for it and a Module of the test process's own.
func setup(t *testing.T, tg target, cfg distlock.Config) (helper, *distlock.Module) {
	t.Helper()
	buf := make([]byte, 5)
	rand.Read(buf)
	h := helper{tg: tg, table: "it_" + hex.EncodeToString(buf), name: "lock-" + hex.EncodeToString(buf[:2]),
		maxTime: cfg.MaxTime, retry: cfg.RetryInterval}
	db, err := sql.Open(tg.DriverName, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg.Table = h.table
	mod, err := distlock.New(db, tg.Dialect, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mod.Close() })
	if err := mod.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return h, mod
}

func forEachTarget(t *testing.T, fn func(t *testing.T, tg target)) {
	t.Parallel()
	for _, name := range []string{"sqlite", "postgres", "mysql", "tidb"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tg := sqliteTarget(t)
			switch name {
			case "tidb":
				tg = tidbTarget(t)
			case "postgres", "mysql":
				tg = serverTarget(t, name)
			}
			fn(t, tg)
		})
	}
}

// Separate processes contending for one lock never overlap, lose no
// update of a shared counter, and see fences grow in the order they ran.
func TestProcessesExclude(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		const procs, rounds = 3, 12
		h, _ := setup(t, tg, distlock.Config{MaxTime: 10 * time.Second, RetryInterval: 5 * time.Millisecond})
		dir := t.TempDir()
		logPath, counter := filepath.Join(dir, "log"), filepath.Join(dir, "counter")
		h.extra = []string{"H_ROUNDS=" + strconv.Itoa(rounds), "H_LOG=" + logPath, "H_COUNTER=" + counter}
		var wg sync.WaitGroup
		errs := make(chan error, procs)
		for range procs {
			cmd := h.command(t, "contend")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			wg.Go(func() { errs <- cmd.Wait() })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("a contending process failed: %v", err)
			}
		}
		checkLog(t, logPath, procs*rounds)
		data, _ := os.ReadFile(counter)
		if got := strings.TrimSpace(string(data)); got != strconv.Itoa(procs*rounds) {
			t.Fatalf("counter = %s, want %d: an update was lost", got, procs*rounds)
		}
	})
}

// checkLog verifies that enter/exit lines pair up without interleaving and
// that fences strictly increase.
func checkLog(t *testing.T, path string, sections int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var inside string
	var lastFence int64
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var what, pid string
		var fence int64
		if _, err := fmt.Sscan(sc.Text(), &what, &pid, &fence); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		switch what {
		case "enter":
			if inside != "" {
				t.Fatalf("process %s entered while %s was inside", pid, inside)
			}
			if fence <= lastFence {
				t.Fatalf("fence %d after %d", fence, lastFence)
			}
			inside, lastFence = pid, fence
			n++
		case "exit":
			if inside != pid {
				t.Fatalf("process %s left while %q was inside", pid, inside)
			}
			inside = ""
		}
	}
	if n != sections {
		t.Fatalf("%d critical sections logged, want %d", n, sections)
	}
}

// A token made in one process re-enters, extends and releases the lock in
// others; once released it is dead everywhere.
func TestProcessTokenHandoff(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		h, mod := setup(t, tg, distlock.Config{})
		out, err := h.command(t, "acquire").Output()
		if err != nil {
			t.Fatal(err)
		}
		tok, err := distlock.ParseToken(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("acquire printed %q: %v", out, err)
		}
		h.extra = []string{"H_TOKEN=" + string(tok)}
		run := func(mode string) error { return h.command(t, mode).Run() }
		holds := func() int {
			info, err := mod.Inspect(t.Context(), h.name)
			if errors.Is(err, distlock.ErrNotHeld) {
				return 0
			}
			if err != nil {
				t.Fatal(err)
			}
			return info.Holds
		}
		for _, step := range []struct {
			mode  string
			holds int
		}{{"reenter", 2}, {"extend", 2}, {"release", 1}, {"release", 0}} {
			if err := run(step.mode); err != nil {
				t.Fatalf("%s in another process: %v", step.mode, err)
			}
			if got := holds(); got != step.holds {
				t.Fatalf("after %s: %d holds, want %d", step.mode, got, step.holds)
			}
		}
		if err := run("release"); err == nil {
			t.Fatal("a released token released again")
		}
		if err := mod.Release(t.Context(), h.name, tok); !errors.Is(err, distlock.ErrExpired) {
			t.Fatalf("released token in this process: got %v, want ErrExpired", err)
		}
	})
}

// A holder killed with SIGKILL keeps its lock until it expires, by the
// database's clock, and not a moment longer than the waiter needs to see
// it: the waiter's back-off never sleeps past the expiry.
func TestProcessKilledHolderTakenOverAfterExpiry(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		const maxTime = 2 * time.Second
		// The waiter polls only hourly, so only the rule that it never
		// sleeps past the holder's expiry (it sleeps Remaining + 1ms)
		// brings the takeover soon after it: a few milliseconds and a
		// round trip or two. lateMargin leaves room for a loaded machine
		// (-race, parallel tests) but not for a missed expiry, which the
		// hourly poll would turn into the context's timeout.
		const lateMargin = time.Second
		h, mod := setup(t, tg, distlock.Config{MaxTime: maxTime, RetryInterval: time.Hour})
		holder := h.command(t, "hold")
		stdout, _ := holder.StdoutPipe()
		if err := holder.Start(); err != nil {
			t.Fatal(err)
		}
		if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "held\n" {
			t.Fatalf("holder said %q, %v", line, err)
		}
		before, err := mod.Inspect(t.Context(), h.name)
		if err != nil {
			t.Fatal(err)
		}
		holder.Process.Signal(syscall.SIGKILL)
		holder.Wait()
		killed := time.Now()

		ctx, cancel := context.WithTimeout(t.Context(), 3*maxTime)
		defer cancel()
		l := mod.Get(h.name)
		if err := l.Acquire(ctx); err != nil {
			t.Fatalf("lock of a killed holder not taken over: %v", err)
		}
		delay := time.Since(killed)
		after, err := mod.Inspect(t.Context(), h.name)
		if err != nil {
			t.Fatal(err)
		}
		if after.AcquiredAt.Before(before.ExpiresAt) {
			t.Fatalf("taken over at %v, before the killed holder's expiry %v", after.AcquiredAt, before.ExpiresAt)
		}
		if late := after.AcquiredAt.Sub(before.ExpiresAt); late > lateMargin {
			t.Errorf("taken over at %v, %v after the killed holder's expiry %v (allowed %v): the waiter slept past the expiry",
				after.AcquiredAt, late, before.ExpiresAt, lateMargin)
		}
		if after.Fence <= before.Fence {
			t.Fatalf("fence %d after takeover, want > %d", after.Fence, before.Fence)
		}
		t.Logf("%s: takeover %v after SIGKILL (MaxTime %v); late by %v by the database's clock",
			tg.Name, delay.Round(time.Millisecond), maxTime, after.AcquiredAt.Sub(before.ExpiresAt))
	})
}

// On PostgreSQL a release in one process wakes a waiter in another at
// once, through LISTEN/NOTIFY: the waiter polls only hourly and the lock
// would expire only after a minute.
func TestProcessPushWakeup(t *testing.T) {
	t.Parallel()
	tg := serverTarget(t, "postgres")
	h, mod := setup(t, tg, distlock.Config{MaxTime: time.Minute, RetryInterval: time.Hour})
	tok, err := mod.Acquire(t.Context(), h.name)
	if err != nil {
		t.Fatal(err)
	}
	// The waiter's sessions carry an application_name of their own, so
	// that its listener can be told from this process's.
	const appName = "distlock-push-waiter"
	u, err := url.Parse(tg.DSN)
	if err != nil {
		t.Fatalf("the PostgreSQL DSN is not a URL: %v", err)
	}
	q := u.Query()
	q.Set("application_name", appName)
	u.RawQuery = q.Encode()
	wh := h
	wh.tg.DSN = u.String()
	waiter := wh.command(t, "wait")
	stdout, _ := waiter.StdoutPipe()
	if err := waiter.Start(); err != nil {
		t.Fatal(err)
	}
	// Release only once the waiter has found the lock held (and marked
	// it watched, so that the release notifies) and its listener is
	// LISTENing: only the NOTIFY can then wake it before the hourly poll
	// or the expiry a minute away.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	db, err := sql.Open(tg.DriverName, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitWatched(ctx, t, db, h.table, h.name)
	waitListening(ctx, t, db, appName, h.table)
	released := time.Now()
	if err := mod.Release(t.Context(), h.name, tok); err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		done <- line
	}()
	select {
	case <-done:
		t.Logf("hand-off to another process took %v after the release", time.Since(released).Round(time.Millisecond))
	case <-time.After(20 * time.Second):
		t.Fatal("the waiting process was not woken by the release")
	}
	if err := waiter.Wait(); err != nil {
		t.Fatal(err)
	}
}
