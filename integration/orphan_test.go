package integration

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distlock/distlock/distlock"
)

// Orphans: locks held by a token nobody has. An acquisition whose reply a
// failure hid (and that no retry found again), a release that failed, a
// holder killed: the lock stays taken, by a token no client holds, until
// it is released or expires. watchLocks samples the lock table into the
// torture log, and orphans measures from the log how long each such
// acquisition lasted.
//
// The sampler adds one line per live lock per sample:
//
//	S name fence acquiredAtNs wallNs owner   name was held under fence at wall
//
// (acquiredAt by the database's clock, on this machine's clock as well;
// owner is the Owner of the Module that acquired it, "helper-PID" for the
// torture's workers).

// watchLocks lists the live locks whose names start with prefix every
// period until ctx ends, logging each as an S line. Failed samples (the
// database is down) are skipped.
func watchLocks(ctx context.Context, mod *distlock.Module, log *os.File, prefix string, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		sctx, cancel := context.WithTimeout(ctx, period*5)
		infos, err := mod.List(sctx)
		cancel()
		if err == nil {
			now := time.Now().UnixNano()
			var b strings.Builder
			for _, in := range infos {
				if strings.HasPrefix(in.Name, prefix) {
					fmt.Fprintf(&b, "S %s %d %d %d %s\n", in.Name, in.Fence, in.AcquiredAt.UnixNano(), now, in.Owner)
				}
			}
			log.WriteString(b.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// orphan is one acquisition seen held while no client had its token.
type orphan struct {
	Name   string
	Fence  int64
	Span   time.Duration // from when nobody had the token to the last sample that saw it held
	Killed bool          // its holder was SIGKILLed by the harness
	Unseen bool          // no section ran under it
}

func (o orphan) String() string {
	why := "its section had ended (release in flight or failed)"
	switch {
	case o.Killed:
		why = "its holder was killed"
	case o.Unseen:
		why = "no section ran under it (its acquire's reply was lost, or its client failed before entering)"
	}
	return fmt.Sprintf("%s fence %d held %v by nobody: %s", o.Name, o.Fence, o.Span.Round(time.Millisecond), why)
}

// orphans reads a torture log with S lines and returns every acquisition
// that a sample saw held while no client had its token, longest first:
//   - one whose section had ended (its X or A line comes before the
//     sample): from that line on, its holder was releasing it or had
//     given it up;
//   - one whose holder the harness killed (K line before the sample,
//     section not ended): from the kill on;
//   - one that no section ever entered (no E line for its fence), from
//     its acquisition on: its acquire's reply was lost and no retry
//     claimed it, or the client failed right after acquiring.
//
// A sample only shows that a lock was still held at that moment, so a
// span runs to the last sample that saw it held: the true span is longer
// by less than one sampling period. Releases show up as spans of a few
// milliseconds (the section logs its exit, then releases).
func orphans(path string) ([]orphan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type key struct {
		name  string
		fence int64
	}
	type acq struct {
		pid         string
		entered     bool
		exit        int64 // wall of its X/A line, 0 if none
		first, last int64 // the start of its orphaned span, and the last sample in it
	}
	acqs := map[key]*acq{}
	get := func(k key) *acq {
		if acqs[k] == nil {
			acqs[k] = &acq{}
		}
		return acqs[k]
	}
	killedAt := map[string]int64{}
	type sample struct {
		k                key
		acquiredAt, wall int64
		owner            string
	}
	var samples []sample
	var lastWall int64 // of the latest line that has a time (A lines have none)
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		rest := strings.Join(fields[1:], " ")
		var name, id, pid, owner string
		var fence, acquiredAt, wall, expiresAt int64
		var value int
		switch fields[0] {
		case "E":
			_, err = fmt.Sscan(rest, &name, &id, &fence, &acquiredAt, &wall)
		case "X":
			_, err = fmt.Sscan(rest, &name, &id, &fence, &value, &wall)
		case "A":
			_, err = fmt.Sscan(rest, &name, &id, &fence)
		case "K":
			_, err = fmt.Sscan(rest, &pid, &name, &expiresAt, &wall)
		case "S":
			_, err = fmt.Sscan(rest, &name, &fence, &acquiredAt, &wall, &owner)
		case "F":
			_, err = fmt.Sscan(fields[2], &wall)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		if wall != 0 {
			lastWall = wall
		}
		switch fields[0] {
		case "E":
			a := get(key{name, fence})
			a.entered = true
			a.pid, _, _ = strings.Cut(id, ".")
		case "X", "A":
			get(key{name, fence}).exit = lastWall
		case "K":
			killedAt[pid] = wall
		case "S":
			samples = append(samples, sample{key{name, fence}, acquiredAt, wall, owner})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	// Samples are judged once the whole log is known: one may come before
	// the E line of an acquisition whose client was about to enter.
	for _, s := range samples {
		a := get(s.k)
		if !a.entered && a.pid == "" {
			if pid, ok := helperPid(s.owner); ok {
				a.pid = strconv.Itoa(pid) // for a holder killed before it entered
			}
		}
		var from int64
		switch {
		case !a.entered && killedAt[a.pid] != 0:
			if s.wall < killedAt[a.pid] {
				continue // its process, alive, may have had the token
			}
			from = max(s.acquiredAt, killedAt[a.pid])
		case !a.entered:
			from = s.acquiredAt
		case a.exit != 0 && a.exit < s.wall:
			from = a.exit
		case a.exit == 0 && killedAt[a.pid] != 0 && killedAt[a.pid] < s.wall:
			from = killedAt[a.pid]
		default:
			continue // a client holds it
		}
		if a.first == 0 {
			a.first = from
		}
		a.last = s.wall
	}
	var out []orphan
	for k, a := range acqs {
		if a.first != 0 {
			out = append(out, orphan{Name: k.name, Fence: k.fence, Span: time.Duration(a.last - a.first),
				Killed: a.exit == 0 && killedAt[a.pid] != 0, Unseen: !a.entered})
		}
	}
	slices.SortFunc(out, func(a, b orphan) int { return int(b.Span - a.Span) })
	return out, nil
}

// orphans attributes each sampled lock to its holder by the log: held
// while a section ran is fine, held after its exit, after its holder's
// kill, or with no section at all is an orphan, timed from then to the
// last sample.
func TestOrphans(t *testing.T) {
	t.Parallel()
	log := strings.Join([]string{
		"E a 1.0 5 90 100", // a/5: entered, sampled inside, then after its exit
		"S a 5 90 150 helper-1",
		"X a 1.0 5 1 200",
		"S a 5 90 230 helper-1",
		"S a 5 90 260 helper-1",
		"S b 7 300 320 helper-2", // b/7: no section ever ran under it
		"S b 7 300 400 helper-2",
		"E c 3.0 9 400 410", // c/9: its holder killed inside
		"K 3 c 2000 500",
		"S c 9 400 600 helper-3",
		"S d 11 700 705 helper-4", // d/11: sampled just before its entry: fine
		"E d 4.0 11 700 710",
		"X d 4.0 11 1 720",
		"S e 13 800 805 helper-5", // e/13: acquired, its process killed before it entered
		"K 5 - 0 850",
		"S e 13 800 900 helper-5",
		"",
	}, "\n")
	path := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := orphans(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]orphan{
		"a": {Name: "a", Fence: 5, Span: 60},
		"b": {Name: "b", Fence: 7, Span: 100, Unseen: true},
		"c": {Name: "c", Fence: 9, Span: 100, Killed: true},
		"e": {Name: "e", Fence: 13, Span: 50, Killed: true, Unseen: true},
	}
	if len(got) != len(want) {
		t.Errorf("orphans = %v, want %d of them", got, len(want))
	}
	for _, o := range got {
		if o != want[o.Name] {
			t.Errorf("orphan %v, want %v", o, want[o.Name])
		}
	}
}
