package telemetry

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/tokensource"
)

func TestTokenRequestMetrics(t *testing.T) {
	tests := []struct {
		name string
		info client.RequestInfo
		out  client.RequestOutcome
		want []attribute.KeyValue
	}{{
		name: "success",
		info: client.RequestInfo{Endpoint: "token", GrantType: "client_credentials", ServerAddress: "auth.example.com"},
		out:  client.RequestOutcome{StatusCode: 200},
		want: []attribute.KeyValue{keyGrantType.String("client_credentials"), keyServerAddr.String("auth.example.com"),
			keyStatusCode.Int(200), keyOutcome.String("success")},
	}, {
		name: "oauth error",
		info: client.RequestInfo{Endpoint: "token", GrantType: "refresh_token", ServerAddress: "127.0.0.1:8443"},
		out:  client.RequestOutcome{StatusCode: 400, ErrorCode: "invalid_grant", Err: &oauth2.RetrieveError{ErrorCode: "invalid_grant"}},
		want: []attribute.KeyValue{keyGrantType.String("refresh_token"), keyServerAddr.String("127.0.0.1"), keyServerPort.Int(8443),
			keyStatusCode.Int(400), keyErrorCode.String("invalid_grant"), keyOutcome.String("error")},
	}, {
		name: "unregistered code",
		info: client.RequestInfo{Endpoint: "token", GrantType: "password", ServerAddress: "[::1]:9000"},
		out:  client.RequestOutcome{StatusCode: 400, ErrorCode: "weird_vendor_code", Err: errors.New("client: weird")},
		want: []attribute.KeyValue{keyGrantType.String("password"), keyServerAddr.String("::1"), keyServerPort.Int(9000),
			keyStatusCode.Int(400), keyErrorCode.String("_OTHER"), keyOutcome.String("error")},
	}, {
		name: "no response",
		info: client.RequestInfo{Endpoint: "token", GrantType: "client_credentials", ServerAddress: "auth.example.com"},
		out:  client.RequestOutcome{Err: errors.New("client: connection refused")},
		want: []attribute.KeyValue{keyGrantType.String("client_credentials"), keyServerAddr.String("auth.example.com"),
			keyOutcome.String("error")},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			_, done := h.obs.StartRequest(context.Background(), tt.info)
			done(tt.out)
			ms := h.collect(t)
			for _, name := range []string{"tokenward.token.requests", "tokenward.token.request.duration"} {
				m, ok := ms[name]
				if !ok {
					t.Fatalf("no metric %s; got %v", name, ms)
				}
				if got := points(t, m); len(got) != 1 {
					t.Fatalf("%s: got %d points; want 1", name, len(got))
				}
				if got := find(t, m, tt.want...); got != 1 {
					t.Errorf("%s: got %v; want one point with %v", name, points(t, m), tt.want)
				}
			}
		})
	}
}

func TestTokenRequestMetricShapes(t *testing.T) {
	h := newHarness(t)
	_, done := h.obs.StartRequest(context.Background(), client.RequestInfo{Endpoint: "token", GrantType: "client_credentials"})
	done(client.RequestOutcome{StatusCode: 200})
	ms := h.collect(t)
	sum, ok := ms["tokenward.token.requests"].Data.(metricdata.Sum[int64])
	if !ok || !sum.IsMonotonic {
		t.Errorf("tokenward.token.requests: got %T (monotonic %v); want a monotonic Sum[int64]", ms["tokenward.token.requests"].Data, sum.IsMonotonic)
	}
	hist, ok := ms["tokenward.token.request.duration"].Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("tokenward.token.request.duration: got %T; want Histogram[float64]", ms["tokenward.token.request.duration"].Data)
	}
	if got, want := ms["tokenward.token.request.duration"].Unit, "s"; got != want {
		t.Errorf("duration unit: got %q; want %q", got, want)
	}
	bounds := hist.DataPoints[0].Bounds
	if got, want := bounds[0], 0.005; got != want {
		t.Errorf("first bucket: got %v; want %v", got, want)
	}
	if got, want := bounds[len(bounds)-1], 30.0; got != want {
		t.Errorf("last bucket: got %v; want %v", got, want)
	}
	if got := hist.DataPoints[0].Sum; got <= 0 || got > 1 {
		t.Errorf("duration sum: got %v s; want a small positive number of seconds", got)
	}
}

func TestOtherEndpointsHaveNoTokenMetrics(t *testing.T) {
	h := newHarness(t)
	_, done := h.obs.StartRequest(context.Background(), client.RequestInfo{Endpoint: "revocation", ServerAddress: "auth.example.com"})
	done(client.RequestOutcome{StatusCode: 200})
	if got := h.collect(t); len(got) != 0 {
		t.Errorf("got metrics %v; want none for a revocation request", got)
	}
	if got, want := len(h.spans.Ended()), 1; got != want {
		t.Errorf("got %d spans; want %d", got, want)
	}
}

func TestSourceMetrics(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	fail := errors.New("tokensource: refresh failed")
	h.obs.Refreshed(ctx, tokensource.RefreshEvent{Duration: 20 * time.Millisecond})
	h.obs.Refreshed(ctx, tokensource.RefreshEvent{Duration: 30 * time.Millisecond})
	h.obs.Refreshed(ctx, tokensource.RefreshEvent{Async: true, Duration: time.Second, Err: fail})
	h.obs.CacheUsed(ctx, tokensource.CacheLoad, tokensource.CacheMiss)
	h.obs.CacheUsed(ctx, tokensource.CacheSave, tokensource.CacheOK)
	h.obs.CacheUsed(ctx, tokensource.CacheLoad, tokensource.CacheHit)
	h.obs.CacheUsed(ctx, tokensource.CacheLoad, tokensource.CacheHit)
	h.obs.CacheUsed(ctx, tokensource.CacheDelete, tokensource.CacheError)
	h.obs.LockWaited(ctx, 2*time.Millisecond, true)
	h.obs.LockWaited(ctx, 3*time.Second, false)
	ms := h.collect(t)

	tests := []struct {
		metric string
		attrs  []attribute.KeyValue
		want   int64
	}{
		{"tokenward.refreshes", []attribute.KeyValue{keyOutcome.String("success"), keyAsync.Bool(false)}, 2},
		{"tokenward.refreshes", []attribute.KeyValue{keyOutcome.String("error"), keyAsync.Bool(true)}, 1},
		{"tokenward.refresh.duration", []attribute.KeyValue{keyOutcome.String("success"), keyAsync.Bool(false)}, 2},
		{"tokenward.refresh.duration", []attribute.KeyValue{keyOutcome.String("error"), keyAsync.Bool(true)}, 1},
		{"tokenward.cache.operations", []attribute.KeyValue{keyOperation.String("load"), keyResult.String("hit")}, 2},
		{"tokenward.cache.operations", []attribute.KeyValue{keyOperation.String("load"), keyResult.String("miss")}, 1},
		{"tokenward.cache.operations", []attribute.KeyValue{keyOperation.String("save"), keyResult.String("ok")}, 1},
		{"tokenward.cache.operations", []attribute.KeyValue{keyOperation.String("delete"), keyResult.String("error")}, 1},
		{"tokenward.lock.wait.duration", []attribute.KeyValue{keyAcquired.Bool(true)}, 1},
		{"tokenward.lock.wait.duration", []attribute.KeyValue{keyAcquired.Bool(false)}, 1},
	}
	for _, tt := range tests {
		m, ok := ms[tt.metric]
		if !ok {
			t.Errorf("no metric %s", tt.metric)
			continue
		}
		if got := find(t, m, tt.attrs...); got != tt.want {
			t.Errorf("%s %v: got %d; want %d", tt.metric, tt.attrs, got, tt.want)
		}
	}
	lock := ms["tokenward.lock.wait.duration"].Data.(metricdata.Histogram[float64])
	var sum float64
	for _, p := range lock.DataPoints {
		sum += p.Sum
	}
	if got, want := sum, 3.002; got < want-1e-9 || got > want+1e-9 {
		t.Errorf("lock wait sum: got %v s; want %v s", got, want)
	}
}

func TestGlobalProviders(t *testing.T) {
	// New(nil, nil) uses the global providers, which default to no-ops:
	// every method must work.
	obs := New(nil, nil)
	ctx, done := obs.StartRequest(context.Background(), client.RequestInfo{Endpoint: "token"})
	done(client.RequestOutcome{Err: errors.New("x")})
	obs.Refreshed(ctx, tokensource.RefreshEvent{})
	obs.CacheUsed(ctx, tokensource.CacheLoad, tokensource.CacheHit)
	obs.LockWaited(ctx, time.Millisecond, true)
}
