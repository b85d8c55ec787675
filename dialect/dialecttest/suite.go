// Package dialecttest is the conformance suite that every distlock dialect
// must pass, unchanged, against a real database.
//
// A dialect's tests call Run with a Harness:
//
//	func TestConformance(t *testing.T) {
//		dialecttest.Run(t, dialecttest.Harness{
//			Dialect:    sqlite.Dialect(),
//			DriverName: "sqlite",
//			DSN:        func(t *testing.T) string { return sqlite.DSN(filepath.Join(t.TempDir(), "x.db")) },
//		})
//	}
//
// Every test runs in parallel on a table of its own, through the public
// distlock API, with several Modules on separate connection pools standing
// in for separate processes.
package dialecttest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
)

// Harness says how to reach the database under test.
type Harness struct {
	Dialect dialect.Dialect
	// DriverName is the database/sql driver name ("sqlite", "pgx", "mysql").
	DriverName string
	// DSN returns the data source name for one test. Each call may name a
	// fresh database (e.g. a new SQLite file) or the same one: every test
	// uses a table of its own.
	DSN func(t *testing.T) string
	// RawDSN, when set, turns a test's DSN into the one of the pool on
	// which the suite runs its own SQL behind the Modules' backs (reading
	// the lock table, deleting a row); by default that is the DSN itself.
	// Through a pooler in transaction mode, pgx needs
	// default_query_exec_mode=exec for the suite's own queries, which
	// the Modules must do without.
	RawDSN func(dsn string) string
	// Pooled says that DSN goes through a pooler in transaction mode
	// (PgBouncer): there a dialect may switch, once, to statements that
	// survive the pooler after one fails, and resend that one, so
	// counting allows one statement more, once.
	Pooled bool
}

// Run runs the whole suite as parallel subtests of t.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"AcquireRelease", testAcquireRelease},
		{"Reentrancy", testReentrancy},
		{"ReentrancyAcrossProcesses", testReentrancyAcrossProcesses},
		{"TokensAreHashed", testTokensAreHashed},
		{"TokenBoundToName", testTokenBoundToName},
		{"Expiry", testExpiry},
		{"ExtendKeepsLock", testExtendKeepsLock},
		{"LeaseRemembered", testLeaseRemembered},
		{"DoFollowsLease", testDoFollowsLease},
		{"LeaseOfOlderRows", testLeaseOfOlderRows},
		{"ExpiredTokenNotReused", testExpiredTokenNotReused},
		{"FenceMonotonic", testFenceMonotonic},
		{"WaitWokenByLocalRelease", testWaitWokenByLocalRelease},
		{"WaitNeverSleepsPastExpiry", testWaitNeverSleepsPastExpiry},
		{"WaitAcrossProcesses", testWaitAcrossProcesses},
		{"WaitWokenByRemoteRelease", testWaitWokenByRemoteRelease},
		{"WaitContextEnds", testWaitContextEnds},
		{"DoKeepsAlive", testDoKeepsAlive},
		{"DoLost", testDoLost},
		{"DoLostBeforeExpiry", testDoLostBeforeExpiry},
		{"DoReturnsFnError", testDoReturnsFnError},
		{"DoPanics", testDoPanics},
		{"DoReleaseRetried", testDoReleaseRetried},
		{"LostOutcomeGivenBack", testLostOutcomeGivenBack},
		{"WaitEndsWithLastError", testWaitEndsWithLastError},
		{"BackOffThroughOutage", testBackOffThroughOutage},
		{"LineIsFIFO", testLineIsFIFO},
		{"ReleaseWakesOne", testReleaseWakesOne},
		{"DeadHeadLapses", testDeadHeadLapses},
		{"GiveUpLeavesLine", testGiveUpLeavesLine},
		{"TakenDespiteStuckPlace", testTakenDespiteStuckPlace},
		{"IdleWaiterIsCheap", testIdleWaiterIsCheap},
		{"NoJumpingTheLine", testNoJumpingTheLine},
		{"ReentryIgnoresLine", testReentryIgnoresLine},
		{"GrantOnRelease", testGrantOnRelease},
		{"JoinsLineWithoutTrying", testJoinsLineWithoutTrying},
		{"DeadGranteeLapses", testDeadGranteeLapses},
		{"GiveUpRacingGrant", testGiveUpRacingGrant},
		{"BadNames", testBadNames},
		{"NamesStoredLiterally", testNamesStoredLiterally},
		{"BadTokens", testBadTokens},
		{"CancelledContext", testCancelledContext},
		{"UseAfterClose", testUseAfterClose},
		{"NoTable", testNoTable},
		{"CloseStopsDo", testCloseStopsDo},
		{"InspectList", testInspectList},
		{"Vacuum", testVacuum},
		{"FencesRiseUnderVacuum", testFencesRiseUnderVacuum},
		{"Migrate", testMigrate},
		{"OneStatementPerOperation", testOneStatement},
		{"RetriedAttempt", testRetriedAttempt},
		{"TokensNeverLogged", testTokensNeverLogged},
		{"NoConnectionLeaks", testNoConnectionLeaks},
		{"MutualExclusion", testMutualExclusion},
		{"GuardHoldsOffTakeover", testGuardHoldsOffTakeover},
		{"GuardRefuses", testGuardRefuses},
		{"GuardBound", testGuardBound},
		{"VacuumBesideGuard", testVacuumBesideGuard},
		{"ReleaseTx", testReleaseTx},
		{"DoTx", testDoTx},
		{"DoTxExclusion", testDoTxExclusion},
		{"DoTxOverrun", testDoTxOverrun},
		{"Lead", testLead},
		{"LeadLost", testLeadLost},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, h)
		})
	}
}

// bundle is what a test works with: one Module on its own pool and table.
type bundle struct {
	h     Harness
	dsn   string
	table string
	db    *sql.DB
	raw   *sql.DB // for the suite's own SQL (Harness.RawDSN)
	mod   *distlock.Module
	ctx   context.Context
}

// grants reports whether the dialect's releases grant the lock to the
// head of its line (dialect.Granter).
func (b *bundle) grants(t *testing.T) bool {
	t.Helper()
	st, err := b.h.Dialect.Bind(b.db, b.table)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, ok := st.(dialect.Granter)
	return ok && g.Grants()
}

// setup opens a pool, creates a fresh table and a Module on it.
func setup(t *testing.T, h Harness, cfg distlock.Config) *bundle {
	t.Helper()
	b := &bundle{h: h, dsn: h.DSN(t), table: "dlt_" + randomHex(6), ctx: t.Context()}
	cfg.Table = b.table
	b.db = b.open(t)
	b.raw = b.db
	if h.RawDSN != nil {
		raw, err := sql.Open(h.DriverName, b.rawDSN())
		if err != nil {
			t.Fatalf("sql.Open: %v", err)
		}
		t.Cleanup(func() { raw.Close() })
		b.raw = raw
	}
	b.mod = b.module(t, b.db, cfg)
	if err := b.mod.Migrate(b.ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return b
}

// open returns a new connection pool to the test's database, as another
// process would have.
func (b *bundle) open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open(b.h.DriverName, b.dsn)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rawDSN is the DSN of the pool on which the suite, or an application,
// runs its own SQL (Harness.RawDSN).
func (b *bundle) rawDSN() string {
	if b.h.RawDSN != nil {
		return b.h.RawDSN(b.dsn)
	}
	return b.dsn
}

// callerModule returns a Module on a pool of its own opened as an
// application opens the pool of its own SQL (behind a pooler: a
// pooler-safe one, Harness.RawDSN), for tests whose fn runs the
// caller's SQL in the Module's transactions (DoTx).
func (b *bundle) callerModule(t *testing.T, cfg distlock.Config) *distlock.Module {
	t.Helper()
	db, err := sql.Open(b.h.DriverName, b.rawDSN())
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return b.module(t, db, cfg)
}

// module returns a Module on db for the test's table.
func (b *bundle) module(t *testing.T, db *sql.DB, cfg distlock.Config) *distlock.Module {
	t.Helper()
	cfg.Table = b.table
	m, err := distlock.New(db, b.h.Dialect, cfg)
	if err != nil {
		t.Fatalf("distlock.New: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}

// peer returns a Module on the same table through a pool of its own.
func (b *bundle) peer(t *testing.T, cfg distlock.Config) *distlock.Module {
	t.Helper()
	return b.module(t, b.open(t), cfg)
}

// exec runs raw SQL (no arguments, so it is portable across placeholders).
func (b *bundle) exec(t *testing.T, query string) {
	t.Helper()
	if _, err := b.raw.ExecContext(b.ctx, query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func randomHex(n int) string {
	buf := make([]byte, n)
	rand.Read(buf)
	return hex.EncodeToString(buf)
}

// uniqueName returns a lock name no other test uses.
func uniqueName(prefix string) string { return prefix + "-" + randomHex(4) }

// short is a MaxTime that tests can wait out.
const short = time.Second
