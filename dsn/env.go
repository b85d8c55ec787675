package dsn

import (
	"fmt"
	"os"
	"path/filepath"
)

// Environment variables read by Lookup, in this order.
const (
	EnvDSN         = "DISTLOCK_DSN"
	EnvDatabaseURL = "DATABASE_URL"
)

// Lookup returns the connection string a command should use: explicit
// if it is not empty, else $DISTLOCK_DSN, else $DATABASE_URL, else
// "sqlite:" and DefaultPath, whose directory Lookup then creates (mode
// 0700) if needed. getenv is os.Getenv or a stand-in.
func Lookup(explicit string, getenv func(string) string) (string, error) {
	for _, s := range []string{explicit, getenv(EnvDSN), getenv(EnvDatabaseURL)} {
		if s != "" {
			return s, nil
		}
	}
	path, err := DefaultPath(getenv)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("dsn: default database: %w", err)
	}
	return "sqlite:" + path, nil
}

// DefaultPath returns the SQLite file used when no connection string is
// given: $XDG_STATE_HOME/distlock/locks.db, or
// $HOME/.local/state/distlock/locks.db when XDG_STATE_HOME is unset or not
// absolute (as the XDG Base Directory specification asks).
func DefaultPath(getenv func(string) string) (string, error) {
	if dir := getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "distlock", "locks.db"), nil
	}
	if home := getenv("HOME"); filepath.IsAbs(home) {
		return filepath.Join(home, ".local", "state", "distlock", "locks.db"), nil
	}
	return "", fmt.Errorf("dsn: no database given (--dsn, $%s, $%s) and no default: set $HOME or $XDG_STATE_HOME", EnvDSN, EnvDatabaseURL)
}
