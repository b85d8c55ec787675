// Package bench measures distlock against the physical floor (two durable
// single-row writes) and against the locks a user would pick instead
// (pg_advisory_lock, GET_LOCK, cirello.io/pglock, flock), on PostgreSQL,
// MariaDB/MySQL and SQLite.
//
// It is a module of its own, so that the peers stay out of the library's
// go.mod. Its Go benchmarks are a quick check:
//
//	cd bench && go test -run='^$' -bench=. -benchmem ./...
//
// PostgreSQL and MySQL run when DISTLOCK_BENCH_POSTGRES_URL and
// DISTLOCK_BENCH_MYSQL_URL are set, and are skipped otherwise; SQLite
// always runs, in a temporary file. The full comparison, repeated and
// summarised into BENCHMARKS.md, is the command cmd/distlock-bench.
package bench
