package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one subcommand of distlock.
type command struct {
	name     string
	synopsis string // after "distlock "
	summary  string // one line, for the list of commands
	help     string // the body of COMMAND --help
	run      func(ctx context.Context, a *app, cl *cmdline, args []string) error
	// existing says the command only works on locks that exist: on
	// SQLite it refuses a file that does not exist rather than create an
	// empty one at a mistyped path.
	existing bool
	// lease are the global flags about the lease the command uses.
	lease leaseFlags
	// codes are the exit codes its help lists besides 0, 1 and 2.
	codes []int
}

// commands lists the subcommands in the order of the usage.
func commands() []*command {
	return []*command{runCommand, acquireCommand, extendCommand, releaseCommand, lsCommand, vacuumCommand, migrateCommand}
}

// lookup returns the command named name, or nil.
func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

const topHelp = `distlock takes named, expiring, reentrant locks that every process sharing
one database respects: shell scripts and cron jobs on many machines, and Go
services using the distlock library. Without a database it keeps its locks in
an SQLite file, $XDG_STATE_HOME/distlock/locks.db or
~/.local/state/distlock/locks.db, and needs no server.
`

const envHelp = `Environment:
  DISTLOCK_DSN    database when --dsn is not given
  DATABASE_URL    database when neither --dsn nor DISTLOCK_DSN is given
  DISTLOCK_TOKEN  token for extend and release when no TOKEN argument is given
  XDG_STATE_HOME  where the default SQLite file lives
`

// topUsage prints "distlock --help".
func (a *app) topUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: distlock [flags] COMMAND [flags] [ARGS]\n\n%s\nCommands:\n", topHelp)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-32s %s\n", c.synopsis, c.summary)
	}
	fmt.Fprintf(w, "  %-32s %s\n", "help [COMMAND]", "show the help of a command")
	fmt.Fprintf(w, "\nFlags of every command (also accepted after the command):\n")
	printDefaults(w, fs)
	fmt.Fprintf(w, "\n%s\n%s", envHelp, exitCodesHelp(nil))
}

// cmdUsage prints "distlock COMMAND --help".
func (a *app) cmdUsage(w io.Writer, cl *cmdline) {
	fmt.Fprintf(w, "Usage: distlock %s\n\n%s\n", cl.cmd.synopsis, strings.Trim(cl.cmd.help, "\n"))
	fmt.Fprintf(w, "\nFlags:\n")
	printDefaults(w, cl.fs)
	fmt.Fprintf(w, "\n%s", exitCodesHelp(append([]int{exitOK, exitError, exitUsage}, cl.cmd.codes...)))
}
