package tokensource

import (
	"context"
	"time"
)

// Observer sees what a Cached does off its fast path: renewals, cache
// round trips and waits for the cross-process refresh lock. Package
// telemetry implements it on OpenTelemetry; any other implementation may be
// plugged in as Options.Observer. Methods are called synchronously on the
// refresh path, never on the cached fast path, and must return quickly.
// They receive no token, secret or raw cache key.
type Observer interface {
	// Refreshed is called once per renewal attempt, when it ends. ctx is
	// the renewal's context, which carries the values (a trace span, for
	// example) of the call that triggered it.
	Refreshed(ctx context.Context, ev RefreshEvent)
	// CacheUsed is called after each Load, Save or Delete on Options.Cache.
	CacheUsed(ctx context.Context, op CacheOp, result CacheResult)
	// LockWaited is called after each attempt to take the refresh lock of
	// a Locker cache, with how long it took and whether it was acquired.
	LockWaited(ctx context.Context, d time.Duration, acquired bool)
}

// RefreshEvent describes one renewal attempt.
type RefreshEvent struct {
	// Async is true for a background renewal (Options.AsyncRefresh).
	Async bool
	// Duration is how long the attempt took, lock and cache included.
	Duration time.Duration
	// Err is nil when a new token was obtained or adopted from the cache.
	Err error
}

// CacheOp names a cache call.
type CacheOp string

// The cache calls an Observer sees.
const (
	CacheLoad   CacheOp = "load"
	CacheSave   CacheOp = "save"
	CacheDelete CacheOp = "delete"
)

// CacheResult is the outcome of a cache call.
type CacheResult string

// The outcomes of a cache call: a Load is a hit or a miss (absent,
// expired or corrupt entries are misses); Save and Delete are ok; any call
// that failed is an error.
const (
	CacheHit   CacheResult = "hit"
	CacheMiss  CacheResult = "miss"
	CacheOK    CacheResult = "ok"
	CacheError CacheResult = "error"
)
