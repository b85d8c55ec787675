//go:build unix && !linux

package main

import "syscall"

// sysProcAttr puts CMD in the process group pgid (0: a group of its own).
func sysProcAttr(pgid int) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pgid: pgid}
}
