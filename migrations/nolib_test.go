package migrations

import (
	"os/exec"
	"strings"
	"testing"
)

// Nothing in the library module, tests included, imports a migration
// library: Migrate is this package's runner, and a program that imports
// distlock and one dialect gets no migrate drivers for every database
// in its module graph (golang-migrate brought about 180 modules to
// go list -m all).
func TestNoMigrationLibrary(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the module's packages with")
	}
	cmd := exec.CommandContext(t.Context(), goTool, "list", "-deps", "-test", "github.com/distlock/distlock/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/golang-migrate/") {
			t.Errorf("the module depends on %s", pkg)
		}
	}
}
