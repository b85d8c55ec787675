package distlock

import "time"

// LockOption configures one handle (see Module.Get).
type LockOption func(*Lock) error

// WithMaxTime sets this lock's lease length: how long an acquisition by
// the handle lasts without Extend. The lock's row remembers it with the
// acquisition, so that Extend renews it whoever extends (Module.Extend,
// another process's Attach, "distlock extend"); Do's keep-alive extends
// every third of it, and a guarded transaction lasts at most that long
// (see Guard). The default is Config.MaxTime. Through an attached handle
// (or on re-entry), WithMaxTime sets the remembered lease to d from its
// next Extend on. A length Config.MaxTime could not have (below 1ms, over
// MaxDuration) is reported by the handle's first operation, as
// ErrInvalidConfig.
func WithMaxTime(d time.Duration) LockOption {
	return func(l *Lock) error {
		if err := checkMaxTime("WithMaxTime", d); err != nil {
			return err
		}
		l.maxTime, l.ownLease = d, true
		return nil
	}
}
