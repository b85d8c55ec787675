//go:build unix

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runChild runs argv with the app's standard streams and environment
// (plus env) until it and everything it started have exited, and returns
// its exit status: 128+N if signal N killed it, as shells report it. If
// ctx ends first (the lock is lost), the whole tree gets SIGTERM, then
// SIGKILL after killAfter, and runChild returns context.Cause(ctx) once
// it is gone.
//
// run does not start CMD itself: a supervisor does (see supervise.go), a
// second copy of this program that outlives run if run is killed, and
// then kills CMD's whole process tree before the lock can expire.
func (a *app) runChild(ctx context.Context, fwd *forwarder, argv, env []string, killAfter time.Duration) (int, error) {
	exe, err := selfExe()
	if err != nil {
		return 0, fmt.Errorf("cannot find distlock's own executable to supervise %s: %w", argv[0], err)
	}
	// A terminal's job control needs CMD in distlock's process group;
	// elsewhere (cron, scripts) a group of its own lets signals reach the
	// children of CMD as well. The supervisor itself always leaves the
	// group: a kill of run's group must leave it alive to clean up.
	pgid := 0
	if isTerminal(a.stdin) {
		pgid = syscall.Getpgrp()
	}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer ctlW.Close() // only once the supervisor has exited: it reads EOF as run's death
	repR, repW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		return 0, err
	}
	defer repR.Close()

	cmd := exec.Command(exe, append([]string{supervisorArg, killAfter.String(), strconv.Itoa(pgid), "--"}, argv...)...)
	// ps shows "distlock __supervise …", not /proc/self/exe. (Its
	// process name stays "exe": "pkill -9 distlock" kills run, not the
	// supervisor, which then kills the tree.)
	cmd.Args[0] = os.Args[0]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.stdin, a.stdout, a.stderr
	cmd.Env = append(slices.Clip(a.env), env...)
	cmd.ExtraFiles = []*os.File{ctlR, repW} // fds 3 and 4
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// If the supervisor is killed while something keeps its stdout open,
	// stop waiting for the copy of the output after a second.
	cmd.WaitDelay = time.Second

	if err := fwd.begin(); err != nil {
		ctlR.Close()
		repW.Close()
		return 0, err // interrupted before CMD started
	}
	err = cmd.Start()
	ctlR.Close()
	repW.Close()
	if err != nil {
		fwd.started(nil)
		return 0, fmt.Errorf("cannot start the supervisor of %s: %w", argv[0], err)
	}
	// The supervisor holds signals back until CMD runs, then passes them on.
	fwd.started(supervisorConn{ctlW})
	defer fwd.started(nil)

	reports := make(chan supervisorReport, 1)
	go func() { reports <- readReport(repR) }()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	lost := false
	select {
	case <-done:
	case <-ctx.Done():
		lost = true
		supervisorConn{ctlW}.send(msgLost)
		<-done
	}
	var rep supervisorReport
	select {
	case rep = <-reports:
	case <-time.After(time.Second): // something inherited the report pipe: should not happen
	}

	ps := cmd.ProcessState
	if n, ok := signalled(ps); ok {
		// Killed (SIGKILL, no doubt): it could not clean up. CMD died with
		// it (parent-death signal, Linux); kill what is left of its group.
		if rep.pid > 0 && pgid == 0 {
			_ = syscall.Kill(-rep.pid, syscall.SIGKILL)
		}
		err := fmt.Errorf("the supervisor of %s was killed by %s", argv[0], signalName(syscall.Signal(n)))
		if lost {
			err = errors.Join(context.Cause(ctx), err)
		}
		return 128 + n, err
	}
	switch {
	case lost:
		return 0, context.Cause(ctx)
	case rep.err != nil:
		return 0, rep.err
	}
	return exitStatus(ps), nil
}

// supervisorConn is run's end of the control pipe to the supervisor.
type supervisorConn struct{ w *os.File }

func (c supervisorConn) send(msg byte) { _, _ = c.w.Write([]byte{msg}) }

func (c supervisorConn) signal(s os.Signal) {
	if sig, ok := s.(syscall.Signal); ok && sig > 0 && int(sig) < msgLost {
		c.send(byte(sig))
	}
}

// supervisorReport is what the supervisor told run: CMD's pid, or why CMD could not
// start.
type supervisorReport struct {
	pid int
	err error
}

// readReport reads the supervisor's report pipe to its end.
func readReport(r *os.File) supervisorReport {
	var rep supervisorReport
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		kind, arg, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "pid":
			rep.pid, _ = strconv.Atoi(arg)
		case "error":
			code, msg, _ := strings.Cut(arg, " ")
			n, err := strconv.Atoi(code)
			if err != nil {
				n = exitError
			}
			if m, err := strconv.Unquote(msg); err == nil {
				msg = m
			}
			rep.err = withCode(n, errors.New(msg))
		}
	}
	return rep
}
