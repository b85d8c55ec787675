package skips

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "skipped")
	t.Setenv(EnvReport, path)
	t.Run("NoServer", func(t *testing.T) { Skip(t, "$X is not set") })
	Report()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); !strings.HasSuffix(got, ": TestReport/NoServer: $X is not set\n") || strings.Count(got, "\n") != 1 {
		t.Fatalf("report %q", got)
	}
}
