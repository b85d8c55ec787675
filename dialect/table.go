package dialect

import (
	"errors"
	"fmt"
)

// DefaultTable is the lock table's name unless configured otherwise.
const DefaultTable = "distlock"

// MaxTableLen leaves room for the suffixes of the objects named after the
// table (e.g. "_schema_migrations") within PostgreSQL's 63-byte and
// MySQL's 64-byte identifier limits.
const MaxTableLen = 40

// ErrInvalidTable is returned by ValidTable.
var ErrInvalidTable = errors.New("invalid table name")

// reserved holds SQL keywords that are reserved in at least one of the
// supported databases and would make the unquoted name fail.
var reserved = map[string]bool{
	"all": true, "and": true, "as": true, "by": true, "case": true, "check": true,
	"column": true, "create": true, "default": true, "delete": true, "desc": true,
	"distinct": true, "drop": true, "else": true, "end": true, "from": true,
	"grant": true, "group": true, "having": true, "in": true, "index": true,
	"insert": true, "into": true, "is": true, "join": true, "key": true,
	"limit": true, "lock": true, "not": true, "null": true, "on": true, "or": true,
	"order": true, "primary": true, "references": true, "select": true,
	"table": true, "then": true, "to": true, "union": true, "unique": true,
	"update": true, "user": true, "using": true, "values": true, "when": true,
	"where": true, "with": true,
}

// ValidTable reports whether name may be used, unquoted, as the lock
// table's name on every supported database: 1 to MaxTableLen bytes of
// lower-case ASCII letters, digits and underscores, not starting with a
// digit, and not a reserved word. It never lets anything through that
// could change the meaning of a statement the name is formatted into.
func ValidTable(name string) error {
	if name == "" || len(name) > MaxTableLen {
		return fmt.Errorf("%w %q: must be 1 to %d bytes", ErrInvalidTable, name, MaxTableLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c == '_':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return fmt.Errorf("%w %q: use lower-case letters, digits and underscores, not starting with a digit", ErrInvalidTable, name)
		}
	}
	if reserved[name] {
		return fmt.Errorf("%w %q: it is an SQL keyword", ErrInvalidTable, name)
	}
	return nil
}
