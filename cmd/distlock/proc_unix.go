//go:build unix

package main

import (
	"os"
	"syscall"
)

// interruptSignals end run's wait for the lock; forwardedSignals (a
// superset) are passed on to CMD.
var (
	interruptSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}
	forwardedSignals = append(interruptSignals[:len(interruptSignals):len(interruptSignals)], syscall.SIGUSR1, syscall.SIGUSR2)
)

// signal sends s to CMD, or to its whole process group.
func (p *proc) signal(s os.Signal) {
	if sig, ok := s.(syscall.Signal); ok && p.group {
		_ = syscall.Kill(-p.p.Pid, sig) // fails only once the group is gone
		return
	}
	_ = p.p.Signal(s)
}

// signalled returns the signal that killed a process.
func signalled(ps *os.ProcessState) (int, bool) {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return int(ws.Signal()), true
	}
	return 0, false
}
