package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestVacuum(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b *backend) {
		b.acquire(t, "--maxtime", "1h", "live")
		for _, name := range []string{"old1", "old2", "old3"} {
			b.acquire(t, "--maxtime", "50ms", name)
		}
		tok := b.acquire(t, "released")
		b.run(t, "", nil, "release", "released", string(tok)).expect(t, 0)
		time.Sleep(100 * time.Millisecond)

		out := b.mustRun(t, "vacuum", "--batch", "2")
		if !regexp.MustCompile(`^removed 4 free locks in [0-9.]+(µs|ms|s)\n$`).MatchString(out) {
			t.Errorf("vacuum printed %q", out)
		}
		if _, ok := b.lsEntries(t)["live"]; !ok {
			t.Error("vacuum removed a held lock")
		}
		var res vacuumResult
		if err := json.Unmarshal([]byte(b.mustRun(t, "vacuum", "--json")), &res); err != nil {
			t.Fatal(err)
		}
		if res.Removed != 0 || res.Table != b.table || res.Dialect != b.name || res.Seconds <= 0 {
			t.Errorf("vacuum --json = %+v", res)
		}
		if out := b.mustRun(t, "vacuum", "--quiet"); out != "" {
			t.Errorf("vacuum --quiet printed %q", out)
		}
		// A new acquisition of a vacuumed name gets a greater fence.
		b.acquire(t, "old1")
		if e := b.lsEntries(t)["old1"]; e.Fence < 2 {
			t.Errorf("fence after vacuum %d", e.Fence)
		}
	})
}

// vacuum --json reports an error as one JSON object on stderr, as
// distlock-vacuum --json does, without the password; --timeout bounds it.
func TestVacuumJSONError(t *testing.T) {
	t.Parallel()
	b := newBackend(t, "sqlite")
	r := b.run(t, "", nil, "--dsn", "postgres://u:s3cretpw@127.0.0.1:1/x", "vacuum", "--json", "--timeout", "10s")
	if r.code != exitError || r.stdout != "" || strings.Contains(r.stderr, "s3cretpw") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	var e struct{ Error, Dialect, Host string }
	dec := json.NewDecoder(strings.NewReader(r.stderr))
	if err := dec.Decode(&e); err != nil || e.Error == "" || e.Dialect != "postgres" || e.Host != "127.0.0.1:1" || dec.More() {
		t.Fatalf("stderr %q: want one JSON object with error, dialect and host (%+v, %v)", r.stderr, e, err)
	}
	if r := b.run(t, "", nil, "vacuum", "--timeout", "0s"); r.code != exitUsage {
		t.Fatalf("--timeout 0s: exit %d, stderr %q", r.code, r.stderr)
	}
}
