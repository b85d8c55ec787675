package distlockotel_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/distlock/distlock/dialect/sqlite"
	"github.com/distlock/distlock/distlock"
	distlockotel "github.com/distlock/distlock/otel"
)

func Example() {
	ctx := context.Background()
	// A MeterProvider of your own; here one read by hand.
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(ctx)
	obs, err := distlockotel.NewObserver(provider.Meter("distlock"))
	if err != nil {
		log.Fatal(err)
	}

	dir, err := os.MkdirTemp("", "distlock-otel-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(filepath.Join(dir, "locks.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	mod, err := distlock.New(db, sqlite.Dialect(), distlock.Config{Observer: obs})
	if err != nil {
		log.Fatal(err)
	}
	defer mod.Close()
	if err := mod.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	for range 3 {
		if err := mod.Get("report").Do(ctx, func(context.Context) error { return nil }); err != nil {
			log.Fatal(err)
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	var lines []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				lines = append(lines, fmt.Sprintf("%s: %d recorded", m.Name, d.DataPoints[0].Count))
			case metricdata.Histogram[int64]:
				lines = append(lines, fmt.Sprintf("%s: %d recorded, sum %d", m.Name, d.DataPoints[0].Count, d.DataPoints[0].Sum))
			}
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// distlock.acquire.attempts: 3 recorded, sum 3
	// distlock.acquire.duration: 3 recorded
	// distlock.hold.duration: 3 recorded
}
