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

// signalled returns the signal that killed a process.
func signalled(ps *os.ProcessState) (int, bool) {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return int(ws.Signal()), true
	}
	return 0, false
}

// selfExe is the path that runs this program again, for the supervisor.
func selfExe() (string, error) {
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		return "/proc/self/exe", nil // works even if the file was replaced since
	}
	return os.Executable()
}
