package integration

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// The torture log has one line per event, appended with a single write:
//
//	E name id fence acquiredAtNs wallNs   a section entered (acquiredAt by the database's clock)
//	X name id fence value wallNs          a section left, having written value to the counter
//	A name id fence                       a section stopped because its lock was lost
//	K pid name expiresAtNs wallNs         the harness killed pid (holding name until expiresAt, or "-");
//	                                      a killed holder's section may overlap the next only if its
//	                                      expiry was logged, and then not before that expiry (a
//	                                      holder killed after leaving its section may have sent its
//	                                      release: its lock may go before the expiry)
//	F fault wallNs                        the harness injected a fault
//
// id is "pid.goroutine".

// tortureResult is what checkTorture found.
type tortureResult struct {
	Sections   int
	Aborted    int
	Violations []string
	Takeovers  []time.Duration // from a kill to the next entry on the killed holder's lock
	LastFault  time.Time
	AfterFault int // sections completed after the last fault
}

type lockState struct {
	inside    string // id of the holder inside, "" if none
	lastFence int64
	lastValue int
	slack     int // counter writes killed holders may have made unlogged
	killedAt  time.Time
	killedPid string // the killed holder whose expiry was logged (K line)
	expiresAt int64  // of the killed holder's acquisition, by the database's clock
}

func checkTorture(path string) (tortureResult, error) {
	var res tortureResult
	f, err := os.Open(path)
	if err != nil {
		return res, err
	}
	defer f.Close()
	locks := map[string]*lockState{}
	state := func(name string) *lockState {
		if locks[name] == nil {
			locks[name] = &lockState{}
		}
		return locks[name]
	}
	killed := map[string]bool{} // pids
	violate := func(format string, args ...any) {
		res.Violations = append(res.Violations, fmt.Sprintf(format, args...))
	}
	pidOf := func(id string) string { pid, _, _ := strings.Cut(id, "."); return pid }

	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "E":
			var name, id string
			var fence, acquiredAt, wall int64
			if _, err := fmt.Sscan(strings.Join(fields[1:], " "), &name, &id, &fence, &acquiredAt, &wall); err != nil {
				return res, fmt.Errorf("line %d: %v", line, err)
			}
			s := state(name)
			if s.inside != "" {
				switch {
				case !killed[pidOf(s.inside)]:
					violate("line %d: %s entered %s while %s was inside", line, id, name, s.inside)
				case s.killedAt.IsZero() || s.killedPid != pidOf(s.inside):
					// Forgiven only with the expiry to check the takeover
					// against (see the K case).
					violate("line %d: %s entered %s while %s, killed, was inside, but no expiry was logged for its hold: the takeover cannot be checked",
						line, id, name, s.inside)
				}
				s.slack++ // the killed holder may have written the counter
			}
			if fence <= s.lastFence {
				violate("line %d: fence %d on %s after %d", line, fence, name, s.lastFence)
			}
			if !s.killedAt.IsZero() {
				if s.expiresAt != 0 && acquiredAt < s.expiresAt {
					violate("line %d: %s taken over at %v, before the killed holder's expiry %v",
						line, name, time.Unix(0, acquiredAt), time.Unix(0, s.expiresAt))
				}
				res.Takeovers = append(res.Takeovers, time.Unix(0, wall).Sub(s.killedAt))
				s.killedAt, s.killedPid, s.expiresAt = time.Time{}, "", 0
			}
			s.inside, s.lastFence = id, fence
		case "X":
			var name, id string
			var fence, wall int64
			var value int
			if _, err := fmt.Sscan(strings.Join(fields[1:], " "), &name, &id, &fence, &value, &wall); err != nil {
				return res, fmt.Errorf("line %d: %v", line, err)
			}
			s := state(name)
			if s.inside != id {
				violate("line %d: %s left %s while %q was inside", line, id, name, s.inside)
			}
			if value <= s.lastValue || value > s.lastValue+1+s.slack {
				violate("line %d: %s wrote %d to the counter of %s after %d: an update was lost", line, id, value, name, s.lastValue)
			}
			s.inside, s.lastValue, s.slack = "", value, 0
			res.Sections++
			if !res.LastFault.IsZero() && time.Unix(0, wall).After(res.LastFault) {
				res.AfterFault++
			}
		case "A":
			s := state(fields[1])
			if s.inside != fields[2] {
				violate("line %d: %s aborted on %s while %q was inside", line, fields[2], fields[1], s.inside)
			}
			s.inside = ""
			res.Aborted++
		case "K":
			var pid, name string
			var expiresAt, wall int64
			if _, err := fmt.Sscan(strings.Join(fields[1:], " "), &pid, &name, &expiresAt, &wall); err != nil {
				return res, fmt.Errorf("line %d: %v", line, err)
			}
			killed[pid] = true
			// The takeover is checked against the expiry only if the
			// holder was killed inside its section: one killed after
			// leaving it may have sent its release, which the server
			// then carries out, freeing the lock before its expiry.
			if name != "-" {
				if s := state(name); pidOf(s.inside) == pid {
					s.killedAt, s.killedPid, s.expiresAt = time.Unix(0, wall), pid, expiresAt
				}
			}
			res.LastFault = time.Unix(0, wall)
			res.AfterFault = 0
		case "F":
			var wall int64
			fmt.Sscan(fields[2], &wall)
			res.LastFault = time.Unix(0, wall)
			res.AfterFault = 0
		}
	}
	slices.Sort(res.Takeovers)
	return res, sc.Err()
}
