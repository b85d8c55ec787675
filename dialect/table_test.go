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
		{"lock_table", true},
		// Keywords are fine: dialects quote the name.
		{"select", true},
		{"order", true},
		{"table", true},
		{"if", true},
		{"for", true},
		{"user", true},
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
		{"distlock_meta", false},
		{"distlock_schema_migrations", false},
		{"meta", true},
		{"é", false},
		{"a\x00", false},
		{"select;", false},
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
			if tableShape.MatchString(name) {
				t.Fatalf("ValidTable(%q) rejected a well-formed name: %v", name, err)
			}
			return
		}
		if !tableShape.MatchString(name) {
			t.Fatalf("ValidTable(%q) accepted a name outside %v", name, tableShape)
		}
	})
}
