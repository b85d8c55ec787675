// Package distlockotel records distlock's lock events (distlock.Observer)
// as OpenTelemetry metrics. It is a module of its own, so that programs
// that do not use OpenTelemetry do not pull it in.
//
//	obs, err := distlockotel.NewObserver(otel.Meter("distlock"))
//	…
//	mod, err := distlock.New(db, dialect, distlock.Config{Observer: obs})
//
// Instruments:
//
//	distlock.acquire.duration  histogram, s: acquisition calls, from start to return;
//	                           attribute distlock.acquired (true/false)
//	distlock.acquire.attempts  histogram, {attempt}: statements that tried to take the lock
//	distlock.hold.duration     histogram, s: how long a handle held its lock, at its last release
//	distlock.lost              counter, {lock}: locks Do lost (not extended in time)
//
// With WithLockName every measurement also carries distlock.lock.name:
// only for a bounded set of names, as each name is a time series.
package distlockotel

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/distlock/distlock/distlock"
)

// Option configures NewObserver.
type Option func(*observer)

// WithLockName adds the lock's name as the attribute distlock.lock.name.
func WithLockName() Option { return func(o *observer) { o.names = true } }

type observer struct {
	names    bool
	wait     metric.Float64Histogram
	attempts metric.Int64Histogram
	held     metric.Float64Histogram
	lost     metric.Int64Counter
}

// NewObserver returns a distlock.Observer that records lock events with
// meter (see the package documentation for the instruments).
func NewObserver(meter metric.Meter, opts ...Option) (distlock.Observer, error) {
	o := &observer{}
	for _, opt := range opts {
		opt(o)
	}
	var err error
	if o.wait, err = meter.Float64Histogram("distlock.acquire.duration", metric.WithUnit("s"),
		metric.WithDescription("Time an acquisition call took, from its start to its return")); err != nil {
		return nil, err
	}
	if o.attempts, err = meter.Int64Histogram("distlock.acquire.attempts", metric.WithUnit("{attempt}"),
		metric.WithDescription("Statements an acquisition call sent to take the lock")); err != nil {
		return nil, err
	}
	if o.held, err = meter.Float64Histogram("distlock.hold.duration", metric.WithUnit("s"),
		metric.WithDescription("Time a handle held its lock, measured at its last release")); err != nil {
		return nil, err
	}
	if o.lost, err = meter.Int64Counter("distlock.lost", metric.WithUnit("{lock}"),
		metric.WithDescription("Locks Do lost: they could not be extended in time")); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *observer) Observe(ctx context.Context, e distlock.Event) {
	var attrs []attribute.KeyValue
	if o.names {
		attrs = append(attrs, attribute.String("distlock.lock.name", e.Name))
	}
	switch e.Op {
	case distlock.OpAcquire:
		set := metric.WithAttributes(append(attrs, attribute.Bool("distlock.acquired", e.Acquired))...)
		o.wait.Record(ctx, e.Wait.Seconds(), set)
		o.attempts.Record(ctx, int64(e.Attempts), set)
	case distlock.OpRelease:
		o.held.Record(ctx, e.Held.Seconds(), metric.WithAttributes(attrs...))
	case distlock.OpLost:
		o.lost.Add(ctx, 1, metric.WithAttributes(attrs...))
		o.held.Record(ctx, e.Held.Seconds(), metric.WithAttributes(append(attrs, attribute.Bool("distlock.lost", true))...))
	}
}
