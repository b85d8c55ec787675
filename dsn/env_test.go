package dsn

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	for _, tc := range []struct {
		name, explicit string
		env            map[string]string
		want           string
	}{
		{"explicit wins", "sqlite:a.db", map[string]string{EnvDSN: "sqlite:b.db", EnvDatabaseURL: "sqlite:c.db"}, "sqlite:a.db"},
		{"DISTLOCK_DSN", "", map[string]string{EnvDSN: "sqlite:b.db", EnvDatabaseURL: "sqlite:c.db"}, "sqlite:b.db"},
		{"DATABASE_URL", "", map[string]string{EnvDatabaseURL: "sqlite:c.db"}, "sqlite:c.db"},
		{"XDG_STATE_HOME", "", map[string]string{"XDG_STATE_HOME": filepath.Join(home, "xdg"), "HOME": home},
			"sqlite:" + filepath.Join(home, "xdg", "distlock", "locks.db")},
		{"relative XDG_STATE_HOME is ignored", "", map[string]string{"XDG_STATE_HOME": "rel", "HOME": home},
			"sqlite:" + filepath.Join(home, ".local", "state", "distlock", "locks.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Lookup(tc.explicit, func(k string) string { return tc.env[k] })
			if err != nil || got != tc.want {
				t.Errorf("Lookup = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	for _, dir := range []string{filepath.Join(home, "xdg", "distlock"), filepath.Join(home, ".local", "state", "distlock")} {
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o700 {
			t.Errorf("%s has mode %v, want 0700", dir, perm)
		}
	}
}

func TestLookupNoHome(t *testing.T) {
	t.Parallel()
	if got, err := Lookup("", func(string) string { return "" }); err == nil {
		t.Errorf("Lookup without HOME = %q, want an error", got)
	}
}
