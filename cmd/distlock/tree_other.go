//go:build unix && !linux

package main

import (
	"errors"
	"syscall"
)

// Outside Linux there is no child subreaper: what leaves CMD's process
// group (setsid, daemons) escapes the supervisor. The tree is CMD's
// process group (when CMD has one of its own: not on a terminal).

func becomeSubreaper() error { return nil }

// signalRest sends sig to what is left of CMD's process group.
func (t *tree) signalRest(sig syscall.Signal, groupSent bool) {
	if t.group && !groupSent {
		_ = syscall.Kill(-t.pid, sig)
	}
}

// restGone reports whether CMD's process group is empty.
func (t *tree) restGone() bool {
	return !t.group || errors.Is(syscall.Kill(-t.pid, 0), syscall.ESRCH)
}
