package distlock

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseMaxTime(t *testing.T) {
	t.Parallel()
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	tests := []struct {
		in   string
		want time.Duration
	}{
		// Go durations.
		{"90s", 90 * time.Second},
		{"1h30m", 90 * time.Minute},
		{"250ms", 250 * time.Millisecond},
		{"1.5h", 90 * time.Minute},
		{"0s", 0},
		{"1ns", 1},
		// score's syntax.
		{"1m", time.Minute},
		{"30 seconds", 30 * time.Second},
		{"2h", 2 * time.Hour},
		{"1d", day},
		{"1w", week},
		{"1 hour 30 minutes", 90 * time.Minute},
		{"1.5 days", 36 * time.Hour},
		{"2 Weeks", 2 * week},
		{"10 msec", 10 * time.Millisecond},
		{"1 min", time.Minute},
		{"3hrs", 3 * time.Hour},
		{"1 second", time.Second},
		{"2 wks", 2 * week},
		{"1d12h", 36 * time.Hour},
		{"1 DAY", day},
		{"1h, 30m", 90 * time.Minute},
		{"  5 mins\t", 5 * time.Minute},
		{"0.5 sec", 500 * time.Millisecond},
		{"0 days", 0},
		{"106751d", 106751 * day}, // the longest whole number of days
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMaxTime(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("ParseMaxTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseMaxTimeRejects(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"", " ", "10", "0", "-0", "1.5", "-5s", "-1 day", "- 5s", "5 parsecs", "1e400s", "1E3s",
		"9999999999999999999999h", "2562048h", "106752d", "106751d 106751d",
		"abc", ".", ". s", "1..5s", "s", "m5", "1h 30", "1 hour and 30 minutes",
		"1 s s", "5 ,m", "1µ s", "+5 days", "1 dayz", "∞s",
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMaxTime(in)
			if !errors.Is(err, ErrInvalidDuration) {
				t.Fatalf("ParseMaxTime(%q) = %v, %v; want ErrInvalidDuration", in, got, err)
			}
			if got != 0 {
				t.Fatalf("ParseMaxTime(%q) returned %v with its error", in, got)
			}
		})
	}
}

func FuzzParseMaxTime(f *testing.F) {
	for _, s := range []string{
		"90s", "1h30m", "1 hour 30 minutes", "1.5 days", "2 Weeks", "10 msec",
		"", "10", "-5s", "1e400s", ".", "106752d", "9223372036.854775807 seconds",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseMaxTime(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidDuration) {
				t.Fatalf("ParseMaxTime(%q) = %v, want ErrInvalidDuration", s, err)
			}
			return
		}
		if d < 0 {
			t.Fatalf("ParseMaxTime(%q) = %v, negative", s, d)
		}
		// What time.ParseDuration accepts, ParseMaxTime reads the same.
		if g, gerr := time.ParseDuration(s); gerr == nil && g != d {
			t.Fatalf("ParseMaxTime(%q) = %v, time.ParseDuration = %v", s, d, g)
		}
	})
}

// An empty value says so, rather than asking for a unit.
func TestParseMaxTimeEmpty(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "  "} {
		if _, err := ParseMaxTime(in); err == nil || !strings.Contains(err.Error(), "empty") {
			t.Errorf("ParseMaxTime(%q) = %v, want an error saying it is empty", in, err)
		}
	}
}
