package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/distlock/distlock/distlock"
)

// Exit codes, documented in the usage and the README.
const (
	exitOK          = 0 // success
	exitError       = 1 // any other error: database, I/O, …
	exitUsage       = 2 // bad command line
	exitNotAcquired = 3 // the lock is held: --wait elapsed or --wait 0
	exitExpired     = 4 // the token does not hold the lock (expired, released, invalid)
	exitLost        = 5 // run: the lock was lost while CMD ran
	// run exits with CMD's own status otherwise: 128+N if a signal N
	// killed it, 126 if it could not be started, 127 if it was not found.
	exitCannotExec = 126
	exitNotFound   = 127
)

// exitCodeLines are the lines of the exit-code table, by code; -1 is
// run's own (CMD's status and interruptions).
var exitCodeLines = []struct {
	code int
	text string
}{
	{exitOK, "  0    success"},
	{exitError, "  1    error (database unreachable, missing table, …)"},
	{exitUsage, "  2    usage error"},
	{exitNotAcquired, "  3    not acquired: the lock is held by someone else (--wait elapsed, or --wait 0;\n       -E/--conflict-exit-code changes it)"},
	{exitExpired, "  4    expired: the token no longer holds the lock (expired, released, or invalid)"},
	{exitLost, "  5    run: the lock was lost while CMD was running (CMD was stopped)"},
	{-1, "  run otherwise exits with CMD's status (128+N if signal N killed it, 126/127\n  if it could not be run); 130/143 if distlock is interrupted (SIGINT/SIGTERM)\n  before CMD starts."},
}

// exitCodesHelp is the exit-code table with the lines of codes (all when
// codes is nil).
func exitCodesHelp(codes []int) string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, l := range exitCodeLines {
		if codes == nil || slices.Contains(codes, l.code) {
			b.WriteString(l.text + "\n")
		}
	}
	return b.String()
}

// usageError is a bad command line: exit 2, with a hint to --help.
type usageError struct {
	cmd string // "" for the top level
	msg string
}

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError of the command cmd ("" for the top level).
func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// codeError carries an exit code, and a message unless err is nil (run
// exits with CMD's status silently).
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *codeError) Unwrap() error { return e.err }

// withCode gives err the exit code code.
func withCode(code int, err error) error { return &codeError{code: code, err: err} }

// interrupted is the cause of a context cancelled by a signal.
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string { return "interrupted by " + signalName(e.sig) }

// code is 128+N, as shells report a command killed by signal N.
func (e interrupted) code() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitError
}

// exitCode maps an error to the documented exit code.
func exitCode(err error) int {
	var ce *codeError
	var ue *usageError
	var in interrupted
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ce):
		return ce.code
	case errors.As(err, &ue), errors.Is(err, distlock.ErrInvalidName):
		return exitUsage
	case errors.As(err, &in):
		return in.code()
	case errors.Is(err, distlock.ErrLost):
		return exitLost
	case errors.Is(err, distlock.ErrExpired), errors.Is(err, distlock.ErrInvalidToken):
		return exitExpired
	case errors.Is(err, distlock.ErrNotAcquired):
		return exitNotAcquired
	}
	return exitError
}

// signalName names a signal as kill(1) does: SIGINT, SIGTERM, …
func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGKILL:
		return "SIGKILL"
	}
	return sig.String()
}
