// Package migrations holds the SQL that creates distlock's tables, one
// folder per dialect, in golang-migrate's file format
// (NNNN_title.up.sql / NNNN_title.down.sql), and the small runner that
// applies them (Up): Module.Migrate runs the up files of its dialect
// through it, with no migration library in between.
//
// The runner keeps golang-migrate's version table: named after the lock
// table (VersionTable: distlock_schema_migrations), one row with columns
// version (bigint, the primary key) and dirty (boolean), the version
// being the NNNN of the last file applied. It takes the advisory locks
// golang-migrate's PostgreSQL and MySQL drivers take (AdvisoryLockID), so
// that distlock's Migrate and the migrate CLI take turns and read each
// other's versions.
//
// How concurrent Migrates take turns differs per database (each dialect
// package implements Target): PostgreSQL runs the whole Migrate in one
// transaction under pg_advisory_xact_lock (nothing outlives it on a
// pooled server connection, and a failed migration rolls back with its
// version); MySQL and MariaDB hold GET_LOCK on one connection, waiting a
// second at a time so that the caller's ctx ends the wait, and mark a
// version dirty while its DDL, which commits by itself, runs; SQLite runs
// the whole Migrate in one BEGIN IMMEDIATE transaction.
//
// The files name the default table, distlock, so that they work as they
// are with the migrate CLI (golang-migrate v4.20.1, built with
// -tags 'postgres mysql sqlite'), from the repository's root, with the
// version table distlock's Migrate keeps (distlock_schema_migrations):
//
//	migrate -path migrations/postgres -database 'postgres://USER:PASS@HOST:5432/DB?sslmode=disable&x-migrations-table=distlock_schema_migrations' up
//	migrate -path migrations/mysql -database 'mysql://USER:PASS@tcp(HOST:3306)/DB?x-migrations-table=distlock_schema_migrations' up
//	migrate -path migrations/sqlite -database 'sqlite:///path/to/locks.db?x-migrations-table=distlock_schema_migrations' up
//
// The migrate CLI's mysql URL is go-sql-driver's DSN after "mysql://"
// (tcp(HOST:PORT)), not distlock's mysql://USER:PASS@HOST:PORT/DB form;
// its query string must exist, so x-migrations-table goes after "?" or
// "&" as the URL already has parameters or not. A database migrated so
// is one distlock's Migrate (and "distlock migrate") then leaves as it
// is, and the other way round.
//
// Every migration must be idempotent (IF NOT EXISTS, INSERT IGNORE…):
// the runner runs a version left dirty again, whether a crash left it
// so or a Migrate running at the same time in another process (on
// another Galera node, say) is applying it. ADD COLUMN has no IF NOT
// EXISTS on SQLite and MySQL (MariaDB runs the files' /*M! IF NOT EXISTS
// */): SQLite's Migrate runs each migration and its version update in one
// write transaction, so it never leaves a version dirty (only the migrate
// CLI can, crashing between the two; "migrate force" then records the
// version), and MySQL's takes "duplicate column" on a re-run for done.
// Each MySQL file holds one statement: a connection may not allow
// multi-statements.
//
// For another table name, For renders them with every object renamed
// and quoted (distlock → "name", distlock_meta → "name_meta", …).
package migrations

import (
	"embed"
	"io/fs"
	"path"
	"regexp"

	"github.com/distlock/distlock/dialect"
)

//go:embed sqlite/*.sql postgres/*.sql mysql/*.sql
var files embed.FS

// dialects lists the folders of files, one per dialect.
var dialects = map[string]bool{"sqlite": true, "postgres": true, "mysql": true}

// VersionTable is the name of golang-migrate's version table for a lock
// table: each lock table keeps its own schema version.
func VersionTable(table string) string { return table + dialect.VersionSuffix }

// render returns the file name of dialectName's migrations rendered for
// table (see Rename).
func render(dialectName, table, name string) ([]byte, error) {
	data, err := fs.ReadFile(files, path.Join(dialectName, name))
	if err != nil {
		return nil, err
	}
	return Rename(data, table, Quote(dialectName)), nil
}

// objectName matches the default table's name and every object named
// after it (distlock_meta, distlock_expires_at_idx, …) as whole words.
var objectName = regexp.MustCompile(`\bdistlock((?:_[a-z0-9]+)*)\b`)

// Rename rewrites the SQL of a migration for table, quoting each renamed
// object with quote (" for SQLite and PostgreSQL, ` for MySQL) so that a
// table named like a keyword works. table must have passed
// dialect.ValidTable, so it cannot change the statements' meaning.
func Rename(sql []byte, table, quote string) []byte {
	if table == dialect.DefaultTable {
		return sql
	}
	return objectName.ReplaceAll(sql, []byte(quote+table+"${1}"+quote))
}

// Quote returns the identifier quote of a dialect.
func Quote(dialectName string) string {
	if dialectName == "mysql" {
		return "`"
	}
	return `"`
}
