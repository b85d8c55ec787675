package integration

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
)

var (
	tortureTxDuration = flag.Duration("torturetx.duration", 5*time.Second, "how long each database is tortured with DoTx")
	tortureTxPauses   = flag.Int("torturetx.pauses", 1, "holders stopped (SIGSTOP) past their lease, per database")
)

func init() {
	moreHelpers["torture-tx"] = func(ctx context.Context, mod *distlock.Module, _ string) error {
		return tortureTxWorker(ctx, mod)
	}
}

// TestTortureTx makes worker processes increment counter rows in the
// lock's own database, each increment a read-modify-write inside DoTx,
// while the harness stops lock holders with SIGSTOP for longer than their
// lease (then SIGCONT). Every increment also logs its value in a table of
// the same transaction. The plain-lease torture must forgive a stopped
// holder that writes late; this one forgives nothing: per counter, the
// logged values are exactly 1..n, each once (no update lost, none
// applied twice), and no increment a worker saw committed is missing.
//
//	go test -run TestTortureTx -v -torturetx.duration=1m ./integration
func TestTortureTx(t *testing.T) {
	for _, name := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(name, func(t *testing.T) {
			tg := sqliteTarget(t)
			if name != "sqlite" {
				tg = serverTarget(t, name)
			}
			tortureTx(t, tg)
		})
	}
}

func tortureTx(t *testing.T, tg target) {
	const maxTime = time.Second // MariaDB ends a stopped holder's transaction in whole seconds
	const names = 3
	h, mod := setup(t, tg, distlock.Config{MaxTime: maxTime, RetryInterval: 10 * time.Millisecond})
	db, err := sql.Open(tg.DriverName, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	counters, applied := h.table+"_counters", h.table+"_applied"
	for _, q := range []string{
		"CREATE TABLE " + counters + " (name VARCHAR(64) PRIMARY KEY, n INTEGER NOT NULL)",
		"CREATE TABLE " + applied + " (name VARCHAR(64) NOT NULL, seq INTEGER NOT NULL, worker VARCHAR(64) NOT NULL)",
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	for i := range names {
		if _, err := db.ExecContext(t.Context(), fmt.Sprintf("INSERT INTO %s (name, n) VALUES ('torture-%d', 0)", counters, i)); err != nil {
			t.Fatal(err)
		}
	}
	until := time.Now().Add(*tortureTxDuration)
	h.extra = []string{
		"H_NAMES=" + strconv.Itoa(names), "H_WORKERS=" + strconv.Itoa(*tortureWorkers),
		"H_UNTIL=" + strconv.FormatInt(until.UnixNano(), 10),
		"H_COUNTERS=" + counters, "H_APPLIED=" + applied,
	}
	w := &workers{t: t, h: h, mode: "torture-tx"}
	for range *tortureProcs {
		w.start()
	}

	// Stop holders, each for more than twice its lease, one after the
	// other, starting between 20% of the run and 80% less a pause, so that
	// the run shows work before and after (on SQLite, a stopped holder
	// stops every writer).
	pause := 2*maxTime + maxTime/2
	var pauses, progressed int
	start := time.Now()
	first, last := *tortureTxDuration/5, *tortureTxDuration*4/5-pause
	for i := range *tortureTxPauses {
		at := first
		if n := *tortureTxPauses; n > 1 {
			at += (last - first) * time.Duration(i) / time.Duration(n-1)
		}
		time.Sleep(time.Until(start.Add(at)))
		pid := holderPid(t, mod, w)
		if pid == 0 {
			t.Logf("pause %d: no live holder to stop", i)
			continue
		}
		before := counterSum(t, db, counters)
		syscall.Kill(pid, syscall.SIGSTOP)
		time.Sleep(pause)
		after := counterSum(t, db, counters)
		syscall.Kill(pid, syscall.SIGCONT)
		pauses++
		if after > before {
			progressed++
		}
	}
	reports := w.wait(until.Add(3*maxTime + pause))

	var sum workerReport
	sum.Errors = map[string]int{}
	for _, r := range reports {
		sum.Sections += r.Sections
		sum.Lost += r.Lost
		for k, v := range r.Errors {
			sum.Errors[k] += v
		}
	}
	violations, total := checkApplied(t, db, counters, applied)
	if total < sum.Sections {
		violations = append(violations, fmt.Sprintf("workers saw %d increments commit, the table holds %d: some were lost", sum.Sections, total))
	}
	t.Logf("torture-tx %s: %v, %d processes × %d goroutines on %d counters, MaxTime %v",
		tg.Name, *tortureTxDuration, w.started, *tortureWorkers, names, maxTime)
	t.Logf("torture-tx %s: %d critical sections committed (%d applied in the table), %d DoTx reported ErrLost, errors %v",
		tg.Name, sum.Sections, total, sum.Lost, sum.Errors)
	t.Logf("torture-tx %s: %d holders stopped for %v, the others went on during %d of those pauses",
		tg.Name, pauses, pause, progressed)
	t.Logf("torture-tx %s: violations %d", tg.Name, len(violations))
	for _, v := range violations {
		t.Error(v)
	}
	if sum.Sections == 0 {
		t.Error("no critical section committed")
	}
	if pauses == 0 {
		t.Error("no holder was stopped")
	}
}

// holderPid returns the pid of a live worker that holds a lock now, or 0.
func holderPid(t *testing.T, mod *distlock.Module, w *workers) int {
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		infos, err := mod.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range infos {
			if pid, ok := helperPid(in.Owner); ok && w.alive(pid) {
				return pid
			}
		}
	}
	return 0
}

// counterSum reads the sum of the counters, by a read that waits for no
// lock (SQLite's included: WAL).
func counterSum(t *testing.T, db *sql.DB, counters string) int {
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT COALESCE(SUM(n), 0) FROM "+counters).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkApplied checks that each counter's logged values are exactly
// 1..n, each once, and returns the number of logged increments.
func checkApplied(t *testing.T, db *sql.DB, counters, applied string) (violations []string, total int) {
	final := map[string]int{}
	seqs := map[string][]int{}
	read := func(q string, f func(name string, v int)) {
		rows, err := db.QueryContext(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		err = dialect.EachRow(rows, func(sc dialect.Scanner) error {
			var name string
			var v int
			if err := sc.Scan(&name, &v); err != nil {
				return err
			}
			f(name, v)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	read("SELECT name, n FROM "+counters, func(name string, n int) { final[name] = n })
	read("SELECT name, seq FROM "+applied, func(name string, seq int) { seqs[name] = append(seqs[name], seq) })
	for name, n := range final {
		s := seqs[name]
		total += len(s)
		slices.Sort(s)
		for i, v := range s {
			switch {
			case i > 0 && v == s[i-1]:
				violations = append(violations, fmt.Sprintf("%s: value %d applied twice (an update was lost)", name, v))
			case v != i+1 && (i == 0 || v != s[i-1]):
				violations = append(violations, fmt.Sprintf("%s: value %d logged where %d was due", name, v, i+1))
			}
		}
		if len(s) != n {
			violations = append(violations, fmt.Sprintf("%s: counter %d, %d increments logged", name, n, len(s)))
		}
	}
	return violations, total
}

// tortureTxWorker runs H_WORKERS goroutines that increment random
// counters among H_NAMES inside DoTx until H_UNTIL, and prints a
// workerReport.
func tortureTxWorker(ctx context.Context, mod *distlock.Module) error {
	names, _ := strconv.Atoi(os.Getenv("H_NAMES"))
	workers, _ := strconv.Atoi(os.Getenv("H_WORKERS"))
	until, _ := strconv.ParseInt(os.Getenv("H_UNTIL"), 10, 64)
	counters, applied := os.Getenv("H_COUNTERS"), os.Getenv("H_APPLIED")
	ctx, cancel := context.WithDeadline(ctx, time.Unix(0, until))
	defer cancel()
	reports := make([]workerReport, workers)
	done := make(chan struct{}, workers)
	for g := range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			rep := &reports[g]
			rep.Errors = map[string]int{}
			id := fmt.Sprintf("%d.%d", os.Getpid(), g)
			for ctx.Err() == nil {
				name := "torture-" + strconv.Itoa(rand.N(names))
				// The run's end does not cut a DoTx short: a commit cut
				// short has an unknown outcome, which the count cannot use.
				err := mod.Get(name).DoTx(context.WithoutCancel(ctx), func(ctx context.Context, tx *sql.Tx) error {
					var n int
					if err := tx.QueryRowContext(ctx, fmt.Sprintf("SELECT n FROM %s WHERE name = '%s'", counters, name)).Scan(&n); err != nil {
						return err
					}
					time.Sleep(time.Duration(rand.N(2000)) * time.Microsecond)
					if _, err := tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET n = %d WHERE name = '%s'", counters, n+1, name)); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (name, seq, worker) VALUES ('%s', %d, '%s')", applied, name, n+1, id))
					return err
				})
				switch {
				case err == nil:
					rep.Sections++
				case errors.Is(err, distlock.ErrLost):
					rep.Lost++
				case ctx.Err() != nil:
				default:
					var dbErr *distlock.DBError
					key := "other"
					if errors.As(err, &dbErr) {
						key = dbErr.Op + "/" + dialect.KindOf(err).String()
					}
					rep.Errors[key]++
					if rep.Errors[key] <= 3 {
						fmt.Fprintf(os.Stderr, "torture-tx worker %s: %v\n", id, err)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	for range workers {
		<-done
	}
	sum := workerReport{Errors: map[string]int{}}
	for _, r := range reports {
		sum.Sections += r.Sections
		sum.Lost += r.Lost
		for k, v := range r.Errors {
			sum.Errors[k] += v
		}
	}
	return json.NewEncoder(os.Stdout).Encode(sum)
}
