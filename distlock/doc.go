// Package distlock gives processes that share one SQL database (SQLite,
// PostgreSQL or MySQL/MariaDB) reentrant, expiring, named mutexes whose
// tokens can be handed from one process to another. It needs nothing but
// the database the processes already have.
//
// # Getting started
//
// Open the database, pick the dialect, create the table once:
//
//	db, err := sqlite.Open("/var/lib/myapp/locks.db") // or sql.Open("pgx", …), sql.Open("mysql", …)
//	mod, err := distlock.New(db, sqlite.Dialect(), distlock.Config{MaxTime: time.Minute})
//	defer mod.Close()                                 // never closes db
//	err = mod.Migrate(ctx)                            // idempotent
//
// Then take locks by name:
//
//	lock := mod.Get("nightly-report")
//	if err := lock.Acquire(ctx); err != nil { … }     // waits until free or ctx ends
//	defer lock.Release(ctx)
//
// or let Do acquire, keep the lock alive while your function runs, and
// release it:
//
//	err := mod.Get("nightly-report").Do(ctx, func(ctx context.Context) error { … })
//
// # Semantics
//
// A lock is held by a Token: 256 random bits, printable and shell-safe.
// The database stores only a SHA-256 hash of it, so reading the table
// never lets anyone extend or release a lock. Tokens never appear in logs
// or errors; printing or encoding a Token by accident (fmt, log/slog,
// encoding/json) redacts it, and string(tok) is the deliberate way to
// hand one over.
//
// An acquisition lasts its lease, Config.MaxTime (or WithMaxTime's),
// measured by the database's clock, never the client's: clients with
// skewed clocks cannot both hold a lock. The lock's row remembers the
// lease: Extend renews that one, from any process, and never brings the
// expiry closer; Do extends every third of it while its function runs.
//
// Locks are reentrant: acquiring again through the same handle, or through
// a handle Attached to the same token in any process, counts one more
// hold, and the lock is free once every hold is released.
//
// Every new acquisition of a name gets a fencing token (Lock.Fence)
// greater than those of all earlier acquisitions of that name, across
// release, expiry and Vacuum. Pass it to the resource you protect so that
// it can reject a holder whose lock has expired.
//
// Acquire, Extend and Release are each one SQL statement: one round trip,
// no transaction (on SQLite, an attempt of a waiting Acquire that finds the
// lock held reads the holder's expiry too).
//
// A waiting Acquire that finds the lock held takes a place in the lock's
// line, first come first served, and waits without writing but to renew
// its place (every 250 ms; a place lapses 750 ms after its waiter stops
// renewing it, so a waiter that died holds up nobody for long). While a
// lock has a live line, a free lock goes only to the head of the line,
// and a release wakes the head alone: at once in the same Module and, on
// PostgreSQL, anywhere (LISTEN/NOTIFY); elsewhere the first waiter of each
// Module polls with reads. Info.Waiters counts the line.
//
// The release goes further: it grants the lock to the head of the line in
// its own statement and commit (a new acquisition, with its own fence,
// made durably), and the woken waiter holds the lock without sending
// another statement. Until its holder makes the lease its
// own with an Extend, which it does in the background 50 ms later (a
// lock released sooner never needs one), a granted lock lasts only as
// long as the waiter's place would have: a waiter that died in line
// stalls the lock less than a second. A waiter that gives up just as it
// is granted the lock gives it back.
//
// # Failures
//
// A waiting Acquire waits through what retrying survives: a lost
// connection, a statement cut short, a server that cannot serve now (a
// restart, a standby not yet promoted, a cluster node outside the primary
// component). When its context ends meanwhile, the error says why it
// waited in vain: it matches ErrNotAcquired, ctx.Err() and the last
// *DBError.
//
// When a failure hides whether an acquire statement took the lock (its
// reply came after the caller's deadline, or the connection broke after
// the server ran it), the call fails, and the acquisition it may have made
// is given back in the background, on a context of its own, with a few
// bounded attempts (Close waits for them): no lock stays held for MaxTime
// by a token nobody has.
//
// Do releases the lock when its function returns, panics or calls
// runtime.Goexit, and retries that release through lost connections and
// unavailable servers for up to 30 seconds.
//
// # Errors
//
// Errors match the sentinels below with errors.Is: ErrNotAcquired (joined
// with ctx.Err() when a wait ends), ErrExpired, ErrNotHeld, ErrLost,
// ErrInvalidName, ErrInvalidToken, ErrInvalidConfig, ErrClosed, and
// ErrNoTable when Migrate has not been run. Database failures are *DBError
// values, whose SafeToRetry and Timeout methods classify them; they unwrap
// to the driver's error, whose message names the host, never a password.
//
// # Package layout
//
// This package imports no database driver. Each database lives in its own
// package under dialect/, with its SQL and migrations; dialect/dialecttest
// is the conformance suite they all pass.
package distlock
