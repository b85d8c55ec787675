package main

import "syscall"

// sysProcAttr puts CMD in the process group pgid (0: a group of its own),
// and has the kernel kill it if its supervisor dies without cleaning up
// (SIGKILL).
func sysProcAttr(pgid int) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pgid: pgid, Pdeathsig: syscall.SIGKILL}
}
