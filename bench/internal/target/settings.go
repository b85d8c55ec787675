package target

import (
	"context"
	"fmt"
	"strings"
)

// Settings describes a database's version and the settings that decide
// what a commit costs.
type Settings struct {
	Version string
	// Durability lists the settings that make a commit durable, as
	// "name=value" pairs, in a fixed order.
	Durability []string
	// Durable is false when a setting trades durability for speed
	// (synchronous_commit or fsync off, innodb_flush_log_at_trx_commit
	// other than 1, SQLite synchronous below FULL in WAL).
	Durable bool
}

// String is "version; name=value, …".
func (s Settings) String() string {
	return s.Version + "; " + strings.Join(s.Durability, ", ")
}

// Settings reads the database's version and durability settings.
func (t *Target) Settings(ctx context.Context) (Settings, error) {
	var q []string // the version first, then one query per setting
	var names []string
	switch t.Name {
	case Postgres:
		q = []string{"SELECT version()", "SHOW synchronous_commit", "SHOW fsync", "SHOW wal_sync_method"}
		names = []string{"synchronous_commit", "fsync", "wal_sync_method"}
	case MySQL:
		q = []string{"SELECT CONCAT(@@version, ' ', @@version_comment)", "SELECT @@innodb_flush_log_at_trx_commit",
			"SELECT @@innodb_flush_method", "SELECT @@log_bin", "SELECT @@sync_binlog"}
		names = []string{"innodb_flush_log_at_trx_commit", "innodb_flush_method", "log_bin", "sync_binlog"}
	case SQLite:
		q = []string{"SELECT 'SQLite ' || sqlite_version()", "PRAGMA journal_mode", "PRAGMA synchronous"}
		names = []string{"journal_mode", "synchronous"}
	default:
		return Settings{}, fmt.Errorf("target: unknown database %q", t.Name)
	}
	// One connection for every query: SQLite's pragmas are per connection,
	// and the value the pool's connections get is what counts.
	conn, err := t.DB.Conn(ctx)
	if err != nil {
		return Settings{}, fmt.Errorf("target %s: %w", t.Name, err)
	}
	defer conn.Close()
	vals := make([]string, len(q))
	for i, query := range q {
		if err := conn.QueryRowContext(ctx, query).Scan(&vals[i]); err != nil {
			return Settings{}, fmt.Errorf("target %s: %s: %w", t.Name, query, err)
		}
	}
	s := Settings{Version: vals[0], Durable: true}
	if i := strings.Index(s.Version, " on "); t.Name == Postgres && i > 0 {
		s.Version = s.Version[:i] // drop the build triple and compiler
	}
	for i, n := range names {
		s.Durability = append(s.Durability, n+"="+vals[i+1])
	}
	switch t.Name {
	case Postgres:
		// Every level but off waits for the local WAL flush.
		s.Durable = vals[1] != "off" && vals[2] == "on"
	case MySQL:
		s.Durable = vals[1] == "1"
	case SQLite:
		// In WAL, NORMAL (1) skips the fsync at commit; FULL (2) and
		// EXTRA (3) do it.
		s.Durable = vals[2] == "2" || vals[2] == "3"
	}
	return s, nil
}
