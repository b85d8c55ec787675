// Command distlock-bench measures distlock against the physical floor and
// against its peers on PostgreSQL, MariaDB/MySQL and SQLite, in one run of
// repeated, interleaved rounds, and writes the report (BENCHMARKS.md).
//
// Run "go run ./cmd/distlock-bench -h" in the bench directory for usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "distlock-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	if o.Helper != "" {
		return runHelper(ctx, o, stdin, stdout)
	}
	res, err := runAll(ctx, o, stderr)
	if err != nil {
		return err
	}
	if err := writeReport(o.Out, stdout, res); err != nil {
		return err
	}
	if n := res.failures(); n > 0 {
		return fmt.Errorf("%d measurement(s) failed; see the report", n)
	}
	return nil
}
