//go:build unix

package main

import (
	"errors"
	"syscall"
)

// tree is CMD's process tree, as its supervisor sees it. Only the
// supervisor's main loop uses it; it alone reaps the supervisor's
// children, so CMD's pid (and process group) cannot be reused while
// exited is false.
type tree struct {
	pid    int  // CMD
	group  bool // CMD leads a process group of its own
	exited bool // CMD has been reaped
	status syscall.WaitStatus
}

// forward passes a signal on: to CMD, or its process group, while CMD
// runs; afterwards to every process it left behind.
func (t *tree) forward(sig syscall.Signal) {
	switch {
	case t.exited:
		t.signalAll(sig)
	case t.group:
		_ = syscall.Kill(-t.pid, sig)
	default:
		_ = syscall.Kill(t.pid, sig)
	}
}

// signalAll sends sig to every process of the tree.
func (t *tree) signalAll(sig syscall.Signal) {
	groupSent := !t.exited && t.group
	if groupSent {
		// All the group at once: the kernel lets no fork escape it.
		_ = syscall.Kill(-t.pid, sig)
	}
	t.signalRest(sig, groupSent)
}

// reap reaps the supervisor's exited children, keeping CMD's status,
// and reports whether the whole tree is gone.
func (t *tree) reap() bool {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.ECHILD):
			return t.exited && t.restGone()
		case err != nil, pid <= 0:
			return false
		case pid == t.pid:
			t.exited, t.status = true, ws
		}
	}
}

// code is CMD's exit status as a shell reports it: 128+N if signal N
// killed it.
func (t *tree) code() int {
	if t.status.Signaled() {
		return 128 + int(t.status.Signal())
	}
	return t.status.ExitStatus()
}
