package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/dsn"
)

// envToken is read by extend and release when no TOKEN argument is given.
const envToken = "DISTLOCK_TOKEN"

var acquireCommand = &command{
	name:     "acquire",
	lease:    allLeaseFlags,
	codes:    []int{exitNotAcquired},
	synopsis: "acquire [flags] NAME",
	summary:  "take the lock NAME and print its token",
	help: `
Takes the lock NAME, waiting for it as long as --wait allows, and prints its
token, and only the token, on stdout:

  tok=$(distlock acquire --maxtime 10m deploy) || exit
  … work, calling "DISTLOCK_TOKEN=$tok distlock extend deploy" now and then …
  DISTLOCK_TOKEN=$tok distlock release deploy

The lock expires --maxtime after it was taken or last extended. The token is
a secret: whoever has it can extend and release the lock. Prefer handing it
over in $DISTLOCK_TOKEN or on stdin to putting it on a command line, where
ps(1) shows it. --owner defaults to HOST:PID(NAME) of the calling process.
`,
	run: cmdAcquire,
}

var extendCommand = &command{
	name:     "extend",
	lease:    withMaxTime,
	codes:    []int{exitExpired},
	existing: true,
	synopsis: "extend [flags] NAME [TOKEN|-]",
	summary:  "renew the lease of the lock NAME held by TOKEN",
	help: `
Renews the lease of the lock NAME, held by TOKEN: it expires the lease's
length from now (never earlier than it would have). The lease is the
--maxtime the lock was acquired with, which the lock remembers, whoever
extends it; --maxtime given here sets a new lease from now on. TOKEN is the
argument; or, when it is "-", stdin; or, when it is absent,
$DISTLOCK_TOKEN if set, else stdin (one trailing newline is dropped).
Exits 4 if the token no longer holds the lock.
`,
	run: func(ctx context.Context, a *app, cl *cmdline, args []string) error {
		return tokenOp(ctx, a, cl, args, func(m *dsn.Module, ctx context.Context, name string, tok distlock.Token) error {
			var opts []distlock.LockOption
			if d := timeOf(cl.g.maxTime); d != 0 { // given: the lock's lease from now on
				opts = append(opts, distlock.WithMaxTime(d))
			}
			return m.Attach(name, tok, opts...).Extend(ctx)
		})
	},
}

var releaseCommand = &command{
	name:     "release",
	codes:    []int{exitExpired},
	existing: true,
	synopsis: "release [flags] NAME [TOKEN|-]",
	summary:  "release the lock NAME held by TOKEN",
	help: `
Drops one hold of the lock NAME held by TOKEN; the lock is free once every
hold is released. TOKEN is the argument; or, when it is "-", stdin; or, when
it is absent, $DISTLOCK_TOKEN if set, else stdin (one trailing newline is
dropped). Exits 4 if the token no longer holds the lock (released already,
or expired).
`,
	run: func(ctx context.Context, a *app, cl *cmdline, args []string) error {
		return tokenOp(ctx, a, cl, args, (*dsn.Module).Release)
	},
}

func cmdAcquire(ctx context.Context, a *app, cl *cmdline, args []string) error {
	var wf waitFlags
	fs := cl.flags()
	wf.register(fs)
	args, err := a.parse(cl, args)
	if err != nil {
		return err
	}
	wait, err := wf.timeout(cl.cmd.name, fs)
	if err != nil {
		return err
	}
	if err := wantArgs(cl.cmd.name, args, 1, 1, "NAME"); err != nil {
		return err
	}
	name := args[0]
	if err := checkName(cl.cmd.name, name); err != nil {
		return err
	}
	ctx, stop := interruptible(ctx)
	defer stop()
	m, err := a.open(ctx, cl, distlock.Config{Owner: defaultOwner(os.Getppid(), processName(os.Getppid()))})
	if err != nil {
		return err
	}
	defer m.Close()
	lock := m.Get(name)
	if err := take(ctx, m, lock, wait); err != nil {
		return wf.conflicted(err)
	}
	if _, err := fmt.Fprintln(a.stdout, string(lock.Token())); err != nil { // Token.String redacts
		// Nobody got the token: free the lock rather than leave it
		// held until it expires.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return errors.Join(fmt.Errorf("printing the token: %w", err), lock.Release(rctx))
	}
	return nil
}

// take acquires lock, trying once if wait is 0, else waiting up to wait
// (or forever). When the lock stays held, the error says by whom.
func take(ctx context.Context, m *dsn.Module, lock *distlock.Lock, wait time.Duration) error {
	var err error
	if wait == 0 {
		var ok bool
		if ok, err = lock.TryAcquire(ctx); err == nil && !ok {
			err = distlock.ErrNotAcquired
		}
	} else {
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if wait != forever {
			wctx, cancel = context.WithTimeout(ctx, wait)
		}
		err = lock.Acquire(wctx)
		cancel()
	}
	switch {
	case err == nil:
		return nil
	case context.Cause(ctx) != nil && ctx.Err() != nil:
		return context.Cause(ctx) // interrupted
	case errors.Is(err, distlock.ErrNotAcquired):
		return notAcquired(ctx, m, lock.Name(), wait)
	}
	return err
}

// notAcquired describes a lock that could not be taken, naming its holder
// if it still has one.
func notAcquired(ctx context.Context, m *dsn.Module, name string, wait time.Duration) error {
	msg := fmt.Sprintf("lock %q is held", name)
	if wait > 0 {
		msg = fmt.Sprintf("lock %q still held after waiting %v", name, wait)
	}
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if info, err := m.Inspect(ictx, name); err == nil {
		msg += fmt.Sprintf(" by %s (expires in %s)", printable(info.Owner), fmtRemaining(info.Remaining))
	}
	return withCode(exitNotAcquired, errors.New(msg))
}

// tokenOp runs extend or release: NAME and a token from the argument,
// stdin or $DISTLOCK_TOKEN.
func tokenOp(ctx context.Context, a *app, cl *cmdline, args []string, op func(*dsn.Module, context.Context, string, distlock.Token) error) error {
	cl.flags()
	args, err := a.parse(cl, args)
	if err != nil {
		return err
	}
	if err := wantArgs(cl.cmd.name, args, 1, 2, "NAME"); err != nil {
		return err
	}
	name := args[0]
	if err := checkName(cl.cmd.name, name); err != nil {
		return err
	}
	tok, err := a.token(cl.cmd.name, args[1:])
	if err != nil {
		return err
	}
	ctx, stop := interruptible(ctx)
	defer stop()
	m, err := a.open(ctx, cl, distlock.Config{})
	if err != nil {
		return err
	}
	defer m.Close()
	if err := op(m, ctx, name, tok); err != nil {
		if errors.Is(err, distlock.ErrExpired) {
			return withCode(exitExpired, fmt.Errorf("the token does not hold lock %q: it expired or was released", name))
		}
		return err
	}
	return nil
}

// token returns the token of extend or release: args[0] unless it is "-";
// else (no argument) $DISTLOCK_TOKEN if set; else stdin.
func (a *app) token(cmd string, args []string) (distlock.Token, error) {
	var s string
	switch {
	case len(args) == 1 && args[0] != "-":
		s = args[0]
	case len(args) == 0 && a.getenv(envToken) != "":
		s = a.getenv(envToken)
	default:
		if len(args) == 0 && isTerminal(a.stdin) {
			return "", usagef(cmd, "no token: give TOKEN, set $%s, or pipe it on stdin", envToken)
		}
		b, err := io.ReadAll(io.LimitReader(a.stdin, 4096))
		if err != nil {
			return "", fmt.Errorf("reading the token from stdin: %w", err)
		}
		s = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if s == "" {
			return "", usagef(cmd, "no token on stdin")
		}
	}
	tok, err := distlock.ParseToken(s)
	if err != nil {
		return "", withCode(exitExpired, errors.New("invalid token: it is not one that distlock acquire printed"))
	}
	return tok, nil
}

// defaultOwner is the owner label ls shows for a holder that did not
// say (--owner): the host, the pid and, when it can be read, the name of
// the process that holds the lock: for acquire its caller (the shell or
// script that runs it), for run CMD: "web1:4242(nightly.sh)".
func defaultOwner(pid int, name string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	owner := host + ":" + strconv.Itoa(pid)
	if name = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(name)); name != "" {
		owner += "(" + name + ")"
	}
	if distlock.ValidName(owner) != nil {
		return host + ":" + strconv.Itoa(pid)
	}
	return owner
}

// processName is the command name of process pid, from /proc (Linux);
// "" where it cannot be read.
func processName(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
