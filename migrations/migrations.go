// Package migrations holds the SQL that creates distlock's tables, one
// folder per dialect, in golang-migrate's file format
// (NNNN_title.up.sql / NNNN_title.down.sql).
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
// Up re-runs a migration that an interrupted run left dirty.
//
// For another table name, For renders them with every object renamed
// and quoted (distlock → "name", distlock_meta → "name_meta", …).
package migrations

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"time"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/distlock/distlock/dialect"
)

//go:embed sqlite/*.sql postgres/*.sql mysql/*.sql
var files embed.FS

// dialects lists the folders of files, one per dialect.
var dialects = map[string]bool{"sqlite": true, "postgres": true, "mysql": true}

// VersionTable is the name of golang-migrate's version table for a lock
// table: each lock table keeps its own schema version.
func VersionTable(table string) string { return table + dialect.VersionSuffix }

// For returns the migrations of dialect ("sqlite", "postgres", "mysql")
// rendered for table, as a read-only file system whose root holds the
// .sql files.
func For(dialectName, table string) (fs.FS, error) {
	if err := dialect.ValidTable(table); err != nil {
		return nil, err
	}
	if !dialects[dialectName] {
		return nil, fmt.Errorf("migrations: no migrations for dialect %q", dialectName)
	}
	entries, err := fs.ReadDir(files, dialectName)
	if err != nil {
		return nil, err
	}
	out := memFS{}
	for _, e := range entries {
		data, err := fs.ReadFile(files, path.Join(dialectName, e.Name()))
		if err != nil {
			return nil, err
		}
		out[e.Name()] = Rename(data, table, Quote(dialectName))
	}
	return out, nil
}

// Source returns For(dialectName, table) as a golang-migrate source.
func Source(dialectName, table string) (source.Driver, error) {
	fsys, err := For(dialectName, table)
	if err != nil {
		return nil, err
	}
	return iofs.New(fsys, ".")
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

// memFS is a flat, read-only file system of rendered files.
type memFS map[string][]byte

func (m memFS) Open(name string) (fs.File, error) {
	if name == "." {
		return &memDir{fsys: m}, nil
	}
	data, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{Reader: bytes.NewReader(data), info: memInfo{name: name, size: int64(len(data))}}, nil
}

func (m memFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name != "." {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	names := slices.Sorted(maps.Keys(m))
	entries := make([]fs.DirEntry, len(names))
	for i, n := range names {
		entries[i] = fs.FileInfoToDirEntry(memInfo{name: n, size: int64(len(m[n]))})
	}
	return entries, nil
}

type memFile struct {
	*bytes.Reader
	info memInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

type memDir struct {
	fsys memFS
	off  int // entries already returned by ReadDir
}

func (d *memDir) Stat() (fs.FileInfo, error) { return memInfo{name: ".", dir: true}, nil }
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: ".", Err: fs.ErrInvalid}
}
func (d *memDir) Close() error { return nil }

// ReadDir follows fs.ReadDirFile: n > 0 returns at most n entries and
// io.EOF at the end; n <= 0 returns all that remain.
func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	all, _ := d.fsys.ReadDir(".")
	rest := all[d.off:]
	if n > 0 {
		if len(rest) == 0 {
			return nil, io.EOF
		}
		rest = rest[:min(n, len(rest))]
	}
	d.off += len(rest)
	return rest, nil
}

type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string { return i.name }
func (i memInfo) Size() int64  { return i.size }
func (i memInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }

// Up applies every pending migration with m, stopping between migrations
// if ctx ends. All distlock migrations are idempotent, so a version left
// dirty by an interrupted run is simply run again. No change is success.
func Up(ctx context.Context, m *migrate.Migrate) error {
	done := make(chan error, 1)
	go func() { done <- up(m) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		m.GracefulStop <- true
		if err = <-done; err == nil {
			err = ctx.Err()
		}
	}
	if errors.Is(err, migrate.ErrNoChange) {
		return nil
	}
	return err
}

func up(m *migrate.Migrate) error {
	var err error
	for attempt := range 20 {
		err = m.Up()
		var dirty migrate.ErrDirty
		if !errors.As(err, &dirty) {
			return err
		}
		// Another process may be running that very migration (SQLite's
		// driver has no cross-process lock), or one crashed in it. Go back
		// to the version before the dirty one (versions are numbered 1,
		// 2, 3…; none at all before the first) and run it again, after a
		// pause that lets a running one finish.
		prev := dirty.Version - 1
		if prev < 1 {
			prev = database.NilVersion
		}
		time.Sleep(time.Duration(attempt*attempt) * time.Millisecond)
		if err := m.Force(prev); err != nil {
			return err
		}
	}
	return err
}

// Cause returns the driver's error inside golang-migrate's database.Error
// (which has no Unwrap; drivers return it by value or by pointer), or err
// itself, so that dialects can classify the errors of Migrate like any
// other.
func Cause(err error) error {
	var me database.Error
	if errors.As(err, &me) && me.OrigErr != nil {
		return me.OrigErr
	}
	var pme *database.Error
	if errors.As(err, &pme) && pme != nil && pme.OrigErr != nil {
		return pme.OrigErr
	}
	return err
}
