package tokensource

import (
	"context"
	"log/slog"
	"time"

	"golang.org/x/oauth2"
)

// Default values used where an Options field is left zero.
const (
	// DefaultExpiryWindow is how long before expiry a token is renewed.
	DefaultExpiryWindow = time.Minute
	// DefaultRefreshTimeout bounds one shared refresh, including its
	// retries and the cache round trips around it.
	DefaultRefreshTimeout = 30 * time.Second
	// DefaultLockTTL is the lease of a cross-process refresh lock, and
	// what every Locker in this module uses when Lock is called with a
	// ttl of zero or less. It outlives the default refresh budget it
	// guards.
	DefaultLockTTL = DefaultRefreshTimeout + lockMargin
)

const (
	// defaultJitterFrac spreads renewals of processes sharing a token.
	defaultJitterFrac = 0.1
	// lockMargin is how much longer than the refresh budget a lock's
	// lease lasts by default.
	lockMargin = 10 * time.Second
	// cacheCallTimeout bounds each cache call (Load, Save, Lock of a
	// source that need not hold the lock), so that a cache that accepts
	// connections and never answers cannot eat the refresh budget.
	cacheCallTimeout = 2 * time.Second
)

// Options configures a [Cached]. A nil *Options means all defaults; every
// zero field means its default.
type Options struct {
	// Cache, if set, persists tokens. The cache is the record: a stored
	// entry wins over the token a source was built with, unless it is
	// older than the one the source holds or is for another identity.
	Cache Cache
	// CacheKey names this source's entry in Cache: whom the token is
	// for. It is required with Cache, except for sources that derive it
	// from a stable identity (client.Config.ClientCredentialsSource and
	// PasswordSource do, from the token URL, client ID, scopes and
	// username). It is never derived from a token's contents. For many
	// users of one client, use client.Config.UserTokens.
	CacheKey string

	// ExpiryWindow is how long before its expiry a token is renewed
	// (DefaultExpiryWindow when zero; negative means at expiry). The
	// window never exceeds half the token's lifetime, so short-lived
	// tokens are still served most of their life. It decides when
	// renewal starts, not when a token stops being served: while
	// renewal fails, a token is served until it expires.
	ExpiryWindow time.Duration
	// JitterFrac widens the window at random by up to this fraction so
	// that processes sharing a token do not renew in step (0.1 when
	// zero; negative disables jitter).
	JitterFrac float64
	// AsyncRefresh renews tokens in the background once they enter the
	// expiry window; callers keep receiving the still-valid token and
	// never wait on the token endpoint while one exists.
	AsyncRefresh bool
	// RefreshTimeout bounds a refresh, which is detached from the
	// cancellation of the callers waiting on it
	// (DefaultRefreshTimeout when zero). Callers stop waiting after it
	// even if the source ignores its context; such a source's call then
	// goes on in its goroutine until it returns.
	RefreshTimeout time.Duration
	// LockTTL is the lease of a cross-process refresh lock taken on a
	// Cache that is a Locker (RefreshTimeout plus 10 s when zero, which
	// is DefaultLockTTL with the default RefreshTimeout). The refresh it
	// guards is cancelled when the lease ends.
	LockTTL time.Duration

	// OnRefresh, if set, is called with every token obtained from the
	// source, after it is saved to Cache and before any caller receives
	// it. It is the place to persist a rotated refresh token elsewhere.
	// A starting token that a source was built with (client.TokenSource)
	// counts: it is passed once, when first served. Tokens adopted from
	// Cache were already passed by the process that obtained them. It
	// runs on the refresh path: keep it short.
	OnRefresh func(ctx context.Context, tok *oauth2.Token)

	// Logger receives warnings (cache failures, failed refreshes while a
	// valid token is still served). Nil means slog.Default(). No secret
	// is ever logged.
	Logger *slog.Logger

	// Observer, if set, sees renewals, cache calls and lock waits (see
	// package telemetry). It is never called on the cached fast path.
	Observer Observer

	// DPoP, if set, is the key the source's tokens are bound to (RFC
	// 9449): a Transport over this source signs a proof with it for every
	// request that carries a DPoP token, and a cached token bound to
	// another key is never used. Sources from package client set it from
	// client.Config.DPoP.
	DPoP Prover

	// CertThumbprint is the base64url SHA-256 of the TLS client
	// certificate the source's tokens are bound to (RFC 8705 x5t#S256): a
	// cached token bound to another certificate is never used. Sources
	// from package client set it when client.Config.MTLS is set and the
	// HTTPClient presents a fixed certificate.
	CertThumbprint string
}

func (o *Options) expiryWindow() time.Duration {
	switch {
	case o == nil || o.ExpiryWindow == 0:
		return DefaultExpiryWindow
	case o.ExpiryWindow < 0:
		return 0
	}
	return o.ExpiryWindow
}

func (o *Options) jitterFrac() float64 {
	switch {
	case o == nil || o.JitterFrac == 0:
		return defaultJitterFrac
	case o.JitterFrac < 0:
		return 0
	}
	return o.JitterFrac
}

func (o *Options) refreshTimeout() time.Duration {
	if o == nil || o.RefreshTimeout <= 0 {
		return DefaultRefreshTimeout
	}
	return o.RefreshTimeout
}

func (o *Options) lockTTL() time.Duration {
	if o == nil || o.LockTTL <= 0 {
		return o.refreshTimeout() + lockMargin
	}
	return o.LockTTL
}

func (o *Options) logger() *slog.Logger {
	if o == nil || o.Logger == nil {
		return slog.Default()
	}
	return o.Logger
}

func (o *Options) observer() Observer {
	if o == nil || o.Observer == nil {
		return nopObserver{}
	}
	return o.Observer
}

type nopObserver struct{}

func (nopObserver) Refreshed(context.Context, RefreshEvent)         {}
func (nopObserver) CacheUsed(context.Context, CacheOp, CacheResult) {}
func (nopObserver) LockWaited(context.Context, time.Duration, bool) {}
