package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/distlock/distlock/distlock"
	"unicode"
)

var lsCommand = &command{
	name:     "ls",
	existing: true,
	synopsis: "ls [flags]",
	summary:  "list the held locks",
	help: `
Lists the locks that are held now, ordered by name, in a table:

  NAME     OWNER                      HOLDS  FENCE  LEASE  EXPIRES IN
  deploy   web1:4242(deploy.sh)       1      17     10m0s  9m41.2s

HOLDS counts nested acquisitions by the same token; FENCE is the fencing
token of the acquisition, greater for every new one; LEASE is the --maxtime
it was acquired with, which extend renews ("-" for a lock taken by a
distlock that did not record it). With --json it prints one
JSON object per lock and line instead. Tokens are never shown: the database
does not have them.
`,
	run: cmdLs,
}

// lsEntry is a line of ls --json.
type lsEntry struct {
	Name       string    `json:"name"`
	Owner      string    `json:"owner"`
	Holds      int       `json:"holds"`
	Fence      int64     `json:"fence"`
	AcquiredAt time.Time `json:"acquired_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	ExpiresIn  float64   `json:"expires_in_seconds"`
	// Lease is the acquisition's lease length (0: not recorded).
	Lease float64 `json:"lease_seconds"`
}

func cmdLs(ctx context.Context, a *app, cl *cmdline, args []string) error {
	fs := cl.flags()
	asJSON := fs.Bool("json", false, "print one JSON object per lock and line")
	args, err := a.parse(cl, args)
	if err != nil {
		return err
	}
	if err := wantArgs(cl.cmd.name, args, 0, 0, ""); err != nil {
		return err
	}
	ctx, stop := interruptible(ctx)
	defer stop()
	m, err := a.open(ctx, cl, distlock.Config{})
	if err != nil {
		return err
	}
	defer m.Close()
	infos, err := m.List(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		for _, in := range infos {
			if err := enc.Encode(lsEntry{
				Name: in.Name, Owner: in.Owner, Holds: in.Holds, Fence: in.Fence,
				AcquiredAt: in.AcquiredAt.UTC(), ExpiresAt: in.ExpiresAt.UTC(),
				ExpiresIn: max(in.Remaining, 0).Seconds(), Lease: in.MaxTime.Seconds(),
			}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tOWNER\tHOLDS\tFENCE\tLEASE\tEXPIRES IN")
	for _, in := range infos {
		lease := "-"
		if in.MaxTime > 0 {
			lease = fmtRemaining(in.MaxTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", printable(in.Name), printable(in.Owner), in.Holds, in.Fence, lease, fmtRemaining(in.Remaining))
	}
	return tw.Flush()
}

// printable quotes s if it holds spaces or characters that are not
// graphic (a tab or an escape sequence would break the table, or the
// terminal).
func printable(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if !unicode.IsGraphic(r) || unicode.IsSpace(r) || r == '"' {
			return strconv.Quote(s)
		}
	}
	return s
}

// fmtRemaining formats a time to expiry: "41.2s", "12m5s", "0s" once expired.
func fmtRemaining(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
