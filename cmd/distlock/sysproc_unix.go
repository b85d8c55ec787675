//go:build unix && !linux

package main

import "syscall"

// sysProcAttr starts CMD in a process group of its own if group is set.
func sysProcAttr(group bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: group}
}
