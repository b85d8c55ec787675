package main

import (
	"strings"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// acquire runs "distlock acquire NAME" and checks that it prints a token
// and nothing else.
func (b *backend) acquire(t *testing.T, args ...string) distlock.Token {
	t.Helper()
	r := b.run(t, "", nil, append([]string{"acquire"}, args...)...)
	r.expect(t, 0)
	tok, err := distlock.ParseToken(strings.TrimSuffix(r.stdout, "\n"))
	if err != nil || r.stdout != string(tok)+"\n" {
		t.Fatalf("acquire printed %q, want a token and a newline", r.stdout)
	}
	return tok
}

func TestAcquirePrintsOnlyTheToken(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *backend) {
		tok := b.acquire(t, "--owner", "test-owner", "only-token")
		if other := b.acquire(t, "other-lock"); other == tok {
			t.Error("two acquisitions printed the same token")
		}
		// Held now: --wait 0 gives up at once with exit 3, naming the
		// holder, and never printing a token.
		r := b.run(t, "", nil, "acquire", "--wait", "0", "only-token")
		r.expect(t, exitNotAcquired)
		if r.stdout != "" || !strings.Contains(r.stderr, `lock "only-token" is held by test-owner (expires in `) {
			t.Errorf("stdout %q, stderr %q", r.stdout, r.stderr)
		}
		start := time.Now()
		r = b.run(t, "", nil, "acquire", "--wait", "300ms", "only-token")
		r.expect(t, exitNotAcquired)
		if waited := time.Since(start); waited < 300*time.Millisecond {
			t.Errorf("--wait 300ms gave up after %v", waited)
		}
		if !strings.Contains(r.stderr, "still held after waiting 300ms by test-owner") {
			t.Errorf("stderr %q", r.stderr)
		}
		// Released, it can be taken again.
		b.run(t, "", nil, "release", "only-token", string(tok)).expect(t, 0)
		b.acquire(t, "--wait", "0", "only-token")
	})
}

func TestExtendAndReleaseTokenSources(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, tc := range []struct {
			name  string
			args  func(tok string) []string
			stdin func(tok string) string
			env   func(tok string) []string
		}{
			{"argument", func(tok string) []string { return []string{tok} }, nil, nil},
			{"stdin with -", func(string) []string { return []string{"-"} }, func(tok string) string { return tok + "\n" }, nil},
			{"stdin without newline", func(string) []string { return []string{"-"} }, func(tok string) string { return tok }, nil},
			{"stdin by default", func(string) []string { return nil }, func(tok string) string { return tok + "\r\n" }, nil},
			{"environment", func(string) []string { return nil }, nil, func(tok string) []string { return []string{"DISTLOCK_TOKEN=" + tok} }},
			{"argument over environment", func(tok string) []string { return []string{tok} }, nil,
				func(string) []string { return []string{"DISTLOCK_TOKEN=dl1_bogus"} }},
		} {
			tok := string(b.acquire(t, "--maxtime", "1h", "src"))
			in := func(f func(string) string) string {
				if f == nil {
					return ""
				}
				return f(tok)
			}
			env := func(f func(string) []string) []string {
				if f == nil {
					return nil
				}
				return f(tok)
			}
			for _, op := range []string{"extend", "release"} {
				r := b.run(t, in(tc.stdin), env(tc.env), append([]string{op, "src"}, tc.args(tok)...)...)
				if r.code != 0 || r.stdout != "" || r.stderr != "" {
					t.Errorf("%s, token by %s: exit %d, stdout %q, stderr %q", op, tc.name, r.code, r.stdout, r.stderr)
				}
			}
		}
	})
}

func TestExpiredAndInvalidTokens(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *backend) {
		tok := string(b.acquire(t, "twice"))
		b.run(t, "", nil, "release", "twice", tok).expect(t, 0)
		for _, op := range []string{"release", "extend"} {
			r := b.run(t, "", nil, op, "twice", tok)
			r.expect(t, exitExpired)
			if want := `distlock: the token does not hold lock "twice": it expired or was released` + "\n"; r.stderr != want {
				t.Errorf("%s: stderr %q, want %q", op, r.stderr, want)
			}
		}
		// A token of another lock, and an expired one.
		other := string(b.acquire(t, "other"))
		b.run(t, "", nil, "release", "twice", other).expect(t, exitExpired)
		short := string(b.acquire(t, "--maxtime", "100ms", "short"))
		time.Sleep(200 * time.Millisecond)
		b.run(t, "", nil, "extend", "short", short).expect(t, exitExpired)

		for _, bad := range []string{"garbage", "dl1_" + strings.Repeat("g", 64), strings.ToUpper(other), other + "x"} {
			r := b.run(t, "", nil, "release", "other", bad)
			r.expect(t, exitExpired)
			if !strings.Contains(r.stderr, "invalid token") || strings.Contains(r.stderr, bad) {
				t.Errorf("release with %q: stderr %q", bad, r.stderr)
			}
		}
		// No token at all is a usage error.
		b.run(t, "", nil, "release", "other").expect(t, exitUsage)
		// Nothing above printed a token.
		for _, s := range []string{tok, other, short} {
			r := b.run(t, "", nil, "release", "other", s)
			if strings.Contains(r.stdout+r.stderr, s) {
				t.Errorf("output %q holds a token", r.stdout+r.stderr)
			}
		}
	})
}

func TestExtendKeepsOneHold(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *backend) {
		tok := string(b.acquire(t, "re"))
		// Extending keeps one hold; releasing frees the lock.
		b.run(t, "", []string{"DISTLOCK_TOKEN=" + tok}, "extend", "re").expect(t, 0)
		out := b.mustRun(t, "ls", "--json")
		if !strings.Contains(out, `"name":"re"`) || !strings.Contains(out, `"holds":1`) {
			t.Errorf("ls --json = %q", out)
		}
		b.run(t, "", []string{"DISTLOCK_TOKEN=" + tok}, "release", "re").expect(t, 0)
		if out := b.mustRun(t, "ls", "--json"); out != "" {
			t.Errorf("ls --json after release = %q", out)
		}
	})
}
