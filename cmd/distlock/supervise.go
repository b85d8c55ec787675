//go:build unix

package main

// The supervisor of "distlock run". run does not start CMD itself: it
// starts a copy of this program as "distlock __supervise KILLAFTER PGID --
// CMD ARGS…" (reading the control pipe from run on fd 3, writing reports
// to run on fd 4), and the supervisor starts CMD. The supervisor
//
//   - is a child subreaper (Linux), so that every process CMD starts,
//     even one that double-forks and calls setsid to become a daemon,
//     stays its descendant and is reparented to it, not to init;
//   - passes on the signals run forwards (and those sent to it);
//   - on "lost" from run, and when CMD exits but has left processes
//     running, sends SIGTERM to every process of the tree, then SIGKILL
//     after KILLAFTER (a job that wants its background work done must
//     wait for it: the lock is released once the tree is gone);
//   - when the control pipe ends without "lost", run is gone (killed:
//     SIGKILL, OOM): it sends SIGKILL to the whole tree at once;
//   - exits only once every process of the tree has exited and been
//     reaped, with CMD's status (128+N if signal N killed it).
//
// Why SIGKILL at once when run dies: run extends the lock every MaxTime/3,
// and counts it lost a guard of min(MaxTime/10, 1s) before its expiry, so
// when run dies the lock has at least that guard left, and normally about
// 2/3 of MaxTime. The pipe ends the moment run dies (the kernel closes its
// descriptors as it exits), and killing and reaping the tree takes the
// supervisor milliseconds: the tree is gone long before the lock can
// expire, unless MaxTime is tiny (tens of milliseconds), the machine is
// frozen, or a process sits in uninterruptible sleep (D state, e.g. on a
// dead NFS server), which not even SIGKILL ends. A graceful SIGTERM would
// give the tree time that the lock may not have.
//
// The supervisor leaves run's process group, so that killing that group
// (kill -9 -- -PGID) kills run but not the supervisor. If both are killed
// at once (pkill -9 -f distlock), nothing is left to clean up: CMD itself
// dies of its parent-death signal, and grandchildren survive. Only a
// cgroup (systemd's KillMode=control-group) closes that last hole.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/distlock/distlock/internal/cli"
)

// msgLost, on the control pipe, tells the supervisor that the lock is
// lost; any other byte is the number of a signal to pass on to CMD.
const msgLost = 0xff

// sweepInterval is how often the supervisor looks for the tree's
// processes again while killing them, and (outside Linux) for CMD's
// process group to empty.
const sweepInterval = 50 * time.Millisecond

type supervisor struct {
	killAfter time.Duration
	pgid      int // the process group CMD joins (run's, on a terminal); 0: its own
	argv      []string
	ctl       *os.File // from run; end of file when run is gone
	rep       *os.File // to run: "pid N", or "error CODE MESSAGE"
}

// supervise is main for "distlock __supervise …".
func supervise(args []string) int {
	var st syscall.Stat_t
	if syscall.Fstat(3, &st) != nil || syscall.Fstat(4, &st) != nil {
		fmt.Fprintln(os.Stderr, "distlock: "+supervisorArg+" is internal to distlock run")
		return exitUsage
	}
	syscall.CloseOnExec(3) // CMD must not inherit them
	syscall.CloseOnExec(4)
	s := &supervisor{ctl: os.NewFile(3, "control"), rep: os.NewFile(4, "report")}
	if len(args) < 4 || args[2] != "--" {
		return s.fail(withCode(exitUsage, errors.New("supervisor: bad arguments")))
	}
	var err error
	if s.killAfter, err = time.ParseDuration(args[0]); err != nil {
		return s.fail(withCode(exitUsage, fmt.Errorf("supervisor: %w", err)))
	}
	if s.pgid, err = strconv.Atoi(args[1]); err != nil {
		return s.fail(withCode(exitUsage, fmt.Errorf("supervisor: %w", err)))
	}
	s.argv = args[3:]
	return s.run()
}

// fail reports err to run, which prints it, and returns its exit code.
func (s *supervisor) fail(err error) int {
	code := exitCode(err)
	fmt.Fprintf(s.rep, "error %d %s\n", code, strconv.Quote(cli.OneLine(err)))
	return code
}

func (s *supervisor) run() int {
	// The kernel sends CMD's parent-death signal when the thread that
	// started it exits: keep this goroutine on its thread for good.
	runtime.LockOSThread()
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs, append(slices.Clone(forwardedSignals), syscall.SIGCHLD)...)
	if err := becomeSubreaper(); err != nil {
		return s.fail(fmt.Errorf("supervisor: cannot become a subreaper: %w", err))
	}

	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = sysProcAttr(s.pgid)
	if err := cmd.Start(); err != nil {
		return s.fail(startError(s.argv[0], err))
	}
	// Children are reaped below, by wait4: never cmd.Wait.
	t := &tree{pid: cmd.Process.Pid, group: s.pgid == 0}
	fmt.Fprintf(s.rep, "pid %d\n", t.pid)

	msgs := make(chan byte)
	go readControl(s.ctl, msgs)
	var (
		killTimer   <-chan time.Time // SIGKILL after SIGTERM
		tick        <-chan time.Time
		terminating bool // SIGTERM sent to the tree
		hard        bool // SIGKILL whatever is left, at every tick
	)
	terminate := func() {
		if !terminating {
			terminating = true
			t.signalAll(syscall.SIGTERM)
			killTimer = time.After(s.killAfter)
		}
	}
	for !t.reap() {
		if t.exited {
			// CMD has exited and left processes behind: they must not
			// outlive the lock, which run releases when we exit.
			terminate()
		}
		if tick == nil && (hard || t.exited) {
			tick = time.NewTicker(sweepInterval).C
		}
		select {
		case sig := <-sigs:
			if sig != syscall.SIGCHLD {
				t.forward(sig.(syscall.Signal))
			}
		case m, ok := <-msgs:
			switch {
			case !ok: // run is gone, and the lock will expire
				msgs, hard = nil, true
				t.signalAll(syscall.SIGKILL)
			case m == msgLost:
				terminate()
			default:
				t.forward(syscall.Signal(m))
			}
		case <-killTimer:
			hard = true
			t.signalAll(syscall.SIGKILL)
		case <-tick:
			if hard {
				t.signalAll(syscall.SIGKILL)
			}
		}
	}
	return t.code()
}

// readControl passes run's messages on, and closes msgs when the pipe
// ends: run has exited.
func readControl(r *os.File, msgs chan<- byte) {
	defer close(msgs)
	buf := make([]byte, 64)
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			msgs <- b
		}
		if err != nil {
			return
		}
	}
}
