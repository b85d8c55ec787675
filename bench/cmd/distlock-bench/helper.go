package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/distlock/distlock/bench/internal/handoff"
	"github.com/distlock/distlock/bench/internal/heldmem"
	"github.com/distlock/distlock/bench/internal/lockers"
	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/distlock"
)

// heldWorkers is how many goroutines acquire the held locks: 8 on a
// server (their commits share WAL flushes), 1 on SQLite, which has one
// writer at a time and where more goroutines only take turns sleeping in
// the busy handler.
func heldWorkers(db string) int {
	if db == target.SQLite {
		return 1
	}
	return 8
}

// runHelper runs this program as a helper process of a run: a hand-off
// waiter, or the process that holds many locks.
func runHelper(ctx context.Context, o options, stdin io.Reader, stdout io.Writer) error {
	url := os.Getenv(envHelperURL)
	if url == "" {
		return fmt.Errorf("helper: %s is not set", envHelperURL)
	}
	t, err := target.Open(o.HelperDB, url)
	if err != nil {
		return err
	}
	defer t.Close()
	switch o.Helper {
	case "waiter":
		l, cleanup, err := waiterLocker(ctx, o, t)
		if err != nil {
			return err
		}
		defer cleanup()
		return handoff.Serve(ctx, l, stdin, stdout, o.HandoffLimit)
	case "held":
		res, err := heldmem.Measure(ctx, t, o.HeldLocks, heldWorkers(t.Name))
		if err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(res)
	}
	return fmt.Errorf("unknown helper %q", o.Helper)
}

// waiterLocker is the waiter's side of a hand-off subject.
func waiterLocker(ctx context.Context, o options, t *target.Target) (lockers.Locker, func(), error) {
	switch o.HelperSubject {
	case roleDistlock:
		m, err := t.Module(ctx, lockTable, distlock.Config{MaxTime: o.Lease})
		if err != nil {
			return nil, nil, err
		}
		return lockers.Distlock(m), func() { m.Close() }, nil
	case "pg_advisory":
		l, err := lockers.PGAdvisory(ctx, t.DB)
		return l, func() { l.Close() }, err
	case "get_lock":
		l, err := lockers.GetLock(ctx, t.DB)
		return l, func() { l.Close() }, err
	case "pglock":
		l, err := lockers.PGLock(ctx, t.DB, lockers.PGLockOptions{})
		return l, func() {}, err
	case "flock":
		return lockers.Flock(os.Getenv(envHelperDir)), func() {}, nil
	}
	return nil, nil, fmt.Errorf("helper: unknown subject %q", o.HelperSubject)
}
