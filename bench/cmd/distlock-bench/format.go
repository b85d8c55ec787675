package main

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/distlock/distlock/bench/internal/stats"
)

// msec formats milliseconds with three significant digits or so.
func msec(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a >= 0.1:
		return fmt.Sprintf("%.3f", v)
	default:
		return fmt.Sprintf("%.4f", v)
	}
}

func msd(d time.Duration) string { return msec(stats.Millis(d)) }

// plainMs states a round time of a target or of the prose in
// milliseconds: "5 ms".
func plainMs(d time.Duration) string { return fmt.Sprintf("%g ms", stats.Millis(d)) }

// spread formats a median over rounds with benchstat's "± x%".
func spread(s stats.Spread, format func(float64) string) string {
	if s.N == 0 {
		return "–"
	}
	if s.N == 1 {
		return format(s.Median)
	}
	return fmt.Sprintf("%s ±%.0f%%", format(s.Median), s.Pct())
}

func times(v float64) string { return fmt.Sprintf("%.2f×", v) }

func count(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}

// thousands formats an integer with thin separators: 1,000,000.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// bytesIEC formats a byte count: 12.3 MiB.
func bytesIEC(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB"}
	i := 0
	for math.Abs(n) >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}

// table writes a Markdown table.
func table(b *strings.Builder, header []string, rows [][]string) {
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	b.WriteString("\n")
}
