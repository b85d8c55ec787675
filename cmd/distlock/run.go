package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distlock/distlock/distlock"
)

var runCommand = &command{
	name:     "run",
	lease:    allLeaseFlags,
	codes:    []int{exitNotAcquired, exitLost, -1},
	synopsis: "run [flags] NAME [--] CMD [ARGS…]",
	summary:  "run CMD while holding the lock NAME",
	help: `
Waits for the lock NAME (as long as --wait allows), runs CMD with its
arguments while holding it, keeps it alive meanwhile (extending it every third
of --maxtime), releases it when CMD exits, and exits with CMD's status.

  distlock run nightly-report -- ./report.sh
  distlock run --wait 0 cleanup -- /usr/local/bin/cleanup.sh   # skip if running
  distlock run -n -q backup -c 'pg_dump … | gzip > /backup/db.gz'   # flock style

As in flock(1): -n tries once, -w takes seconds (or a duration), -E sets the
exit status when the lock stays held (default 3), -q keeps quiet then (a
skipped cron run mails nothing), and -c runs a shell command line.

The lock covers CMD's whole process tree: everything CMD starts, even a
daemon that double-forks and calls setsid. When CMD exits, what it left running
gets SIGTERM, then SIGKILL after --kill-after, and the lock is released once
all of it is gone: a job whose background work must finish under the lock
waits for it ("wait" in sh); a service that must outlive the job is started by
a service manager, not by CMD.

If the lock is lost while CMD runs (it could not be extended before it
expired, e.g. because the database was unreachable), the whole tree gets
SIGTERM, then SIGKILL after --kill-after, and distlock exits 5. If distlock
itself is killed, even by SIGKILL, a small supervisor process it started kills
the whole tree with SIGKILL at once, well before the lock can expire.

SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are passed on to CMD;
SIGINT, SIGTERM, SIGHUP and SIGQUIT received while waiting for the lock end
the wait. Unless stdin is a terminal, CMD runs in a process group of its own,
and signals go to the whole group, so that the children of a shell script stop
too; once CMD has exited, they go to everything it left running.

The tree is tracked on Linux (the supervisor is a child subreaper). On other
Unix systems it is CMD's process group: what leaves it (setsid) escapes, and
so does what CMD starts when stdin is a terminal. On Windows it is CMD alone.

CMD finds the lock's name and fencing token in $DISTLOCK_NAME and
$DISTLOCK_FENCE (the fence grows with every new acquisition; hand it to
storage that can reject stale writers).

Flags go before NAME, or between NAME and "--".
`,
	run: cmdRun,
}

func cmdRun(ctx context.Context, a *app, cl *cmdline, args []string) error {
	var wf waitFlags
	fs := cl.flags()
	wf.register(fs)
	killAfter := fs.Duration("kill-after", 10*time.Second, "SIGKILL CMD's tree `DURATION` after SIGTERM (the lock was lost, or CMD exited leaving processes)")
	var shell shellCommand
	fs.Var(&shell, "command", "run `CMD` with sh -c instead of CMD [ARGS…] (flock's -c)")
	fs.Var(&shell, "c", aliasOf+"command")
	name, argv, err := a.parseRun(cl, args, &shell)
	if err != nil {
		return err
	}
	if *killAfter < 0 {
		return usagef(cl.cmd.name, "--kill-after must not be negative")
	}
	wait, err := wf.timeout(cl.cmd.name, fs)
	if err != nil {
		return err
	}
	if d := timeOf(cl.g.maxTime); d != 0 && d < minRunMaxTime {
		return usagef(cl.cmd.name, "--maxtime %v is too short for run, which keeps the lock alive: at least %v", d, minRunMaxTime)
	}

	// Until CMD starts, a signal cancels wctx: the wait for the lock, or
	// the start of CMD. Afterwards signals go to CMD.
	wctx, cancelWait := context.WithCancelCause(ctx)
	defer cancelWait(nil)
	fwd := newForwarder(cancelWait)
	defer fwd.stop()

	m, err := a.open(wctx, cl, distlock.Config{Owner: defaultOwner(os.Getpid(), filepath.Base(argv[0]))})
	if err != nil {
		return interruptedOr(wctx, err)
	}
	defer m.Close()
	log := m.Config().Logger
	lock := m.Get(name)
	if err := take(wctx, m, lock, wait); err != nil {
		return wf.conflicted(err)
	}
	log.Debug("distlock: acquired", "name", name, "fence", lock.Fence())

	// Do keeps the lock alive while CMD runs and releases it after. It
	// acquires the lock first, which for this handle, holding it already,
	// is a re-entry: drop that second hold at once, so that Do's release
	// frees the lock.
	ran := false
	var status int
	err = lock.Do(ctx, func(ctx context.Context) error {
		ran = true
		if err := lock.Release(ctx); err != nil {
			return err
		}
		var err error
		status, err = a.runChild(ctx, fwd, argv, []string{
			"DISTLOCK_NAME=" + name,
			"DISTLOCK_FENCE=" + strconv.FormatInt(lock.Fence(), 10),
		}, *killAfter)
		return err
	})
	if !ran { // Do could not re-enter: release the hold take got
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return errors.Join(err, lock.Release(rctx))
	}
	log.Debug("distlock: released", "name", name, "status", status, "err", err)
	switch {
	case errors.Is(err, distlock.ErrLost):
		return withCode(exitLost, fmt.Errorf("lock %q lost while %s was running", name, argv[0]))
	case err != nil && status > 0:
		return withCode(status, err) // CMD failed and so did the release
	case err != nil:
		return err
	case status != 0:
		return withCode(status, nil)
	}
	return nil
}

// shellCommand is --command/-c: a shell command line, run by sh -c.
type shellCommand struct {
	line string
	set  bool
}

func (c *shellCommand) String() string { return "" }

func (c *shellCommand) Set(s string) error {
	if c.set {
		return errors.New("given twice")
	}
	c.line, c.set = s, true
	return nil
}

func (c *shellCommand) argv() []string { return []string{"/bin/sh", "-c", c.line} }

// parseRun parses "[flags] NAME [flags --] [--] CMD [ARGS…]", or, with
// --command/-c CMD before NAME or right after it (as flock(1) takes it),
// "[flags] NAME [-c CMD]".
func (a *app) parseRun(cl *cmdline, args []string, shell *shellCommand) (name string, argv []string, err error) {
	parse := func(args []string) error {
		err := cl.fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			a.cmdUsage(a.stdout, cl)
			return errHelp
		}
		if err != nil {
			return usagef(cl.cmd.name, "%s", err)
		}
		return nil
	}
	if err := parse(args); err != nil {
		return "", nil, err
	}
	rest := cl.fs.Args()
	if len(rest) == 0 {
		return "", nil, usagef(cl.cmd.name, "missing NAME and CMD")
	}
	name, rest = rest[0], rest[1:]
	if err := checkName(cl.cmd.name, name); err != nil {
		return "", nil, err
	}
	if len(rest) > 0 && (rest[0] == "-c" || rest[0] == "--command" || rest[0] == "-command") {
		if len(rest) != 2 {
			return "", nil, usagef(cl.cmd.name, "%s takes one argument, a shell command line, and nothing may follow it", rest[0])
		}
		if err := shell.Set(rest[1]); err != nil {
			return "", nil, usagef(cl.cmd.name, "--command %s", err)
		}
		rest = nil
	}
	if shell.set {
		if len(rest) > 0 {
			return "", nil, usagef(cl.cmd.name, "both --command and CMD given")
		}
		return name, shell.argv(), nil
	}
	if len(rest) > 0 && rest[0] != "--" && strings.HasPrefix(rest[0], "-") {
		end := slices.Index(rest, "--")
		if end < 0 {
			return "", nil, usagef(cl.cmd.name, "flags after NAME must be followed by -- CMD")
		}
		if err := parse(rest[:end]); err != nil {
			return "", nil, err
		}
		if cl.fs.NArg() > 0 {
			return "", nil, usagef(cl.cmd.name, "unexpected argument %q before --", cl.fs.Arg(0))
		}
		rest = rest[end:]
	}
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return "", nil, usagef(cl.cmd.name, "missing CMD")
	}
	return name, rest, nil
}

// interruptedOr returns the signal that cancelled ctx, if one did, else
// err.
func interruptedOr(ctx context.Context, err error) error {
	var in interrupted
	if errors.As(context.Cause(ctx), &in) {
		return in
	}
	return err
}
