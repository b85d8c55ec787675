package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"cirello.io/pglock"

	"github.com/distlock/distlock/bench/internal/target"
)

// Sections of a run, in the order they run.
const (
	secLatency    = "latency"
	secThroughput = "throughput"
	secHandoff    = "handoff"
	secHot        = "hot"
	secStall      = "stall"
	secVacuum     = "vacuum"
	secMemory     = "memory"
)

var allSections = []string{secLatency, secThroughput, secHandoff, secHot, secStall, secVacuum, secMemory}

// options are the command's flags.
type options struct {
	Rounds         int
	Duration       time.Duration
	Sections       []string
	DBs            []string
	Out            string
	Lease          time.Duration
	HandoffSamples int
	StallSamples   int
	PGLockHandoff  bool
	HandoffLimit   time.Duration
	HotDuration    time.Duration
	VacuumRows     int
	VacuumBatch    int
	VacuumBaseline time.Duration
	HeldLocks      int
	Args           []string // as given, for the report

	// Helper modes (internal: the command re-executes itself).
	Helper, HelperDB, HelperSubject string
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs, only, dbs := defineFlags(&o, stderr)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.Args = args
	var err error
	if o.Sections, err = list(*only, allSections); err != nil {
		return o, fmt.Errorf("-only: %w", err)
	}
	if o.DBs, err = list(*dbs, target.All); err != nil {
		return o, fmt.Errorf("-db: %w", err)
	}
	switch {
	case o.Rounds < 1:
		return o, fmt.Errorf("-rounds must be at least 1")
	case o.Duration <= 0 || o.HotDuration <= 0:
		return o, fmt.Errorf("-duration and -hot-duration must be positive")
	case o.HandoffSamples < 1 || o.StallSamples < 1:
		return o, fmt.Errorf("-handoff-samples and -stall-samples must be at least 1")
	case o.VacuumRows < 0 || o.HeldLocks < 0 || o.VacuumBatch < 0:
		return o, fmt.Errorf("-vacuum-rows, -vacuum-batch and -held-locks must not be negative")
	}
	return o, nil
}

// defineFlags defines the command's flags on a new FlagSet, writing into o;
// only and dbs receive the -only and -db lists as given. The report's
// Usage section lists the same flags (see flagList), so every default is
// stated once, here.
func defineFlags(o *options, stderr io.Writer) (fs *flag.FlagSet, only, dbs *string) {
	fs = flag.NewFlagSet("distlock-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: distlock-bench [flags]\n\n%s\nFlags:\n", usageText)
		fs.PrintDefaults()
	}
	fs.IntVar(&o.Rounds, "rounds", 5, "rounds; every subject is measured once per round, in rotating order")
	fs.DurationVar(&o.Duration, "duration", time.Second, "measuring time per subject per round (latency, throughput)")
	only = fs.String("only", strings.Join(allSections, ","), "sections to run: "+strings.Join(allSections, ","))
	dbs = fs.String("db", strings.Join(target.All, ","), "databases: "+strings.Join(target.All, ",")+
		" (servers need "+target.EnvPostgres+" / "+target.EnvMySQL+")")
	fs.StringVar(&o.Out, "out", "../BENCHMARKS.md", `report file ("-": standard output)`)
	fs.DurationVar(&o.Lease, "lease", time.Minute, "distlock MaxTime and pglock lease in the latency runs")
	fs.IntVar(&o.HandoffSamples, "handoff-samples", 10, "hand-offs per subject per round")
	fs.IntVar(&o.StallSamples, "stall-samples", 5, "waiters killed at the head of a line, per database")
	fs.BoolVar(&o.PGLockHandoff, "pglock-handoff", true,
		fmt.Sprintf("measure pglock's hand-off at its defaults (takes about one %v lease)", pglock.DefaultLeaseDuration))
	fs.DurationVar(&o.HandoffLimit, "handoff-limit", 30*time.Second, "longest wait for one hand-off")
	// Longer than -duration: 32 waiters must queue up and take their turns
	// many times over for the waits' p99 and the fairness to mean much.
	fs.DurationVar(&o.HotDuration, "hot-duration", 2*time.Second, "measuring time per subject per round on the hot name")
	fs.IntVar(&o.VacuumRows, "vacuum-rows", 1_000_000, "expired rows to vacuum")
	fs.IntVar(&o.VacuumBatch, "vacuum-batch", 0, "distlock Config.VacuumBatch for the vacuum (0: the library's default)")
	fs.DurationVar(&o.VacuumBaseline, "vacuum-baseline", 3*time.Second, "live acquisitions measured before the vacuum starts")
	fs.IntVar(&o.HeldLocks, "held-locks", 100_000, "locks held for the memory measurement")
	fs.StringVar(&o.Helper, "helper", "", internalFlag+"run as a helper process (waiter, held)")
	fs.StringVar(&o.HelperDB, "helper-db", "", internalFlag+"the helper's database")
	fs.StringVar(&o.HelperSubject, "helper-subject", "", internalFlag+"the helper's lock")
	return fs, only, dbs
}

// internalFlag starts the usage of the flags only the command itself sets.
const internalFlag = "internal: "

// list splits a comma-separated list and checks it against valid, keeping
// valid's order.
func list(s string, valid []string) ([]string, error) {
	var out []string
	for _, v := range valid {
		for f := range strings.SplitSeq(s, ",") {
			if strings.TrimSpace(f) == v {
				out = append(out, v)
				break
			}
		}
	}
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(valid, f) {
			return nil, fmt.Errorf("unknown %q (want %s)", f, strings.Join(valid, ","))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty")
	}
	return out, nil
}

func (o options) runs(section string) bool { return slices.Contains(o.Sections, section) }

const usageText = `Measures distlock against the physical floor (two durable single-row
writes) and against the locks a user would pick instead, on PostgreSQL,
MariaDB/MySQL and SQLite, in one run, and writes the report (BENCHMARKS.md).
Run it from the bench directory:

  export ` + target.EnvPostgres + `='postgres://postgres@127.0.0.1:5432/distlock_bench?sslmode=disable'
  export ` + target.EnvMySQL + `='mysql://root@127.0.0.1:3306/distlock_bench'
  go run ./cmd/distlock-bench                       # full run
  go run ./cmd/distlock-bench -rounds 1 -duration 200ms -only latency -out -   # quick look
`
