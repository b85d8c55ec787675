package distlock

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/distlock/distlock/dialect"
)

// MaxDuration is the longest MaxTime, RetryInterval and MaxRetryInterval
// New accepts (100 years): longer ones would overflow the arithmetic of
// waiting and expiry, and some databases' date ranges.
const MaxDuration = 100 * 365 * 24 * time.Hour

// Defaults applied by New to zero Config fields.
const (
	DefaultMaxTime       = time.Minute
	DefaultRetryInterval = 100 * time.Millisecond
	DefaultVacuumBatch   = 1000
)

// Config tunes a Module. The zero value is ready to use.
type Config struct {
	// MaxTime is the lifetime of an acquisition: a lock not extended
	// within MaxTime of its acquisition (or last extension) expires and may
	// be taken by anyone. Zero means DefaultMaxTime (one minute, as in
	// score.distlock); negative is an error. The database keeps time at
	// millisecond (SQLite) or microsecond precision.
	MaxTime time.Duration
	// Table is the lock table's name, DefaultTable ("distlock") if empty.
	// It must be a plain lower-case SQL identifier (see dialect.ValidTable).
	Table string
	// RetryInterval is the first pause of a waiting Acquire between two
	// attempts; later pauses double up to MaxRetryInterval, each with 0-25%
	// random jitter, and never last past the holder's expiry. Zero means
	// DefaultRetryInterval; negative is an error.
	RetryInterval time.Duration
	// MaxRetryInterval caps the back-off. Zero means 16 × RetryInterval;
	// it must not be below RetryInterval.
	MaxRetryInterval time.Duration
	// VacuumBatch is how many rows one vacuum transaction looks at (and
	// so deletes at most), so that no acquire waits long behind it. Zero means
	// DefaultVacuumBatch; negative is an error.
	VacuumBatch int
	// Owner is an informational label stored with each acquisition and
	// shown by Inspect, List and "distlock ls". Empty means "host:pid".
	Owner string
	// Logger receives debug and warning records. Nil discards them.
	// Tokens are never logged. An acquisition that waited a second or
	// more is logged at Info, a lock Do lost at Warn.
	Logger *slog.Logger
	// Observer, if set, receives an Event for every acquisition's outcome,
	// every last release and every lock Do lost: the hook for metrics
	// (the otel module adapts it to OpenTelemetry).
	Observer Observer
}

// checkMaxTime validates a lease length (Config.MaxTime, WithMaxTime):
// positive, not below the databases' 1ms resolution, not over
// MaxDuration.
func checkMaxTime(what string, d time.Duration) error {
	switch {
	case d < 0:
		return fmt.Errorf("%w: %s %v is negative", ErrInvalidConfig, what, d)
	case d < time.Millisecond:
		return fmt.Errorf("%w: %s %v is below the database's 1ms resolution", ErrInvalidConfig, what, d)
	case d > MaxDuration:
		return fmt.Errorf("%w: %s %v is over the limit of %v (100 years)", ErrInvalidConfig, what, d, MaxDuration)
	}
	return nil
}

// withDefaults validates c and fills in its zero fields.
func (c Config) withDefaults() (Config, error) {
	if c.MaxTime == 0 {
		c.MaxTime = DefaultMaxTime
	}
	if err := checkMaxTime("MaxTime", c.MaxTime); err != nil {
		return c, err
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"RetryInterval", c.RetryInterval}, {"MaxRetryInterval", c.MaxRetryInterval}} {
		if d.v > MaxDuration {
			return c, fmt.Errorf("%w: %s %v is over the limit of %v (100 years)", ErrInvalidConfig, d.field, d.v, MaxDuration)
		}
	}
	if c.Table == "" {
		c.Table = dialect.DefaultTable
	}
	if err := dialect.ValidTable(c.Table); err != nil {
		return c, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if c.RetryInterval < 0 {
		return c, fmt.Errorf("%w: RetryInterval %v is negative", ErrInvalidConfig, c.RetryInterval)
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = DefaultRetryInterval
	}
	if c.MaxRetryInterval < 0 {
		return c, fmt.Errorf("%w: MaxRetryInterval %v is negative", ErrInvalidConfig, c.MaxRetryInterval)
	}
	if c.MaxRetryInterval == 0 {
		c.MaxRetryInterval = MaxDuration
		if c.RetryInterval <= MaxDuration/16 {
			c.MaxRetryInterval = 16 * c.RetryInterval
		}
	}
	if c.MaxRetryInterval < c.RetryInterval {
		return c, fmt.Errorf("%w: MaxRetryInterval %v is below RetryInterval %v", ErrInvalidConfig, c.MaxRetryInterval, c.RetryInterval)
	}
	if c.VacuumBatch < 0 {
		return c, fmt.Errorf("%w: VacuumBatch %d is negative", ErrInvalidConfig, c.VacuumBatch)
	}
	if c.VacuumBatch == 0 {
		c.VacuumBatch = DefaultVacuumBatch
	}
	if c.Owner == "" {
		c.Owner = defaultOwner()
	}
	if err := ValidName(c.Owner); err != nil { // the same rules as a lock name
		return c, fmt.Errorf("%w: Owner: %v", ErrInvalidConfig, err)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return host + ":" + strconv.Itoa(os.Getpid())
}
