package dsn

import (
	"fmt"
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
