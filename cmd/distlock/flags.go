package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/dsn"
)

// globals are the flags every command takes; they may also come before
// the command ("distlock --dsn … ls").
type globals struct {
	dsn     dsnValue
	table   string
	maxTime maxTimeValue
	owner   string
	verbose bool
}

// leaseFlags are the global flags only the commands that take or extend
// a lock use: --maxtime, --owner.
type leaseFlags int

const (
	withMaxTime   leaseFlags = 1 << iota // --maxtime
	withOwner                            // --owner
	allLeaseFlags = withMaxTime | withOwner
)

// register adds the global flags to fs, with g's current values as
// defaults; of --maxtime and --owner only those in lease (a command that
// ignores them does not take them, and its help does not list them).
func (g *globals) register(fs *flag.FlagSet, lease leaseFlags) {
	fs.Var(&g.dsn, "dsn", "database `DSN`: sqlite:PATH, postgres://…, mysql://…, libpq 'host=… dbname=…'\nor go-sql-driver user:password@tcp(host:port)/db\nwhen not given: $DISTLOCK_DSN, else $DATABASE_URL, else an SQLite file in ~/.local/state/distlock")
	fs.StringVar(&g.table, "table", g.table, "lock `TABLE` (default distlock)")
	if lease&withMaxTime != 0 {
		fs.Var(&g.maxTime, "maxtime", "lifetime of an acquisition without extend: `DURATION` such as 90s, \"30 seconds\", 2h, 1d (default 1m)")
	}
	if lease&withOwner != 0 {
		fs.StringVar(&g.owner, "owner", g.owner, "holder `LABEL` shown by ls (default HOST:PID(NAME): for acquire its caller, for run CMD)")
	}
	fs.BoolVar(&g.verbose, "v", g.verbose, "log what happens to stderr")
}

// dsnValue is --dsn. Its String, which the usage shows as the default
// of a --dsn given before the command, never holds the password: it is
// the DSN redacted, or nothing if the DSN does not parse.
type dsnValue string

func (v *dsnValue) String() string {
	if v == nil || *v == "" {
		return ""
	}
	d, err := dsn.Parse(string(*v))
	if err != nil {
		return ""
	}
	return d.Redacted()
}

func (v *dsnValue) Set(s string) error {
	*v = dsnValue(s)
	return nil
}

// maxTimeValue is a flag parsed by distlock.ParseMaxTime.
type maxTimeValue time.Duration

func (v *maxTimeValue) String() string {
	if v == nil || *v == 0 {
		return ""
	}
	return time.Duration(*v).String()
}

func (v *maxTimeValue) Set(s string) error {
	d, err := distlock.ParseMaxTime(s)
	if err != nil {
		return errors.New("want a duration such as 90s, \"30 seconds\", 2h or 1d")
	}
	if d == 0 {
		return errors.New("must be more than 0")
	}
	*v = maxTimeValue(d)
	return nil
}

// minRunMaxTime is the shortest --maxtime of run: a lease of a few
// milliseconds expires before run can extend it (every third of it, a
// round trip each), so CMD would be stopped at once and run exit 5.
const minRunMaxTime = time.Second

// forever is the --wait value "wait as long as it takes".
const forever = time.Duration(-1)

// waitValue is --wait: 0 (try once), a duration, or forever (the
// default).
type waitValue time.Duration

func (v *waitValue) String() string {
	if v == nil || time.Duration(*v) == forever {
		return "forever"
	}
	return time.Duration(*v).String()
}

func (v *waitValue) Set(s string) error {
	s = strings.TrimSpace(s)
	switch s {
	case "0":
		*v = 0
		return nil
	case "forever", "inf", "infinity":
		*v = waitValue(forever)
		return nil
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil { // flock's -w SECONDS
		if secs < 0 || secs > distlock.MaxDuration.Seconds() || math.IsNaN(secs) {
			return errors.New("want 0, forever, seconds, or a duration such as 30s or \"5 minutes\"")
		}
		*v = waitValue(time.Duration(secs * float64(time.Second)))
		return nil
	}
	d, err := distlock.ParseMaxTime(s)
	if err != nil {
		return errors.New("want 0, forever, seconds, or a duration such as 30s or \"5 minutes\"")
	}
	*v = waitValue(d)
	return nil
}

// parseFlags parses args with fs, letting flags and positional arguments
// mix ("release NAME --dsn X"); "--" ends the flags. It returns the
// positional arguments, flag.ErrHelp for -h/--help, or a usage error.
func parseFlags(cmd string, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef(cmd, "%s", err)
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// printDefaults writes fs's flags to w as flag.PrintDefaults does, but
// with the long ones spelled as README spells them (--dsn, not -dsn), and
// each alias (a flag whose usage is aliasOf's) beside the flag it stands
// for: "-w, --timeout, --wait DURATION".
func printDefaults(w io.Writer, fs *flag.FlagSet) {
	spell := func(name string) string {
		if len(name) == 1 {
			return "-" + name
		}
		return "--" + name
	}
	aliases := map[string][]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if long, ok := strings.CutPrefix(f.Usage, aliasOf); ok {
			aliases[long] = append(aliases[long], spell(f.Name))
		}
	})
	fs.VisitAll(func(f *flag.Flag) {
		if strings.HasPrefix(f.Usage, aliasOf) {
			return
		}
		arg, usage := flag.UnquoteUsage(f)
		names := append(aliases[f.Name], spell(f.Name))
		slices.SortStableFunc(names, func(a, b string) int { return len(a) - len(b) })
		line := "  " + strings.Join(names, ", ")
		if arg != "" {
			line += " " + arg
		}
		if def := f.DefValue; def != "" && def != "0" && def != "false" && !strings.Contains(usage, "(default") {
			usage += fmt.Sprintf(" (default %s)", def)
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
	})
}

// aliasOf starts the usage of a flag that is another name of the flag
// named after it (see printDefaults).
const aliasOf = "same as --"

// wantArgs checks the number of positional arguments.
func wantArgs(cmd string, args []string, min, max int, names string) error {
	switch {
	case len(args) < min:
		return usagef(cmd, "missing %s", names)
	case len(args) > max:
		return usagef(cmd, "unexpected argument %q", args[max])
	}
	return nil
}

// checkName validates a lock name given on the command line.
func checkName(cmd, name string) error {
	if err := distlock.ValidName(name); err != nil {
		return usagef(cmd, "invalid lock name %q: 1 to %d bytes of UTF-8 without NUL", name, distlock.MaxNameLen)
	}
	return nil
}

// timeOf converts a --maxtime value.
func timeOf(v maxTimeValue) time.Duration { return time.Duration(v) }
