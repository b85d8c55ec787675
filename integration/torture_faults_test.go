package integration

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// fault is one kind of trouble the torture harness causes.
type fault struct {
	name   string
	inject func(t *testing.T, tg target, mod *distlock.Module, w *workers, log *os.File) error
	// required makes a failure to inject the fault a test error. The
	// others may fail harmlessly, finding nothing to act on (no worker
	// left to kill, connections already gone after an earlier fault).
	required bool
	// once: injected in the first slot only (a server restart takes
	// seconds; later in the run it would leave too little time to show
	// the recovery).
	once bool
}

func faultsFor(tg target) []fault {
	fs := []fault{{name: "kill -9 holder", inject: killHolder}, {name: "kill -9 queued waiter", inject: killWaiter}}
	switch tg.Name {
	case "postgres":
		fs = append(fs,
			fault{name: "pg_terminate_backend", inject: sqlFault(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid()`)},
			fault{name: "drop LISTEN connection", inject: sqlFault(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE datname = current_database() AND query LIKE 'LISTEN%'`)})
	case "mysql":
		fs = append(fs, fault{name: "KILL connections", inject: killMySQLConnections})
	case "galera":
		// The node's kill and rejoin goes first, once: it takes ten
		// seconds or more, and later in the run it left too little time to
		// show the recovery (none after it, in one CI run).
		fs = append(galeraFaults(), fs...)
	}
	if cmd := os.Getenv("DISTLOCK_TORTURE_RESTART_" + strings.ToUpper(tg.Name)); cmd != "" {
		// The command was configured: a restart that fails, or a server
		// that does not come back, is a broken run, not a harmless miss.
		// It goes first, once: a restart takes seconds, and as the last
		// fault it left the run too little time to show the recovery (one
		// section after it, in one CI run).
		fs = append([]fault{{name: "server restart", inject: restartServer(cmd), required: true, once: true}}, fs...)
	}
	return fs
}

// killHolder SIGKILLs a worker holding a lock (any worker if none holds
// one), then logs, for each lock the dead worker still holds, the expiry
// the database has for it. The checker forgives an overlap with a killed
// holder only on a lock whose expiry was logged, so failing to read the
// dead worker's locks is a test error, not something to skip.
func killHolder(t *testing.T, tg target, mod *distlock.Module, w *workers, log *os.File) error {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	infos, err := mod.List(ctx)
	if err != nil {
		return err
	}
	var pids []int
	seen := map[int]bool{}
	for _, in := range infos {
		pid, ok := helperPid(in.Owner)
		if !ok || seen[pid] {
			continue
		}
		seen[pid] = true
		pids = append(pids, pid)
	}
	pids = slices.DeleteFunc(pids, func(pid int) bool { return !w.alive(pid) }) // dead holders' locks linger
	victim := w.any()
	if len(pids) > 0 {
		victim = pids[rand.N(len(pids))]
	}
	if !w.kill(victim) {
		return fmt.Errorf("no worker to kill")
	}
	logKilled(ctx, t, "kill -9 holder", mod, victim, log)
	w.start()
	return nil
}

// logKilled logs the kill of worker victim and, for each lock it still
// holds, the expiry the database has for it.
func logKilled(ctx context.Context, t *testing.T, fault string, mod *distlock.Module, victim int, log *os.File) {
	now := time.Now().UnixNano()
	fmt.Fprintf(log, "K %d - 0 %d\n", victim, now)
	// Read its locks before starting a replacement, to lose no time: its
	// locks now stay taken, unchanged, until their expiry. Listing them
	// after the kill also finds those it took since the caller looked.
	after, err := mod.List(ctx)
	if err != nil {
		t.Errorf("%s: the locks of killed worker %d could not be read, so their expiry is not logged: %v", fault, victim, err)
	}
	for _, in := range after {
		if pid, ok := helperPid(in.Owner); ok && pid == victim {
			fmt.Fprintf(log, "K %d %s %d %d\n", victim, in.Name, in.ExpiresAt.UnixNano(), now)
		}
	}
}

// killWaiter SIGKILLs a worker that waits in a lock's line and holds no
// lock: its place stays in the line, unrenewed, until it lapses. (The
// worker may have taken a lock since it was seen waiting: the kill is
// logged as a holder's.)
func killWaiter(t *testing.T, tg target, mod *distlock.Module, w *workers, log *os.File) error {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	infos, err := mod.List(ctx)
	if err != nil {
		return err
	}
	holders := map[int]bool{}
	for _, in := range infos {
		if pid, ok := helperPid(in.Owner); ok {
			holders[pid] = true
		}
	}
	dsn := tg.DSN
	if tg.Name == "postgres" { // pooler-safe, for PgBouncer
		dsn = withParam(dsn, "default_query_exec_mode=exec")
	}
	db, err := sql.Open(tg.DriverName, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT owner FROM "+mod.Config().Table+"_queue")
	if err != nil {
		return err
	}
	var queued []int
	for rows.Next() {
		var owner string
		if err := rows.Scan(&owner); err != nil {
			rows.Close()
			return err
		}
		if pid, ok := helperPid(owner); ok && !holders[pid] && w.alive(pid) && !slices.Contains(queued, pid) {
			queued = append(queued, pid)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(queued) == 0 {
		return fmt.Errorf("no worker waits in line without holding a lock")
	}
	victim := queued[rand.N(len(queued))]
	if !w.kill(victim) {
		return fmt.Errorf("worker %d is gone already", victim)
	}
	// It may have taken a lock since the List: log it as a killed holder.
	logKilled(ctx, t, "kill -9 queued waiter", mod, victim, log)
	w.start()
	return nil
}

// helperPid returns the pid of the helper process named by owner.
func helperPid(owner string) (int, bool) {
	s, ok := strings.CutPrefix(owner, "helper-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(s)
	return pid, err == nil
}

// sqlFault runs query on a connection of its own.
func sqlFault(query string) func(*testing.T, target, *distlock.Module, *workers, *os.File) error {
	return func(t *testing.T, tg target, _ *distlock.Module, _ *workers, log *os.File) error {
		db, err := sql.Open(tg.DriverName, tg.DSN)
		if err != nil {
			return err
		}
		defer db.Close()
		if _, err := db.ExecContext(t.Context(), query); err != nil {
			return err
		}
		fmt.Fprintf(log, "F sql %d\n", time.Now().UnixNano())
		return nil
	}
}

// killMySQLConnections KILLs every other connection to the database.
func killMySQLConnections(t *testing.T, tg target, _ *distlock.Module, _ *workers, log *os.File) error {
	db, err := sql.Open(tg.DriverName, tg.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(t.Context())
	if err != nil {
		return err
	}
	defer conn.Close()
	rows, err := conn.QueryContext(t.Context(),
		"SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()")
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		conn.ExecContext(t.Context(), "KILL "+strconv.FormatInt(id, 10)) // it may be gone already
	}
	fmt.Fprintf(log, "F kill %d\n", time.Now().UnixNano())
	return nil
}

// restartServer runs a shell command that restarts the server, then waits
// until it accepts connections again.
func restartServer(command string) func(*testing.T, target, *distlock.Module, *workers, *os.File) error {
	return func(t *testing.T, tg target, _ *distlock.Module, _ *workers, log *os.File) error {
		fmt.Fprintf(log, "F restart %d\n", time.Now().UnixNano())
		if out, err := exec.CommandContext(t.Context(), "sh", "-c", command).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v: %s", command, err, out)
		}
		db, err := sql.Open(tg.DriverName, tg.DSN)
		if err != nil {
			return err
		}
		defer db.Close()
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			err := db.PingContext(ctx)
			cancel()
			if err == nil {
				fmt.Fprintf(log, "F restarted %d\n", time.Now().UnixNano())
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("server not back after a minute: %v", err)
			}
		}
	}
}
