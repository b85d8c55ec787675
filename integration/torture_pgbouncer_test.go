package integration

import "testing"

// tortureTarget returns the database that TestTorture's subtest name
// tortures. "pgbouncer" is PostgreSQL through PgBouncer's transaction
// pooling with a plain DSN: its faults are PostgreSQL's (SIGKILL of a
// holder, pg_terminate_backend of every other server connection, the
// server's restart when DISTLOCK_TORTURE_RESTART_POSTGRES says how),
// its waiters poll (no LISTEN passes the pooler), and its statements run
// in the exec mode once the first named statement collides.
func tortureTarget(t *testing.T, name string) target {
	t.Helper()
	switch name {
	case "sqlite":
		return sqliteTarget(t)
	case "pgbouncer":
		return pgbouncerTarget(t)
	}
	return serverTarget(t, name)
}
