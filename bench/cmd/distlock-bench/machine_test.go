package main

import (
	"slices"
	"testing"
)

func TestPorcelainFiles(t *testing.T) {
	for _, c := range []struct {
		out  string
		want []string
	}{
		{"", nil},
		// The first entry's status starts with a space: its path keeps
		// its first character.
		{" M dialect/sqlite/queue.go\x00M  distlock/line.go\x00?? distlock/new file.go\x00",
			[]string{"dialect/sqlite/queue.go", "distlock/line.go", "distlock/new file.go"}},
		{"R  distlock/new.go\x00distlock/old.go\x00 D migrations/x.sql\x00",
			[]string{"distlock/new.go", "migrations/x.sql"}},
	} {
		if got := porcelainFiles(c.out); !slices.Equal(got, c.want) {
			t.Errorf("porcelainFiles(%q) = %q, want %q", c.out, got, c.want)
		}
	}
}
