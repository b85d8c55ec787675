// Package cli holds what the distlock and distlock-vacuum commands share
// beyond the dsn package.
package cli

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
)

// OneLine renders err as a single line for a terminal or a log shipper:
// the lines of a joined error are run together, the "distlock: " and
// "dsn: " prefixes the command adds itself are dropped, and control
// characters (which could forge a line or drive a terminal) become spaces.
func OneLine(err error) string {
	var lines []string
	for p := range strings.SplitSeq(err.Error(), "\n") {
		p = strings.TrimPrefix(strings.ReplaceAll(p, "distlock: ", ""), "dsn: ")
		if p = strings.TrimSpace(p); p != "" {
			lines = append(lines, p)
		}
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			if strings.HasSuffix(lines[i-1], ":") {
				b.WriteString(" ")
			} else {
				b.WriteString("; ")
			}
		}
		b.WriteString(l)
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, b.String())
}

// Elapsed formats a short duration with 3 or 4 significant digits:
// "845µs", "12.3ms", "1.234s".
func Elapsed(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// Removed is the line a vacuum prints: how many lock rows it removed
// (free ones: released or expired; never a held lock) and how long it
// took.
func Removed(n int64, took time.Duration) string {
	noun := "free locks"
	if n == 1 {
		noun = "free lock"
	}
	return "removed " + strconv.FormatInt(n, 10) + " " + noun + " in " + Elapsed(took)
}

// WriteJSONError writes an error message as the one JSON object that
// --json prints on stderr: {"error": msg, "dialect": …, "host": …}, the
// last two when known (empty strings are left out).
func WriteJSONError(w io.Writer, msg, dialect, host string) error {
	return json.NewEncoder(w).Encode(struct {
		Error   string `json:"error"`
		Dialect string `json:"dialect,omitempty"`
		Host    string `json:"host,omitempty"`
	}{msg, dialect, host})
}
