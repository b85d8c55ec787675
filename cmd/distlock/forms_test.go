package main

import (
	"strings"
	"testing"

	"github.com/distlock/distlock/internal/clitest"
)

// TestDriverForms runs the binary with a libpq keyword/value string
// against PostgreSQL and a go-sql-driver DSN against MySQL/MariaDB (made
// from the test servers' URLs), given by --dsn, $DISTLOCK_DSN and
// $DATABASE_URL: migrate, acquire, ls, extend and release work, and the
// password shows in nothing the commands print, -v logs included.
func TestDriverForms(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"postgres", "mysql"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t, name)
			form, pw := clitest.DriverForm(t, b.dsn)
			b.dsn = form // $DISTLOCK_DSN
			var printed strings.Builder
			run := func(code int, env []string, args ...string) result {
				t.Helper()
				r := b.run(t, "", env, args...)
				r.expect(t, code)
				printed.WriteString(r.stdout + r.stderr)
				return r
			}
			noEnv := "DISTLOCK_DSN=" // the last value of a variable counts
			run(0, nil, "-v", "migrate")
			tok := strings.TrimSpace(run(0, nil, "-v", "acquire", "--maxtime", "1m", "forms").stdout)
			if e, ok := parseLs(t, run(0, []string{noEnv}, "ls", "--json", "--dsn", form).stdout)["forms"]; !ok || e.Holds != 1 {
				t.Fatalf("ls --dsn: forms is not held once: %+v", e)
			}
			run(0, []string{noEnv, "DATABASE_URL=" + form, "DISTLOCK_TOKEN=" + tok}, "-v", "extend", "forms")
			run(0, []string{"DISTLOCK_TOKEN=" + tok}, "release", "forms", "--dsn", form)
			if _, ok := parseLs(t, run(0, nil, "ls", "--json").stdout)["forms"]; ok {
				t.Error("forms is still held after release")
			}
			run(exitExpired, []string{"DISTLOCK_TOKEN=" + tok}, "release", "forms")
			if clitest.ShowsPassword(printed.String(), pw) {
				t.Errorf("the commands printed the password:\n%s", printed.String())
			}
		})
	}
}
