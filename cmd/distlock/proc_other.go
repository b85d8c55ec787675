//go:build !unix

package main

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"time"
)

var (
	interruptSignals = []os.Signal{os.Interrupt}
	forwardedSignals = interruptSignals
)

func signalled(*os.ProcessState) (int, bool) { return 0, false }

// supervise: there is no supervisor outside Unix.
func supervise([]string) int {
	os.Stderr.WriteString("distlock: " + supervisorArg + " is internal to distlock run on Unix\n")
	return exitUsage
}

// runChild runs CMD as a plain child: outside Unix, distlock neither
// tracks what CMD starts nor outlives a kill of its own (see supervise.go
// for Unix).
func (a *app) runChild(ctx context.Context, fwd *forwarder, argv, env []string, killAfter time.Duration) (int, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.stdin, a.stdout, a.stderr
	cmd.Env = append(slices.Clip(a.env), env...)
	cmd.WaitDelay = time.Second
	if err := fwd.begin(); err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		fwd.started(nil)
		return 0, startError(argv[0], err)
	}
	fwd.started(proc{cmd.Process})
	defer fwd.started(nil)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return exitStatus(cmd.ProcessState), nil
	case <-ctx.Done():
	}
	_ = cmd.Process.Kill() // no SIGTERM outside Unix
	<-done
	return 0, context.Cause(ctx)
}

// proc is CMD, to pass signals to.
type proc struct{ p *os.Process }

func (p proc) signal(s os.Signal) {
	if p.p.Signal(s) != nil && s != os.Interrupt {
		_ = p.p.Kill()
	}
}
