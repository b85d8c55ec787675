package integration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect/dialecttest"
	"github.com/distlock/distlock/dialect/mysql"
	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/dsn"
	"github.com/distlock/distlock/migrations"
)

// The Galera tests run against a MariaDB Galera cluster of three nodes:
// DISTLOCK_TEST_GALERA_URLS holds one mysql:// URL per node (to the same
// database), DISTLOCK_TEST_GALERA_CTL a script whose `kill N` SIGKILLs
// node N and `restart N` starts it again and waits until it has rejoined
// (.ci/fixtures/galera.sh prints both).
const (
	galeraURLsEnv = "DISTLOCK_TEST_GALERA_URLS"
	galeraCtlEnv  = "DISTLOCK_TEST_GALERA_CTL"
)

// galeraNodes returns one target per node, or skips the test (fails it
// under DISTLOCK_REQUIRE_DB=1) when no cluster is configured.
func galeraNodes(t *testing.T) []target {
	t.Helper()
	urls := os.Getenv(galeraURLsEnv)
	if urls == "" {
		skipOrFail(t, "no Galera cluster to test against: %s is not set (start one with .ci/fixtures/galera.sh start)", galeraURLsEnv)
	}
	var nodes []target
	for _, u := range strings.Split(urls, ",") {
		d, err := dsn.Parse(u)
		if err != nil {
			t.Fatalf("%s: %v", galeraURLsEnv, err)
		}
		if d.Dialect != "mysql" {
			t.Fatalf("%s names a %s database, want mysql", galeraURLsEnv, d.Dialect)
		}
		nodes = append(nodes, target{Name: "galera", Dialect: mysql.Dialect(), DriverName: d.DriverName, DSN: d.DriverDSN})
	}
	if len(nodes) != 3 {
		t.Fatalf("%s names %d nodes, want 3", galeraURLsEnv, len(nodes))
	}
	for _, n := range nodes {
		pingTarget(t, n)
	}
	return nodes
}

// pingTarget fails the test if tg does not answer.
func pingTarget(t *testing.T, tg target) {
	t.Helper()
	db, err := sql.Open(tg.DriverName, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("galera node unreachable: %v", err)
	}
}

// galeraModules migrates a fresh table through node 1 and returns a
// Module on each node, and the helper description for node 1.
func galeraModules(t *testing.T, nodes []target, cfg distlock.Config) (helper, []*distlock.Module) {
	t.Helper()
	h, first := setup(t, nodes[0], cfg)
	mods := []*distlock.Module{first}
	for _, n := range nodes[1:] {
		mods = append(mods, openModule(t, n, h.table, cfg))
	}
	return h, mods
}

// openModule opens a Module on tg for an existing table.
func openModule(t *testing.T, tg target, table string, cfg distlock.Config) *distlock.Module {
	t.Helper()
	db, err := sql.Open(tg.DriverName, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg.Table = table
	mod, err := distlock.New(db, tg.Dialect, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mod.Close() })
	return mod
}

// The conformance suite, unchanged, against one node of the cluster.
func TestGaleraConformance(t *testing.T) {
	t.Parallel()
	tg := galeraNodes(t)[0]
	dialecttest.Run(t, dialecttest.Harness{
		Dialect:    tg.Dialect,
		DriverName: tg.DriverName,
		DSN:        func(*testing.T) string { return tg.DSN },
	})
}

// A token acquired through one node is extended and released through
// another at once, and the lock is taken again through the first at once,
// many times: each statement sees what the cluster committed before it
// started (causal reads), so there is no spurious ErrExpired (which would
// also leave the lock held until MaxTime), no spurious ErrNotAcquired,
// and a third node never reports the held lock free.
func TestGaleraTokenHandOff(t *testing.T) {
	t.Parallel()
	nodes := galeraNodes(t)
	_, mods := galeraModules(t, nodes, distlock.Config{MaxTime: time.Minute})
	const rounds = 300
	name := "handoff"
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var notAcquired, inspectFree, extendExpired, releaseExpired int
	var firstErr error
	for i := range rounds {
		a, b, c := mods[i%3], mods[(i+1)%3], mods[(i+2)%3]
		tok, err := a.TryAcquire(ctx, name)
		if errors.Is(err, distlock.ErrNotAcquired) {
			// Released through another node just before: stale.
			notAcquired++
			if tok, err = a.Acquire(ctx, name); err != nil {
				t.Fatalf("round %d: acquire: %v", i, err)
			}
		} else if err != nil {
			t.Fatalf("round %d: try-acquire: %v", i, err)
		}
		if _, err := c.Inspect(ctx, name); errors.Is(err, distlock.ErrNotHeld) {
			inspectFree++
		} else if err != nil {
			t.Fatalf("round %d: inspect: %v", i, err)
		}
		count := func(n *int, err error) {
			switch {
			case errors.Is(err, distlock.ErrExpired):
				*n++
				if firstErr == nil {
					firstErr = fmt.Errorf("round %d: %w", i, err)
				}
			case err != nil:
				t.Fatalf("round %d: %v", i, err)
			}
		}
		count(&extendExpired, b.Extend(ctx, name, tok))
		if err := b.Release(ctx, name, tok); errors.Is(err, distlock.ErrExpired) {
			count(&releaseExpired, err)
			// The lock is still held: release it where it was taken.
			if err := a.Release(ctx, name, tok); err != nil {
				t.Fatalf("round %d: release through the acquiring node: %v", i, err)
			}
		} else {
			count(&releaseExpired, err)
		}
	}
	t.Logf("%d immediate hand-offs across nodes: %d spurious ErrExpired from Extend, %d from Release, "+
		"%d spurious ErrNotAcquired, %d inspections found the held lock free",
		rounds, extendExpired, releaseExpired, notAcquired, inspectFree)
	if extendExpired+releaseExpired+notAcquired+inspectFree > 0 {
		t.Errorf("stale reads across nodes (first: %v)", firstErr)
	}
}

// Migrate run at the same moment through the three nodes succeeds
// everywhere (GET_LOCK, which Migrate and the migrate CLI serialise
// migrations with, is local to a node), leaves one version row, the
// newest and clean, and the table works through every node.
func TestGaleraConcurrentMigrate(t *testing.T) {
	t.Parallel()
	nodes := galeraNodes(t)
	for round := range 3 {
		table := fmt.Sprintf("gm_%d_%d", time.Now().UnixNano()%1e9, round)
		var mods []*distlock.Module
		for _, n := range nodes {
			mods = append(mods, openModule(t, n, table, distlock.Config{}))
		}
		errs := make([]error, len(mods))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, m := range mods {
			wg.Go(func() {
				<-start
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				defer cancel()
				errs[i] = m.Migrate(ctx)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: Migrate through node %d: %v", round, i+1, err)
			}
		}
		if t.Failed() {
			return
		}
		wantOneVersion(t, nodes[round%3], table)
		for i, m := range mods {
			tok, err := m.TryAcquire(t.Context(), "after-migrate")
			if err != nil {
				t.Fatalf("round %d: acquire through node %d: %v", round, i+1, err)
			}
			if err := mods[(i+1)%3].Release(t.Context(), "after-migrate", tok); err != nil {
				t.Fatalf("round %d: release through node %d: %v", round, (i+1)%3+1, err)
			}
		}
	}
}

// wantOneVersion checks, through node, that table's version table holds
// one row: the newest version, clean.
func wantOneVersion(t *testing.T, node target, table string) {
	t.Helper()
	ups, err := migrations.Ups("mysql", table)
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t, node.DriverName, node.DSN)
	var n, version int64
	var dirty bool
	err = db.QueryRowContext(t.Context(), "SELECT count(*), max(version), max(dirty) FROM `"+migrations.VersionTable(table)+"`").Scan(&n, &version, &dirty)
	if err != nil {
		t.Fatal(err)
	}
	if want := ups[len(ups)-1].Version; n != 1 || version != want || dirty {
		t.Errorf("version table: %d rows, version %d, dirty %v; want one row, %d, clean", n, version, dirty, want)
	}
}
