package telemetry

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/tokensource"
)

// scope is the instrumentation scope of every meter and tracer.
const scope = "github.com/tokenward/tokenward/telemetry"

// Metric names. They are part of the contract (see the package
// documentation): dashboards and alerts rely on them.
const (
	metricTokenRequests = "tokenward.token.requests"
	metricTokenDuration = "tokenward.token.request.duration"
	metricRefreshes     = "tokenward.refreshes"
	metricRefreshTime   = "tokenward.refresh.duration"
	metricCacheOps      = "tokenward.cache.operations"
	metricLockWait      = "tokenward.lock.wait.duration"
)

// Observer records what packages client and tokensource report as
// OpenTelemetry metrics and spans. It implements [client.Observer] (plug it
// in as client.Config.Observer) and [tokensource.Observer] (as
// tokensource.Options.Observer); one Observer may serve any number of
// configs and sources. It is safe for concurrent use.
type Observer struct {
	tracer trace.Tracer

	requests    metric.Int64Counter
	reqDuration metric.Float64Histogram
	refreshes   metric.Int64Counter
	refreshTime metric.Float64Histogram
	cacheOps    metric.Int64Counter
	lockWait    metric.Float64Histogram
}

// Compile-time checks that *Observer plugs into both packages.
var (
	_ client.Observer      = (*Observer)(nil)
	_ tokensource.Observer = (*Observer)(nil)
)

// New returns an Observer that records metrics with mp and spans with tp.
// A nil mp or tp means the global provider (otel.GetMeterProvider,
// otel.GetTracerProvider), which may be set before or after New. The
// instruments are created once, here; an instrument the provider refuses
// is reported to otel.Handle and left as a no-op.
func New(mp metric.MeterProvider, tp trace.TracerProvider) *Observer {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	m := mp.Meter(scope)
	o := &Observer{tracer: tp.Tracer(scope)}
	var err error
	handle := func(e error) {
		if e != nil {
			otel.Handle(e)
		}
	}
	o.requests, err = m.Int64Counter(metricTokenRequests,
		metric.WithUnit("{request}"),
		metric.WithDescription("Requests to OAuth 2.0 token endpoints, by grant type and outcome."))
	handle(err)
	o.reqDuration, err = m.Float64Histogram(metricTokenDuration,
		metric.WithUnit("s"),
		metric.WithDescription("Duration of token endpoint requests, retries included."),
		metric.WithExplicitBucketBoundaries(durationBuckets()...))
	handle(err)
	o.refreshes, err = m.Int64Counter(metricRefreshes,
		metric.WithUnit("{refresh}"),
		metric.WithDescription("Token renewal attempts by cached token sources, by outcome."))
	handle(err)
	o.refreshTime, err = m.Float64Histogram(metricRefreshTime,
		metric.WithUnit("s"),
		metric.WithDescription("Duration of token renewals, lock and cache round trips included."),
		metric.WithExplicitBucketBoundaries(durationBuckets()...))
	handle(err)
	o.cacheOps, err = m.Int64Counter(metricCacheOps,
		metric.WithUnit("{operation}"),
		metric.WithDescription("Token cache calls, by operation and result."))
	handle(err)
	o.lockWait, err = m.Float64Histogram(metricLockWait,
		metric.WithUnit("s"),
		metric.WithDescription("Time spent taking the cross-process refresh lock."),
		metric.WithExplicitBucketBoundaries(lockBuckets()...))
	handle(err)
	return o
}

// durationBuckets are the histogram boundaries, in seconds, for token
// endpoint requests and renewals: a loopback or same-region server answers
// in milliseconds, a distant one in tens to hundreds, and retries with
// backoff stretch a request up to tokensource.DefaultRefreshTimeout (30 s).
func durationBuckets() []float64 {
	return []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30}
}

// lockBuckets are the boundaries, in seconds, for lock waits: an
// uncontended lock takes a cache round trip (sub-millisecond to a few
// milliseconds); a contended one waits for another process's refresh, up to
// the lock's TTL (tokensource.DefaultLockTTL, 10 s).
func lockBuckets() []float64 {
	return []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}
