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
	// DefaultJitterFrac spreads renewals of processes sharing a token.
	DefaultJitterFrac = 0.1
	// DefaultRefreshTimeout bounds one shared refresh, including its
	// retries and the cache round trips around it.
	DefaultRefreshTimeout = 30 * time.Second
	// DefaultLockTTL is how long a cross-process refresh lock lives when
	// its holder does not release it.
	DefaultLockTTL = 10 * time.Second
)

// Options configures a [Cached]. A nil *Options means all defaults; every
// zero field means its default.
type Options struct {
	// Cache, if set, persists tokens. The cache is the record: a stored
	// entry wins over the token a source was built with.
	Cache Cache
	// CacheKey names this source's entry in Cache. When empty, sources
	// from package client derive one from the token URL, client ID,
	// scopes and subject; for other sources it is required with Cache.
	CacheKey string

	// ExpiryWindow is how long before its expiry a token is renewed
	// (DefaultExpiryWindow when zero; negative means at expiry). The
	// window never exceeds half the token's lifetime, so short-lived
	// tokens are still served most of their life.
	ExpiryWindow time.Duration
	// JitterFrac widens the window at random by up to this fraction so
	// that processes sharing a token do not renew in step
	// (DefaultJitterFrac when zero; negative disables jitter).
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
	// LockTTL is the lifetime of a cross-process refresh lock taken on a
	// Cache that is a Locker (DefaultLockTTL when zero).
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
}

// settings is Options with defaults applied.
type settings struct {
	Options
	window  time.Duration
	jitter  float64
	timeout time.Duration
	lockTTL time.Duration
	log     *slog.Logger
}

func newSettings(o *Options) settings {
	var s settings
	if o != nil {
		s.Options = *o
	}
	s.window = s.ExpiryWindow
	switch {
	case s.window == 0:
		s.window = DefaultExpiryWindow
	case s.window < 0:
		s.window = 0
	}
	s.jitter = s.JitterFrac
	switch {
	case s.jitter == 0:
		s.jitter = DefaultJitterFrac
	case s.jitter < 0:
		s.jitter = 0
	}
	s.timeout = s.RefreshTimeout
	if s.timeout <= 0 {
		s.timeout = DefaultRefreshTimeout
	}
	s.lockTTL = s.LockTTL
	if s.lockTTL <= 0 {
		s.lockTTL = DefaultLockTTL
	}
	s.log = s.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}
