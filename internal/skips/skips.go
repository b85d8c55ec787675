// Package skips records the tests of a run that were skipped for want of
// a database, and appends them to the file $DISTLOCK_SKIP_REPORT names, so
// that "make test" can list them at its end: go test shows nothing of a
// package that passed, and "ok" over a dozen skipped tests misleads.
package skips

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// EnvReport names the file the skips are appended to.
const EnvReport = "DISTLOCK_SKIP_REPORT"

var (
	mu   sync.Mutex
	list []string
)

// Skip records t's skip with its reason, then skips t.
func Skip(t testing.TB, reason string) {
	t.Helper()
	mu.Lock()
	list = append(list, t.Name()+": "+reason)
	mu.Unlock()
	t.Skip(reason)
}

// Report appends the skips recorded so far to $DISTLOCK_SKIP_REPORT, one
// line each, prefixed with the test binary's name; call it from TestMain
// after m.Run. Without the variable it does nothing.
func Report() {
	path := os.Getenv(EnvReport)
	mu.Lock()
	defer mu.Unlock()
	if path == "" || len(list) == 0 {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "skips:", err)
		return
	}
	defer f.Close()
	pkg := strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
	for _, s := range list {
		fmt.Fprintf(f, "%s: %s\n", pkg, s)
	}
}
