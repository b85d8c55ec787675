package dialect

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultTable is the lock table's name unless configured otherwise.
const DefaultTable = "distlock"

// MaxTableLen leaves room for the suffixes of the objects named after the
// table (e.g. "_schema_migrations") within PostgreSQL's 63-byte and
// MySQL's 64-byte identifier limits.
const MaxTableLen = 40

// VersionSuffix ends the name of the version table of a lock table (in
// golang-migrate's format, which Migrate and the migrate CLI share).
const VersionSuffix = "_schema_migrations"

// ObjectSuffixes end the names of the objects that the migrations create
// beside a lock table (<table>_meta, <table>_fence_seq, …), so that no
// lock table may be named like one of another lock table's objects.
var ObjectSuffixes = []string{"_meta", "_fence_seq", "_fence_floor", "_expires_at_idx", "_queue", "_queue_name_idx", "_ticket_seq", VersionSuffix}

// ErrInvalidTable is returned by ValidTable.
var ErrInvalidTable = errors.New("invalid table name")

// ValidTable reports whether name may be used as the lock table's name on
// every supported database: 1 to MaxTableLen bytes of lower-case ASCII
// letters, digits and underscores, not starting with a digit. Nothing it
// accepts can change the meaning of a statement, and dialects quote it
// anyway, so SQL keywords ("order", "if") are fine.
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
	for _, suffix := range ObjectSuffixes {
		if strings.HasSuffix(name, suffix) {
			return fmt.Errorf("%w %q: names ending in %q are taken by the objects of other lock tables", ErrInvalidTable, name, suffix)
		}
	}
	return nil
}
