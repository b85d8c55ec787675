package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// waitFlags are the flags of the commands that take a lock (run,
// acquire), in their long forms and flock(1)'s short ones:
//
//	--wait/-w/--timeout DURATION|SECONDS   how long to wait (flock's -w takes seconds)
//	--nonblock/-n                try once (= --wait 0)
//	--conflict-exit-code/-E N    exit status when the lock stays held
//	--quiet/-q                   print nothing when the lock stays held
type waitFlags struct {
	wait     waitValue
	nonblock bool
	conflict conflictCode
	quiet    bool
}

func (w *waitFlags) register(fs *flag.FlagSet) {
	w.wait = waitValue(forever)
	w.conflict = conflictCode(exitNotAcquired)
	const waitUsage = "how long to wait for the lock: a `DURATION` (30s, \"5 minutes\") or plain seconds (flock's -w), 0 to try once, or forever"
	fs.Var(&w.wait, "wait", waitUsage)
	fs.Var(&w.wait, "w", aliasOf+"wait")
	fs.Var(&w.wait, "timeout", aliasOf+"wait")
	fs.BoolVar(&w.nonblock, "nonblock", false, "try once, do not wait (= --wait 0)")
	fs.BoolVar(&w.nonblock, "n", false, aliasOf+"nonblock")
	fs.Var(&w.conflict, "conflict-exit-code", "exit status `N` when the lock stays held (default 3)")
	fs.Var(&w.conflict, "E", aliasOf+"conflict-exit-code")
	fs.BoolVar(&w.quiet, "quiet", false, "print nothing when the lock stays held (cron mails nothing)")
	fs.BoolVar(&w.quiet, "q", false, aliasOf+"quiet")
}

// timeout is how long to wait: 0 with --nonblock. --nonblock with a
// --wait other than 0 conflicts.
func (w *waitFlags) timeout(cmd string, fs *flag.FlagSet) (time.Duration, error) {
	if !w.nonblock {
		return time.Duration(w.wait), nil
	}
	waitSet := false
	fs.Visit(func(f *flag.Flag) { waitSet = waitSet || f.Name == "wait" || f.Name == "w" || f.Name == "timeout" })
	if waitSet && w.wait != 0 {
		return 0, usagef(cmd, "--nonblock and --wait %s conflict", w.wait.String())
	}
	return 0, nil
}

// conflicted turns take's "the lock is held" into the exit status of
// --conflict-exit-code, silent with --quiet; other errors pass.
func (w *waitFlags) conflicted(err error) error {
	var ce *codeError
	if !errors.As(err, &ce) || ce.code != exitNotAcquired {
		return err
	}
	if w.quiet {
		return withCode(int(w.conflict), nil)
	}
	return withCode(int(w.conflict), ce.err)
}

// conflictCode is --conflict-exit-code: an exit status, 0 to 255.
type conflictCode int

func (c *conflictCode) String() string {
	if c == nil {
		return ""
	}
	return strconv.Itoa(int(*c))
}

func (c *conflictCode) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 255 {
		return fmt.Errorf("want an exit status from 0 to 255")
	}
	*c = conflictCode(n)
	return nil
}
