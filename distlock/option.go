package distlock

import "time"

// LockOption configures one handle (see Module.Get).
type LockOption func(*Lock) error

// WithMaxTime sets this lock's lease length: how long an acquisition by
// the handle lasts without Extend, what Extend renews it to, the pace of
// Do's keep-alive (a third of it) and the bound of a guarded transaction
// (see Guard). The default is Config.MaxTime. A length Config.MaxTime
// could not have (below 1ms, over MaxDuration) is reported by the
// handle's first operation, as ErrInvalidConfig.
func WithMaxTime(d time.Duration) LockOption {
	return func(l *Lock) error {
		if err := checkMaxTime("WithMaxTime", d); err != nil {
			return err
		}
		l.maxTime = d
		return nil
	}
}
