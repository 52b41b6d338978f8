package telemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/tokenward/tokenward/tokensource"
)

// Refreshed implements [tokensource.Observer]: it counts the renewal in
// tokenward.refreshes and records its duration in
// tokenward.refresh.duration, with the attributes outcome and async.
func (o *Observer) Refreshed(ctx context.Context, ev tokensource.RefreshEvent) {
	set := metric.WithAttributeSet(attribute.NewSet(outcome(ev.Err), keyAsync.Bool(ev.Async)))
	o.refreshes.Add(ctx, 1, set)
	o.refreshTime.Record(ctx, ev.Duration.Seconds(), set)
}

// CacheUsed implements [tokensource.Observer]: it counts the call in
// tokenward.cache.operations with the attributes operation and result.
func (o *Observer) CacheUsed(ctx context.Context, op tokensource.CacheOp, result tokensource.CacheResult) {
	o.cacheOps.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(
		keyOperation.String(string(op)), keyResult.String(string(result)))))
}

// LockWaited implements [tokensource.Observer]: it records the wait in
// tokenward.lock.wait.duration with the attribute acquired.
func (o *Observer) LockWaited(ctx context.Context, d time.Duration, acquired bool) {
	o.lockWait.Record(ctx, d.Seconds(), metric.WithAttributeSet(attribute.NewSet(keyAcquired.Bool(acquired))))
}
