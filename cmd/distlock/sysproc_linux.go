package main

import "syscall"

// sysProcAttr starts CMD in a process group of its own if group is set,
// and has the kernel kill it if distlock dies (its lock would expire under
// it and another holder could start).
func sysProcAttr(group bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: group, Pdeathsig: syscall.SIGKILL}
}
