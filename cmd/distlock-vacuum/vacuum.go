package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"syscall"
	"time"

	"github.com/distlock/distlock/dialect"
	"github.com/distlock/distlock/distlock"
	"github.com/distlock/distlock/dsn"
	"github.com/distlock/distlock/internal/cli"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usage = `Usage: distlock-vacuum [flags]

Deletes the rows of expired and released distlock locks, never a held one, in
short batches so that nobody waits behind it, and prints one line:

  removed 12 free locks in 3.4ms

The database is --dsn, else $DISTLOCK_DSN, else $DATABASE_URL, else the SQLite
file the distlock command uses by default. On SQLite the table is created if
needed; on PostgreSQL and MySQL run "distlock migrate" once first.

Flags:
`

const exitHelp = `
Exit codes: 0 success, 1 error (one line on stderr naming the database's host,
never its password), 2 usage error.
`

// options are the command line of distlock-vacuum.
type options struct {
	dsn     string
	table   string
	batch   int
	quiet   bool
	json    bool
	timeout time.Duration
	verbose bool
}

// result is the line --json prints.
type result struct {
	Removed int64   `json:"removed"`
	Seconds float64 `json:"seconds"`
	Table   string  `json:"table"`
	Dialect string  `json:"dialect"`
	Host    string  `json:"host,omitempty"`
}

// run runs distlock-vacuum with args and returns its exit code; main is
// os.Exit(run(…)).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	var o options
	fs := flag.NewFlagSet("distlock-vacuum", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.dsn, "dsn", "", "database `DSN`: sqlite:PATH, postgres://…, mysql://…, libpq 'host=… dbname=…'\nor go-sql-driver user:password@tcp(host:port)/db (default $DISTLOCK_DSN, else $DATABASE_URL)")
	fs.StringVar(&o.table, "table", "", "lock `TABLE` (default distlock)")
	fs.IntVar(&o.batch, "batch", 0, "delete at most `N` rows per statement (default 1000)")
	fs.BoolVar(&o.quiet, "quiet", false, "print nothing on success")
	fs.BoolVar(&o.json, "json", false, "print the result, or the error, as one JSON object")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up after `DURATION`")
	fs.BoolVar(&o.verbose, "v", false, "log what happens to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			fmt.Fprint(stdout, exitHelp)
			return exitOK
		}
		fmt.Fprintf(stderr, "distlock-vacuum: %v (see distlock-vacuum --help)\n", err)
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "distlock-vacuum: unexpected argument %q (see distlock-vacuum --help)\n", fs.Arg(0))
		return exitUsage
	case o.batch < 0 || o.timeout <= 0:
		fmt.Fprintln(stderr, "distlock-vacuum: --batch must not be negative, --timeout must be positive (see distlock-vacuum --help)")
		return exitUsage
	}
	if o.table != "" {
		if err := dialect.ValidTable(o.table); err != nil {
			fmt.Fprintf(stderr, "distlock-vacuum: %v (see distlock-vacuum --help)\n", err)
			return exitUsage
		}
	}
	table := o.table
	if table == "" {
		table = dialect.DefaultTable
	}

	s, err := dsn.Lookup(o.dsn, getenv)
	if err != nil {
		report(stderr, o.json, nil, table, err)
		return exitError
	}
	d, err := dsn.Parse(s)
	if err != nil { // a DSN that does not parse is a usage error
		report(stderr, o.json, nil, table, err)
		return exitUsage
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	res, err := vacuum(ctx, o, d, stderr)
	if err != nil {
		report(stderr, o.json, &d, table, err)
		return exitError
	}
	switch {
	case o.quiet:
	case o.json:
		json.NewEncoder(stdout).Encode(res)
	default:
		fmt.Fprintln(stdout, cli.Removed(res.Removed, time.Duration(res.Seconds*float64(time.Second))))
	}
	return exitOK
}

// vacuum opens the database d names and vacuums the table.
func vacuum(ctx context.Context, o options, d dsn.DSN, stderr io.Writer) (res result, err error) {
	cfg := distlock.Config{Table: o.table, VacuumBatch: o.batch}
	if o.verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	m, err := d.OpenModule(cfg)
	if err != nil {
		return res, err
	}
	defer m.Close()
	if err := d.Existing(); err != nil { // a mistyped path is not created
		return res, fmt.Errorf("%w (is the path right?)", err)
	}
	if d.Dialect == dsn.SQLite {
		if err := m.Migrate(ctx); err != nil {
			return res, fmt.Errorf("creating the lock table: %w", err)
		}
	}
	start := time.Now()
	n, err := m.Vacuum(ctx)
	res = result{Removed: n, Seconds: time.Since(start).Seconds(), Table: m.Config().Table, Dialect: d.Dialect, Host: d.Host}
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w after removing %d rows: %w", context.Cause(ctx), n, err)
	}
	return res, err
}

// report prints err as one line on stderr, naming the database and
// without its password: text, or JSON with --json.
func report(stderr io.Writer, asJSON bool, d *dsn.DSN, table string, err error) {
	msg := cli.OneLine(err)
	if d != nil {
		if errors.Is(err, distlock.ErrNoTable) {
			msg = fmt.Sprintf("table %q does not exist; create it with \"distlock migrate\"", table)
		}
		msg = d.Scrub(d.Target() + ": " + msg)
	}
	if asJSON {
		var dialect, host string
		if d != nil {
			dialect, host = d.Dialect, d.Host
		}
		cli.WriteJSONError(stderr, msg, dialect, host)
		return
	}
	fmt.Fprintln(stderr, "distlock-vacuum: "+msg)
}
