package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"cirello.io/pglock"

	"github.com/distlock/distlock/bench/internal/handoff"
	"github.com/distlock/distlock/bench/internal/lockers"
	"github.com/distlock/distlock/bench/internal/target"
	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/internal/pace"
)

// Environment of the helper processes: the database URL (never put on a
// command line, where ps would show a password) and the flock directory.
const (
	envHelperURL = "DISTLOCK_BENCH_HELPER_URL"
	envHelperDir = "DISTLOCK_BENCH_HELPER_DIR"
)

// pglockWaiters is how many pglock hand-offs are measured at once: each
// takes about one pglock.DefaultLeaseDuration, so they run side by side,
// once per run.
const pglockWaiters = 8

// Settling time before a release: the waiter has certainly tried once and
// is waiting. Random, so that a polling waiter is caught anywhere between
// two reads.
const settleMin, settleSpread = 20 * time.Millisecond, 200 * time.Millisecond

// distlockWakeNote says how a distlock waiter on db learns that the lock
// was released (see distlock/line.go), with the library's own timing.
func distlockWakeNote(db string) string {
	if db == target.Postgres {
		return fmt.Sprintf("a place in the lock's FIFO line; the release grants the lock to the head in its own statement, "+
			"and its NOTIFY wakes that waiter alone, which holds the lock without another statement "+
			"(its place's renewal read every %v is the fallback)", pace.RenewEvery)
	}
	return fmt.Sprintf("a place in the lock's FIFO line; the release grants the lock to the head in its own statement "+
		"(SQLite: transaction); the Module's first waiter in line reads the lock every %v "+
		"(× places ahead + 1) for %v after the line last moved, then ever less often, at most every %v, and holds it once "+
		"it reads the grant; a release in its own process wakes the head at once", pace.PollMin, pace.PollHot, pace.PollMax)
}

type handoffSubject struct {
	key, label, note string
	holder           lockers.Locker
	helper           *handoff.Helper
}

// runHandoff measures hand-offs between this process (the holder) and a
// waiter process started first, per subject, for several rounds.
func runHandoff(ctx context.Context, e *env, db *dbResult, t *target.Target) error {
	m, err := t.Module(ctx, lockTable, distlock.Config{MaxTime: e.opts.Lease})
	if err != nil {
		return err
	}
	defer m.Close()
	flockDir := filepath.Join(e.tmp, "flock")
	if err := os.MkdirAll(flockDir, 0o700); err != nil {
		return err
	}
	subjects := []*handoffSubject{{key: roleDistlock, label: "distlock", holder: lockers.Distlock(m), note: distlockWakeNote(t.Name)}}
	var peer *handoffSubject
	switch t.Name {
	case target.Postgres:
		l, err := lockers.PGAdvisory(ctx, t.DB)
		if err != nil {
			return err
		}
		peer = &handoffSubject{key: "pg_advisory", label: "pg_advisory_lock", holder: l, note: "the server grants it to the blocked waiter"}
	case target.MySQL:
		l, err := lockers.GetLock(ctx, t.DB)
		if err != nil {
			return err
		}
		peer = &handoffSubject{key: "get_lock", label: "GET_LOCK", holder: l, note: "the server grants it to the blocked waiter"}
	case target.SQLite:
		peer = &handoffSubject{key: "flock", label: "flock(2)", holder: lockers.Flock(flockDir), note: "the kernel wakes the blocked waiter (not durable)"}
	}
	subjects = append(subjects, peer)
	defer peer.holder.Close()

	for _, s := range subjects {
		if s.helper, err = e.startWaiter(ctx, t, s.key, flockDir); err != nil {
			return err
		}
		defer s.helper.Close()
		// The first hand-off, to a process that has just started
		// (connecting, preparing, listening), is reported apart.
		fresh, err := s.helper.Measure(ctx, s.holder, []string{e.name("handoff-fresh", s.key)}, settleMin, e.opts.HandoffLimit)
		if err != nil {
			return fmt.Errorf("%s first hand-off: %w", s.key, err)
		}
		db.Handoff = append(db.Handoff, &handoffSeries{Key: s.key, Label: s.label, Note: s.note, Fresh: fresh})
	}
	for r := range e.opts.Rounds {
		for i := range subjects {
			k := (i + r) % len(subjects)
			s := subjects[k]
			for n := range e.opts.HandoffSamples {
				settle := settleMin + rand.N(settleSpread)
				name := e.name("handoff", s.key, r, n)
				samples, err := s.helper.Measure(ctx, s.holder, []string{name}, settle, e.opts.HandoffLimit)
				if err != nil {
					return fmt.Errorf("%s: %w", s.key, err)
				}
				db.Handoff[k].Samples = append(db.Handoff[k].Samples, samples...)
			}
		}
		e.logf("handoff %s round %d/%d done", db.Name, r+1, e.opts.Rounds)
	}
	if t.Name == target.Postgres && e.opts.PGLockHandoff {
		return e.pglockHandoff(ctx, db, t)
	}
	return nil
}

// pglockHandoff measures pglock's hand-off at its defaults (a lease of
// pglock.DefaultLeaseDuration, waiters retrying once per lease),
// pglockWaiters at once, once.
func (e *env) pglockHandoff(ctx context.Context, db *dbResult, t *target.Target) error {
	holder, err := lockers.PGLock(ctx, t.DB, lockers.PGLockOptions{})
	if err != nil {
		return err
	}
	defer holder.Close()
	h, err := e.startWaiter(ctx, t, "pglock", "")
	if err != nil {
		return err
	}
	defer h.Close()
	names := make([]string, pglockWaiters)
	for i := range names {
		names[i] = e.name("handoff-pglock", i)
	}
	e.logf("handoff %s: pglock at its defaults, %d waiters (up to %v)", db.Name, len(names), e.opts.HandoffLimit)
	samples, err := h.Measure(ctx, holder, names, settleMin+rand.N(settleSpread), e.opts.HandoffLimit)
	if err != nil {
		return fmt.Errorf("pglock: %w", err)
	}
	db.Handoff = append(db.Handoff, &handoffSeries{
		Key: "pglock", Label: "cirello.io/pglock " + depVersion("cirello.io/pglock") + " (pgx), all defaults",
		Note:    fmt.Sprintf("waiters retry once per %v lease; %d waiters at once, once per run", pglock.DefaultLeaseDuration, len(names)),
		Samples: samples,
	})
	return nil
}

// name builds a lock name unique to this run.
func (e *env) name(parts ...any) string {
	s := fmt.Sprint(parts[0])
	for _, p := range parts[1:] {
		s += fmt.Sprintf("-%v", p)
	}
	return s + "-" + e.runID
}

// startWaiter starts this program as a hand-off waiter for subject.
func (e *env) startWaiter(ctx context.Context, t *target.Target, subject, flockDir string) (*handoff.Helper, error) {
	cmd := exec.CommandContext(ctx, e.exe, "-helper", "waiter", "-helper-db", t.Name, "-helper-subject", subject,
		"-lease", e.opts.Lease.String(), "-handoff-limit", e.opts.HandoffLimit.String())
	cmd.Env = append(os.Environ(), envHelperURL+"="+t.URL, envHelperDir+"="+flockDir)
	cmd.Stderr = e.log
	return handoff.Start(cmd)
}
