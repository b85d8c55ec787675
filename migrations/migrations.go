// Package migrations holds the SQL that creates distlock's tables, one
// folder per dialect, in golang-migrate's file format
// (NNNN_title.up.sql / NNNN_title.down.sql).
//
// The files name the default table, distlock, so that they work as they
// are with the migrate CLI:
//
//	migrate -path migrations/postgres -database "$DATABASE_URL&x-migrations-table=distlock_schema_migrations" up
//
// For another table name, For renders them with every object renamed
// (distlock → name, distlock_meta → name_meta, …).
package migrations

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"time"

	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/distlock/distlock/dialect"
)

//go:embed sqlite/*.sql
var files embed.FS

// VersionTable is the name of golang-migrate's version table for a lock
// table: each lock table keeps its own schema version.
func VersionTable(table string) string { return table + "_schema_migrations" }

// For returns the migrations of dialect ("sqlite", "postgres", "mysql")
// rendered for table, as a file system whose root holds the .sql files.
func For(dialectName, table string) (fs.FS, error) {
	if err := dialect.ValidTable(table); err != nil {
		return nil, err
	}
	if _, err := fs.Stat(files, dialectName); err != nil {
		return nil, fmt.Errorf("migrations: no migrations for dialect %q", dialectName)
	}
	sub, err := fs.Sub(files, dialectName)
	if err != nil {
		return nil, err
	}
	return renamedFS{fsys: sub, table: table}, nil
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

// Rename rewrites the SQL of a migration for table. table must have passed
// dialect.ValidTable, so it cannot change the statements' meaning.
func Rename(sql []byte, table string) []byte {
	if table == dialect.DefaultTable {
		return sql
	}
	return objectName.ReplaceAll(sql, []byte(table+"$1"))
}

// renamedFS serves the embedded files with Rename applied.
type renamedFS struct {
	fsys  fs.FS
	table string
}

func (r renamedFS) Open(name string) (fs.File, error) {
	f, err := r.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		return f, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	data = Rename(data, r.table)
	return &memFile{Reader: bytes.NewReader(data), name: info.Name(), size: int64(len(data))}, nil
}

func (r renamedFS) ReadDir(name string) ([]fs.DirEntry, error) {
	return fs.ReadDir(r.fsys, name)
}

type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *memFile) Close() error               { return nil }

// memFile is its own FileInfo.
func (f *memFile) Name() string       { return f.name }
func (f *memFile) Size() int64        { return f.size }
func (f *memFile) Mode() fs.FileMode  { return 0o444 }
func (f *memFile) ModTime() time.Time { return time.Time{} }
func (f *memFile) IsDir() bool        { return false }
func (f *memFile) Sys() any           { return nil }
