package telemetry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/telemetry"
	"github.com/tokenward/tokenward/tokensource"
)

// These benchmarks measure what an Observer costs:
//
//	go test -run '^$' -bench . -benchmem ./telemetry/

func sdkObserver(b *testing.B) *telemetry.Observer {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tp := sdktrace.NewTracerProvider() // samples every span (ParentBased(AlwaysSample))
	b.Cleanup(func() {
		mp.Shutdown(context.Background())
		tp.Shutdown(context.Background())
	})
	return telemetry.New(mp, tp)
}

// BenchmarkCachedFastPath is Cached.TokenContext with a warm token, with
// and without an Observer: the fast path never calls it, so both must
// cost the same and allocate nothing.
func BenchmarkCachedFastPath(b *testing.B) {
	ctx := context.Background()
	tok := &oauth2.Token{AccessToken: "access-token-value", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	for _, bc := range []struct {
		name string
		opts *tokensource.Options
	}{
		{"observer=none", nil},
		{"observer=telemetry", &tokensource.Options{Observer: sdkObserver(b)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := tokensource.New(tokensource.FromOAuth2(oauth2.StaticTokenSource(tok)), bc.opts)
			if _, err := c.TokenContext(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.TokenContext(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkObserverRequest is the Observer's own cost per token request
// (a span and two metric points) on the real SDK.
func BenchmarkObserverRequest(b *testing.B) {
	obs := sdkObserver(b)
	ctx := context.Background()
	info := client.RequestInfo{Endpoint: "token", GrantType: "client_credentials", ServerAddress: "auth.example.com"}
	for _, bc := range []struct {
		name string
		out  client.RequestOutcome
	}{
		{"outcome=success", client.RequestOutcome{StatusCode: 200}},
		{"outcome=error", client.RequestOutcome{StatusCode: 400, ErrorCode: "invalid_grant", Err: errors.New("client: invalid_grant")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, done := obs.StartRequest(ctx, info)
				done(bc.out)
			}
		})
	}
}

// BenchmarkObserverRefresh is the Observer's cost per renewal with one
// cache load and save, on the real SDK.
func BenchmarkObserverRefresh(b *testing.B) {
	obs := sdkObserver(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		obs.CacheUsed(ctx, tokensource.CacheLoad, tokensource.CacheMiss)
		obs.Refreshed(ctx, tokensource.RefreshEvent{Duration: 40 * time.Millisecond})
		obs.CacheUsed(ctx, tokensource.CacheSave, tokensource.CacheOK)
	}
}
