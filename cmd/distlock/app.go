package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/dsn"
	"github.com/distlock/distlock/internal/cli"
)

// app is one invocation of the command: its standard streams and
// environment, and what it learns while running (for error messages).
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	env            []string // as os.Environ; CMD of run inherits it

	// Set once the DSN is parsed and the Module opened, for messages.
	db    *dsn.DSN
	table string // the Module's table, as configured
}

// run runs the command line args and returns the exit code. main is
// os.Exit(run(…)); tests call it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env []string) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, env: env}
	err := a.main(ctx, args)
	a.report(err)
	return exitCode(err)
}

// errHelp is returned after --help was printed: exit 0.
var errHelp = errors.New("help printed")

// main dispatches to the command named by the first argument.
func (a *app) main(ctx context.Context, args []string) error {
	var g globals
	fs := flag.NewFlagSet("distlock", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	g.register(fs, allLeaseFlags) // which commands use them is known after
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.topUsage(a.stdout, fs)
			return errHelp
		}
		return usagef("", "%s", err)
	}
	args = fs.Args()
	if *showVersion || len(args) == 1 && args[0] == "version" {
		_, err := fmt.Fprintln(a.stdout, version())
		return err
	}
	if len(args) == 0 {
		return usagef("", "missing command")
	}
	if args[0] == "help" {
		if len(args) == 1 {
			a.topUsage(a.stdout, fs)
			return errHelp
		}
		args = []string{args[1], "--help"}
	}
	c := lookup(args[0])
	if c == nil {
		return usagef("", "unknown command %q", args[0])
	}
	return c.run(ctx, a, &cmdline{cmd: c, g: g}, args[1:])
}

// cmdline is what a command parses: its flags, including the globals.
type cmdline struct {
	cmd *command
	g   globals
	fs  *flag.FlagSet
}

// flags returns the command's flag set, with the global flags added
// (their values from before the command as defaults).
func (cl *cmdline) flags() *flag.FlagSet {
	cl.fs = flag.NewFlagSet(cl.cmd.name, flag.ContinueOnError)
	cl.fs.SetOutput(io.Discard)
	cl.g.register(cl.fs, cl.cmd.lease)
	return cl.fs
}

// parse parses args with the flag set made by flags and returns the
// positional arguments; for --help it prints the command's usage and
// returns errHelp.
func (a *app) parse(cl *cmdline, args []string) ([]string, error) {
	pos, err := parseFlags(cl.cmd.name, cl.fs, args)
	if errors.Is(err, flag.ErrHelp) {
		a.cmdUsage(a.stdout, cl)
		return nil, errHelp
	}
	return pos, err
}

// logger returns the logger for -v: text records on stderr; nil (the
// library discards) without it.
func (a *app) logger(g *globals) *slog.Logger {
	if !g.verbose {
		return nil
	}
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// getenv looks a variable up in the app's environment.
func (a *app) getenv(key string) string {
	for i := len(a.env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(a.env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// report prints err, unless it is nil, errHelp or a silent exit status,
// as one line on stderr that holds neither a token nor a password.
func (a *app) report(err error) {
	var ce *codeError
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelp), errors.As(err, &ce) && ce.err == nil:
		return
	case errors.As(err, &ue):
		if ue.cmd == "" {
			fmt.Fprintf(a.stderr, "distlock: %s (see distlock --help)\n", ue.msg)
		} else {
			fmt.Fprintf(a.stderr, "distlock %s: %s (see distlock %s --help)\n", ue.cmd, ue.msg, ue.cmd)
		}
		return
	}
	msg := cli.OneLine(err)
	var je jsonError
	asJSON := errors.As(err, &je)
	if a.db != nil {
		if errors.Is(err, distlock.ErrNoTable) {
			msg = fmt.Sprintf("table %q does not exist on %s; create it with \"distlock migrate\"", a.table, a.db.Target())
		} else if exitCode(err) == exitError {
			msg += " (" + a.db.Target() + ")"
		}
		msg = a.db.Scrub(msg)
	}
	if asJSON {
		var dialect, host string
		if a.db != nil {
			dialect, host = a.db.Dialect, a.db.Host
		}
		cli.WriteJSONError(a.stderr, msg, dialect, host)
		return
	}
	fmt.Fprintln(a.stderr, "distlock: "+msg)
}
