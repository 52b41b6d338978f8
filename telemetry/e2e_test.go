package telemetry

// End-to-end: client.Config.Observer and tokensource.Options.Observer
// wired to one telemetry.Observer against the oauth2test fake server.

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/internal/testlog"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

const e2eSecret = "secret-XYZ-client-credential"

// pending fails a test whose hook was never called.
func pending(t *testing.T, hook string) {
	t.Helper()
	t.Fatalf("%s: the Observer is never called", hook)
}

// e2e is one run: a caller span, a successful and a refused token
// request through cached sources, and everything that was exported.
type e2e struct {
	parent  trace.SpanContext
	tokens  []string
	spans   []sdktrace.ReadOnlySpan
	metrics map[string]metricdata.Metrics
	dump    string
}

func runE2E(t *testing.T) *e2e {
	t.Helper()
	h := newHarness(t)
	obs, tp := h.obs, h.tp

	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{ID: "e2e-client", Secret: e2eSecret}}})
	t.Cleanup(srv.Close)
	conf := &client.Config{ClientID: "e2e-client", ClientSecret: e2eSecret, Endpoint: srv.Endpoint(), Observer: obs}
	// One Locker cache, one key per source.
	opts := &tokensource.Options{Observer: obs, Cache: &cache.Memory{}, CacheKey: "e2e-client/default"}
	refusedOpts := *opts
	refusedOpts.CacheKey = "e2e-client/admin"

	var run e2e
	ctx, parent := tp.Tracer("caller").Start(context.Background(), "GET /orders")
	run.parent = parent.SpanContext()
	tok, err := conf.ClientCredentialsSource(opts).TokenContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	run.tokens = append(run.tokens, tok.AccessToken)

	srv.QueueFault(oauth2test.Fault{Error: "invalid_scope", Description: "scope denied for " + e2eSecret})
	refused := *conf
	refused.Scopes = []string{"admin"}
	_, err = refused.ClientCredentialsSource(&refusedOpts).TokenContext(ctx)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_scope" {
		t.Fatalf("refused request: got %v; want an invalid_scope *oauth2.RetrieveError", err)
	}
	parent.End()

	run.spans = h.spans.Ended()
	run.dump = h.exported(t) // before collect: a cumulative reader exports the same data again
	run.metrics = h.collect(t)
	return &run
}

func (r *e2e) tokenSpans() []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range r.spans {
		if s.Name() == "oauth2 token" {
			out = append(out, s)
		}
	}
	return out
}

func TestE2EClient(t *testing.T) {
	r := runE2E(t)
	spans := r.tokenSpans()
	if len(spans) == 0 {
		pending(t, "client.Config.Observer")
	}
	if got, want := len(spans), 2; got != want {
		t.Fatalf("got %d token spans; want %d", got, want)
	}
	for i, s := range spans {
		if got := s.Parent().SpanID(); got != r.parent.SpanID() {
			t.Errorf("span %d: parent %v; want the caller's span %v (the refresh is detached from the caller but not from its trace)", i, got, r.parent.SpanID())
		}
		attrs := map[attribute.Key]attribute.Value{}
		for _, kv := range s.Attributes() {
			attrs[kv.Key] = kv.Value
		}
		if got := attrs["grant_type"].AsString(); got != "client_credentials" {
			t.Errorf("span %d: grant_type %q; want client_credentials", i, got)
		}
		if got := attrs["server.address"].AsString(); got != "127.0.0.1" {
			t.Errorf("span %d: server.address %q; want 127.0.0.1", i, got)
		}
		if got := attrs["server.port"].AsInt64(); got == 0 {
			t.Errorf("span %d: no server.port", i)
		}
	}
	if got := spans[0].Status().Code; got != codes.Unset {
		t.Errorf("successful request: status %v; want Unset", got)
	}
	if got := spans[1].Status(); got.Code != codes.Error || got.Description != "invalid_scope" {
		t.Errorf("refused request: status %v %q; want Error \"invalid_scope\"", got.Code, got.Description)
	}
	reqs := r.metrics["tokenward.token.requests"]
	port := attribute.Int64("server.port", 0)
	for _, kv := range spans[0].Attributes() {
		if kv.Key == "server.port" {
			port = kv
		}
	}
	base := []attribute.KeyValue{attribute.String("grant_type", "client_credentials"), attribute.String("server.address", "127.0.0.1"), port}
	if got := find(t, reqs, append(base, attribute.Int("http.response.status_code", 200), attribute.String("outcome", "success"))...); got != 1 {
		t.Errorf("tokenward.token.requests success: got %d; want 1", got)
	}
	if got := find(t, reqs, append(base, attribute.Int("http.response.status_code", 400), attribute.String("error_code", "invalid_scope"), attribute.String("outcome", "error"))...); got != 1 {
		t.Errorf("tokenward.token.requests invalid_scope: got %d; want 1", got)
	}
	if _, ok := r.metrics["tokenward.token.request.duration"]; !ok {
		t.Error("no tokenward.token.request.duration")
	}
}

func TestE2ETokensource(t *testing.T) {
	r := runE2E(t)
	if _, ok := r.metrics["tokenward.refreshes"]; !ok {
		pending(t, "tokensource.Options.Observer")
	}
	tests := []struct {
		metric string
		attrs  []attribute.KeyValue
		want   int64
	}{
		{"tokenward.refreshes", []attribute.KeyValue{attribute.String("outcome", "success"), attribute.Bool("async", false)}, 1},
		{"tokenward.refreshes", []attribute.KeyValue{attribute.String("outcome", "error"), attribute.Bool("async", false)}, 1},
		{"tokenward.refresh.duration", []attribute.KeyValue{attribute.String("outcome", "success"), attribute.Bool("async", false)}, 1},
		{"tokenward.cache.operations", []attribute.KeyValue{attribute.String("operation", "save"), attribute.String("result", "ok")}, 1},
	}
	for _, tt := range tests {
		if got := find(t, r.metrics[tt.metric], tt.attrs...); got != tt.want {
			t.Errorf("%s %v: got %d; want %d", tt.metric, tt.attrs, got, tt.want)
		}
	}
	// Each source takes the lock of cache.Memory (a Locker) to refresh.
	if got := find(t, r.metrics["tokenward.lock.wait.duration"], attribute.Bool("acquired", true)); got < 2 {
		t.Errorf("lock waits (acquired): got %d; want at least 2", got)
	}
	// Each source loads its key at least once (before the lock, and
	// again under it): all misses, since the two keys differ.
	if got := find(t, r.metrics["tokenward.cache.operations"], attribute.String("operation", "load"), attribute.String("result", "miss")); got < 2 {
		t.Errorf("cache load misses: got %d; want at least 2", got)
	}
}

func TestE2ENoSecret(t *testing.T) {
	r := runE2E(t)
	if len(r.tokenSpans()) == 0 && len(r.metrics) == 0 {
		pending(t, "client.Config.Observer and tokensource.Options.Observer")
	}
	testlog.NoSecrets(t, "exported telemetry", r.dump, append([]string{e2eSecret, "secret-XYZ"}, r.tokens...)...)
}
