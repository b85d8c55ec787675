package dsn

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/distlock/distlock/dialect/sqlite"
)

// parseSQLite parses what follows "sqlite:", "sqlite3:" or "file:": an
// optional "//" and then the file's path, taken literally.
func parseSQLite(rest string) (DSN, error) {
	path := strings.TrimPrefix(rest, "//")
	switch {
	case path == "":
		return DSN{}, fmt.Errorf("dsn: sqlite DSN without a file path: want sqlite:PATH")
	case strings.ContainsRune(path, '?'):
		return DSN{}, fmt.Errorf("dsn: sqlite DSN with parameters: distlock sets the journal mode and busy timeout itself; give only sqlite:PATH")
	case strings.ContainsRune(path, 0):
		return DSN{}, fmt.Errorf("dsn: sqlite file path holds a NUL byte")
	case path == ":memory:" || strings.HasPrefix(path, "file::memory:"):
		return DSN{}, fmt.Errorf("dsn: an in-memory SQLite database cannot be shared; give a file path")
	}
	redacted := "sqlite:" + path
	if strings.HasPrefix(path, "//") {
		redacted = "sqlite://" + path // so that it parses back to path
	}
	return DSN{
		Dialect:    SQLite,
		DriverName: sqlite.DriverName,
		DriverDSN:  sqlite.DSN(path),
		Path:       path,
		redacted:   redacted,
	}, nil
}

// ErrNoFile is returned by Existing when an SQLite DSN names a file that
// does not exist.
var ErrNoFile = errors.New("no such file: no lock was ever taken there")

// Existing returns an error wrapping ErrNoFile when d names an SQLite
// file that does not exist, and nil otherwise (for a server too). The
// commands that only act on locks that exist (ls, vacuum, release,
// extend) check it, so that a mistyped path is refused rather than
// created empty.
func (d DSN) Existing() error {
	if d.Dialect != SQLite {
		return nil
	}
	if _, err := os.Stat(d.Path); errors.Is(err, fs.ErrNotExist) {
		return ErrNoFile
	}
	return nil
}
