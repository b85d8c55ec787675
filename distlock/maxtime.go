package distlock

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ErrInvalidDuration is returned by ParseMaxTime.
var ErrInvalidDuration = errors.New("distlock: invalid duration")

var durationUnits = map[string]time.Duration{
	"ms": time.Millisecond, "msec": time.Millisecond, "msecs": time.Millisecond,
	"millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"s": time.Second, "sec": time.Second, "secs": time.Second,
	"second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute,
	"minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour,
	"hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "wk": 7 * 24 * time.Hour, "wks": 7 * 24 * time.Hour,
	"week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// ParseMaxTime parses a lock lifetime written either as a Go duration
// ("90s", "1h30m", "250ms") or in score's interval syntax: numbers each
// followed by a unit, optionally separated by spaces ("1m", "30 seconds",
// "2h", "1d", "1w", "1 hour 30 minutes", "1.5 days"). Units are ms, s, m,
// h, d and w, with their long forms (millisecond, second, minute, hour,
// day, week, plural or not) and the abbreviations msec, sec, min, hr, wk;
// case is ignored. A number without a unit is rejected, as are negative
// and overflowing values. "0s" is valid and, in Config.MaxTime, means the
// default.
func ParseMaxTime(s string) (time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return 0, fmt.Errorf("%w: empty", ErrInvalidDuration)
	}
	if !strings.ContainsFunc(s, unicode.IsLetter) {
		return 0, fmt.Errorf("%w %q: no unit (ms, s, m, h, d, w)", ErrInvalidDuration, s)
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return 0, fmt.Errorf("%w %q: negative", ErrInvalidDuration, s)
		}
		return d, nil
	}
	rest := strings.ToLower(strings.TrimSpace(s))
	var total float64
	for rest != "" {
		i := strings.IndexFunc(rest, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
		if i == 0 {
			return 0, fmt.Errorf("%w %q: expected a number at %q", ErrInvalidDuration, s, rest)
		}
		if i < 0 {
			return 0, fmt.Errorf("%w %q: %q has no unit (ms, s, m, h, d, w)", ErrInvalidDuration, s, rest)
		}
		num, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("%w %q: bad number %q", ErrInvalidDuration, s, rest[:i])
		}
		rest = strings.TrimLeft(rest[i:], " \t")
		j := strings.IndexFunc(rest, func(r rune) bool { return r < 'a' || r > 'z' })
		if j < 0 {
			j = len(rest)
		}
		unit, ok := durationUnits[rest[:j]]
		if !ok {
			return 0, fmt.Errorf("%w %q: unknown unit %q (use ms, s, m, h, d or w)", ErrInvalidDuration, s, rest[:j])
		}
		total += num * float64(unit)
		rest = strings.TrimLeft(rest[j:], " \t,")
	}
	if total >= math.MaxInt64 {
		return 0, fmt.Errorf("%w %q: too long", ErrInvalidDuration, s)
	}
	return time.Duration(math.Round(total)), nil
}
