//go:build !unix

package main

import (
	"os"
	"syscall"
)

var (
	interruptSignals = []os.Signal{os.Interrupt}
	forwardedSignals = interruptSignals
)

func (p *proc) signal(s os.Signal) {
	if p.p.Signal(s) != nil && s != os.Interrupt {
		_ = p.p.Kill()
	}
}

func signalled(*os.ProcessState) (int, bool) { return 0, false }

func sysProcAttr(group bool) *syscall.SysProcAttr { return nil }
