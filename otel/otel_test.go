package distlockotel_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/distlock/distlock/distlock"
	distlockotel "github.com/distlock/distlock/otel"
)

// Each event lands in its instrument, with the lock's name only when
// asked for.
func TestObserverInstruments(t *testing.T) {
	for _, names := range []bool{false, true} {
		reader := sdkmetric.NewManualReader()
		provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		var opts []distlockotel.Option
		if names {
			opts = append(opts, distlockotel.WithLockName())
		}
		obs, err := distlockotel.NewObserver(provider.Meter("test"), opts...)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		obs.Observe(ctx, distlock.Event{Op: distlock.OpAcquire, Name: "a", Wait: 2 * time.Second, Attempts: 3, Acquired: true})
		obs.Observe(ctx, distlock.Event{Op: distlock.OpAcquire, Name: "a", Wait: time.Second, Attempts: 1})
		obs.Observe(ctx, distlock.Event{Op: distlock.OpRelease, Name: "a", Held: 500 * time.Millisecond})
		obs.Observe(ctx, distlock.Event{Op: distlock.OpLost, Name: "a", Held: time.Second})

		var rm metricdata.ResourceMetrics
		if err := reader.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		got := map[string]metricdata.Aggregation{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				got[m.Name] = m.Data
			}
		}
		lost, ok := got["distlock.lost"].(metricdata.Sum[int64])
		if !ok || len(lost.DataPoints) != 1 || lost.DataPoints[0].Value != 1 {
			t.Fatalf("distlock.lost = %+v", got["distlock.lost"])
		}
		if _, has := lost.DataPoints[0].Attributes.Value(attribute.Key("distlock.lock.name")); has != names {
			t.Errorf("names %v: the lock's name attribute present: %v", names, has)
		}
		wait, ok := got["distlock.acquire.duration"].(metricdata.Histogram[float64])
		if !ok || len(wait.DataPoints) != 2 { // acquired true and false
			t.Fatalf("distlock.acquire.duration = %+v", got["distlock.acquire.duration"])
		}
		var sum float64
		for _, dp := range wait.DataPoints {
			sum += dp.Sum
		}
		if sum != 3 {
			t.Errorf("acquisition seconds recorded %v, want 3", sum)
		}
		held, ok := got["distlock.hold.duration"].(metricdata.Histogram[float64])
		if !ok || len(held.DataPoints) != 2 { // released, and lost
			t.Fatalf("distlock.hold.duration = %+v", got["distlock.hold.duration"])
		}
		provider.Shutdown(ctx)
	}
}
