package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/distlock/distlock/internal/cli"
)

func TestLs(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *backend) {
		b.mustRun(t, "migrate") // an SQLite file must exist for ls (TestMissingSQLiteFile)
		if out := b.mustRun(t, "ls"); out != "NAME  OWNER  HOLDS  FENCE  LEASE  EXPIRES IN\n" {
			t.Errorf("ls of no locks = %q", out)
		}
		tokA := b.acquire(t, "--owner", "web1:42", "--maxtime", "1h", "alpha")
		tokB := b.acquire(t, "--owner", "cron job", "--maxtime", "90s", "beta\tgamma")
		out := b.mustRun(t, "ls")
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 3 {
			t.Fatalf("ls = %q, want a header and 2 locks", out)
		}
		for i, re := range []string{
			`^NAME +OWNER +HOLDS +FENCE +LEASE +EXPIRES IN$`,
			`^alpha +web1:42 +1 +[0-9]+ +1h0m0s +(59m[0-9]+s|1h0m0s)$`,
			`^"beta\\tgamma" +"cron job" +1 +[0-9]+ +1m30s +1m[0-9]+s$`,
		} {
			if !regexp.MustCompile(re).MatchString(lines[i]) {
				t.Errorf("line %d %q does not match %s", i, lines[i], re)
			}
		}
		// Aligned: every line has its EXPIRES IN in the same column.
		col := strings.Index(lines[0], "EXPIRES IN")
		for _, l := range lines[1:] {
			if len(l) < col || l[col-1] != ' ' || l[col] == ' ' {
				t.Errorf("line %q is not aligned with the header", l)
			}
		}

		entries := parseLs(t, b.mustRun(t, "ls", "--json"))
		a, ok := entries["alpha"]
		if !ok || a.Owner != "web1:42" || a.Holds != 1 || a.Fence < 1 || a.ExpiresIn < 3500 || a.ExpiresIn > 3600 || a.Lease != 3600 {
			t.Errorf("ls --json alpha = %+v", a)
		}
		if d := a.ExpiresAt.Sub(a.AcquiredAt); d < time.Hour-time.Second || d > time.Hour+time.Second {
			t.Errorf("alpha acquired %v, expires %v", a.AcquiredAt, a.ExpiresAt)
		}
		if _, ok := entries["beta\tgamma"]; !ok || len(entries) != 2 {
			t.Errorf("ls --json = %+v", entries)
		}
		all := out + b.mustRun(t, "ls", "--json")
		if strings.Contains(all, string(tokA)) || strings.Contains(all, string(tokB)) || strings.Contains(all, "dl1_") {
			t.Error("ls shows a token")
		}
	})
}

func TestPrintable(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"deploy": "deploy", "a:b/c": "a:b/c", "": `""`, "a b": `"a b"`, "a\tb": `"a\tb"`,
		"\x1b[31mred": `"\x1b[31mred"`, `q"uote`: `"q\"uote"`, "naïve": "naïve",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFmtDurations(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 0: "0s", 41234 * time.Millisecond: "41.2s", 12*time.Minute + 5400*time.Millisecond: "12m5s",
		time.Hour: "1h0m0s",
	} {
		if got := fmtRemaining(d); got != want {
			t.Errorf("fmtRemaining(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		845 * time.Microsecond: "845µs", 12345 * time.Microsecond: "12.3ms", 1234567 * time.Microsecond: "1.235s",
	} {
		if got := cli.Elapsed(d); got != want {
			t.Errorf("cli.Elapsed(%v) = %q, want %q", d, got, want)
		}
	}
}

// extend renews the lease the lock was acquired with (not the default
// minute), and --maxtime on extend sets a new one, never bringing the
// expiry closer.
func TestExtendKeepsLease(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *backend) {
		tok := b.acquire(t, "--maxtime", "10m", "lease")
		env := []string{"DISTLOCK_TOKEN=" + string(tok)}
		for _, step := range []struct {
			args          []string
			lease, within float64 // seconds: the lease, and expires_in in (within-10, within]
		}{
			{[]string{"extend", "lease"}, 600, 600},
			{[]string{"extend", "--maxtime", "20m", "lease"}, 1200, 1200},
			{[]string{"extend", "--maxtime", "1m", "lease"}, 60, 1200}, // the expiry stays
			{[]string{"extend", "lease"}, 60, 1200},
		} {
			b.run(t, "", env, step.args...).expect(t, 0)
			e := parseLs(t, b.mustRun(t, "ls", "--json"))["lease"]
			if e.Lease != step.lease || e.ExpiresIn <= step.within-10 || e.ExpiresIn > step.within {
				t.Fatalf("after %q: lease %vs, expires in %vs; want lease %vs, expires in (%v, %v]s",
					step.args, e.Lease, e.ExpiresIn, step.lease, step.within-10, step.within)
			}
		}
	})
}
