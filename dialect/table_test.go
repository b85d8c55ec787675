package dialect

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

var tableShape = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,39}$`)

func TestValidTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ok   bool
	}{
		{"distlock", true},
		{"my_locks2", true},
		{"_x", true},
		{"_", true},
		{"x", true},
		{"a1", true},
		{"selected", true}, // contains a keyword, is not one
		{"lock_table", true},
		{strings.Repeat("a", 40), true},
		{"_" + strings.Repeat("9", 39), true},
		{"", false},
		{strings.Repeat("a", 41), false},
		{"Locks", false},
		{"distLock", false},
		{"1abc", false},
		{"9", false},
		{"a-b", false},
		{"a b", false},
		{" distlock", false},
		{"distlock\n", false},
		{`"distlock"`, false},
		{"a'b", false},
		{"`a`", false},
		{"a;b", false},
		{"x; drop table y", false},
		{"a.b", false},
		{"a$b", false},
		{"é", false},
		{"a\x00", false},
		{"select", false},
		{"table", false},
		{"drop", false},
		{"lock", false},
		{"user", false},
		{"order", false},
		{"key", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ValidTable(tt.name)
			if tt.ok && err != nil {
				t.Fatalf("ValidTable(%q) = %v, want nil", tt.name, err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidTable) {
				t.Fatalf("ValidTable(%q) = %v, want ErrInvalidTable", tt.name, err)
			}
		})
	}
}

func TestValidTableRejectsEveryListedKeyword(t *testing.T) {
	t.Parallel()
	if len(reserved) == 0 {
		t.Fatal("no reserved words")
	}
	for w := range reserved {
		if !tableShape.MatchString(w) {
			t.Errorf("reserved word %q could never pass the character check", w)
		}
		if err := ValidTable(w); !errors.Is(err, ErrInvalidTable) {
			t.Errorf("ValidTable(%q) = %v, want ErrInvalidTable", w, err)
		}
	}
}

// TestValidTableRejectsKeywordsOfSupportedDatabases: ValidTable promises
// names usable unquoted on every supported database. Each word below was
// checked to fail as an unquoted table name (CREATE TABLE w (x int)) on
// the database in its comment: SQLite 3, PostgreSQL 15 (pg_get_keywords
// category R or T), MariaDB.
func TestValidTableRejectsKeywordsOfSupportedDatabases(t *testing.T) {
	t.Parallel()
	for _, w := range []string{
		"if", "exists", "set", "add", "alter", "between", "commit", "transaction", "escape", // SQLite
		"for", "window", "offset", "fetch", "true", "false", "only", "any", "array", "cast", "do", // PostgreSQL
		"range", "interval", "match", "read", "write", "rename", "replace", "show", "use", "int", "rows", // MariaDB
	} {
		if err := ValidTable(w); !errors.Is(err, ErrInvalidTable) {
			t.Errorf("ValidTable(%q) = %v, want ErrInvalidTable: it is a keyword of a supported database", w, err)
		}
	}
}

func FuzzValidTable(f *testing.F) {
	for _, s := range []string{
		"distlock", "my_locks2", "_x", "", "Locks", "1abc", "a-b", "select",
		"x; drop table y", strings.Repeat("a", 40), strings.Repeat("a", 41),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidTable(name)
		if err != nil {
			if !errors.Is(err, ErrInvalidTable) {
				t.Fatalf("ValidTable(%q) = %v, want ErrInvalidTable", name, err)
			}
			if tableShape.MatchString(name) && !reserved[name] {
				t.Fatalf("ValidTable(%q) rejected a well-formed name: %v", name, err)
			}
			return
		}
		if !tableShape.MatchString(name) {
			t.Fatalf("ValidTable(%q) accepted a name outside %v", name, tableShape)
		}
		if reserved[name] {
			t.Fatalf("ValidTable(%q) accepted a reserved word", name)
		}
	})
}
