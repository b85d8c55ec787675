package integration

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distlock/distlock/dialect/postgres"
	"github.com/distlock/distlock/dsn"
)

// The failover tests run against a PostgreSQL primary with a synchronous
// standby that they may crash and promote: the pair of
// .ci/fixtures/pgstandby.sh, named by two variables its `start` prints:
//
//	DISTLOCK_TEST_PG_FAILOVER_URL  a multi-host DSN with target_session_attrs=read-write
//	                               (postgres://postgres@127.0.0.1:15432,127.0.0.1:15433/…)
//	DISTLOCK_TEST_PG_FAILOVER_CTL  the fixture script: reset, crash, promote, failover, rejoin
const (
	failoverURLEnv = "DISTLOCK_TEST_PG_FAILOVER_URL"
	failoverCtlEnv = "DISTLOCK_TEST_PG_FAILOVER_CTL"
)

// pgPair is the primary/standby pair, reset for one test.
type pgPair struct {
	t   *testing.T
	ctl string
	tg  target // the multi-host DSN: whichever node takes writes
	url *url.URL
}

// pairMu gives the pair to one test at a time: each crashes and promotes
// nodes.
var pairMu sync.Mutex

// failoverPair returns the pair, reset so that the primary is the first
// host of the DSN and the second its synchronous standby, for the
// caller's exclusive use until it ends. Without the variables the test is
// skipped (failed under DISTLOCK_REQUIRE_DB=1).
func failoverPair(t *testing.T) *pgPair {
	t.Helper()
	raw, ctl := os.Getenv(failoverURLEnv), os.Getenv(failoverCtlEnv)
	if raw == "" || ctl == "" {
		skipOrFail(t, "no PostgreSQL primary/standby pair: %s and %s are not set (eval \"$(.ci/fixtures/pgstandby.sh start)\")",
			failoverURLEnv, failoverCtlEnv)
	}
	d, err := dsn.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", failoverURLEnv, err)
	}
	if d.Dialect != "postgres" || len(strings.Split(d.Host, ",")) != 2 {
		t.Fatalf("%s must name two PostgreSQL hosts, primary first: %s", failoverURLEnv, d.Redacted())
	}
	u, err := url.Parse(d.DriverDSN)
	if err != nil {
		t.Fatalf("%s: %v", failoverURLEnv, err)
	}
	pairMu.Lock()
	t.Cleanup(pairMu.Unlock)
	p := &pgPair{t: t, ctl: ctl, url: u,
		tg: target{Name: "postgres", Dialect: postgres.Dialect(), DriverName: d.DriverName, DSN: d.DriverDSN}}
	p.run("reset")
	return p
}

// run runs a subcommand of the fixture script and returns how long it took.
func (p *pgPair) run(cmd string) time.Duration {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, p.ctl, cmd).CombinedOutput()
	if err != nil {
		p.t.Fatalf("%s %s: %v\n%s", p.ctl, cmd, err, out)
	}
	return time.Since(start)
}

// runErr is run for a goroutine other than the test's: it returns the error.
func (p *pgPair) runErr(cmd string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, p.ctl, cmd).CombinedOutput()
	if err != nil {
		return time.Since(start), fmt.Errorf("%s %s: %v\n%s", p.ctl, cmd, err, out)
	}
	return time.Since(start), nil
}

// standby returns a target for the second host alone — the standby until
// a failover promotes it, like a fixed address that a failover moves to
// the new primary — with query parameters params (e.g.
// "target_session_attrs=read-write"), or none.
func (p *pgPair) standby(params string) target {
	u := *p.url
	u.Host = strings.Split(p.url.Host, ",")[1]
	q := u.Query()
	q.Del("target_session_attrs")
	extra, err := url.ParseQuery(params)
	if err != nil {
		p.t.Fatal(err)
	}
	for k, v := range extra {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	tg := p.tg
	tg.DSN = u.String()
	return tg
}

// open opens a pool on tg, closed when the test ends.
func (p *pgPair) open(tg target) *sql.DB {
	p.t.Helper()
	db, err := sql.Open(tg.DriverName, tg.DSN)
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { db.Close() })
	return db
}
