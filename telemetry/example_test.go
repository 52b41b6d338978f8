package telemetry_test

import (
	"context"
	"fmt"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/telemetry"
	"github.com/tokenward/tokenward/tokensource"
)

// Example plugs one Observer into both hooks: the client's, which sees
// token endpoint requests, and the token source's, which sees renewals,
// cache calls and lock waits. With nil providers it uses the global ones
// (otel.SetMeterProvider, otel.SetTracerProvider).
func Example() {
	obs := telemetry.New(nil, nil)
	conf := &client.Config{
		ClientID:     "my-client",
		ClientSecret: "my-secret",
		Endpoint:     oauth2.Endpoint{TokenURL: "https://auth.example.com/oauth2/token"},
		Observer:     obs,
	}
	src := conf.ClientCredentialsSource(&tokensource.Options{Observer: obs})
	httpClient := tokensource.NewClient(src)
	_ = httpClient // its requests carry a fresh token
}

// ExampleNew records with an SDK meter provider and tracer provider and
// reads back what one renewal with a cache miss and save recorded.
func ExampleNew() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tp := sdktrace.NewTracerProvider()
	obs := telemetry.New(mp, tp)

	ctx := context.Background()
	obs.CacheUsed(ctx, tokensource.CacheLoad, tokensource.CacheMiss)
	obs.Refreshed(ctx, tokensource.RefreshEvent{Duration: 42 * time.Millisecond})
	obs.CacheUsed(ctx, tokensource.CacheSave, tokensource.CacheOK)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		panic(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		fmt.Println(m.Name, m.Unit)
	}
	// Output:
	// tokenward.refreshes {refresh}
	// tokenward.refresh.duration s
	// tokenward.cache.operations {operation}
}
