package tokensource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/tokenward/tokenward/internal/clock"
	"github.com/tokenward/tokenward/internal/record"
	"github.com/tokenward/tokenward/internal/wire"
)

// maxFreshCheck bounds how long the lock-free fast path trusts a token
// without reading the wall clock, so that a machine that slept (monotonic
// timers stop during suspend) notices an expired token within this time.
const maxFreshCheck = time.Minute

// minFresh is the least time a newly obtained token is served before it
// is renewed.
const minFresh = time.Second

// Cached is a Source that reuses a token until it needs renewal. It is
// safe for concurrent use. The fast path is one atomic load and one atomic
// flag read: no mutex and no clock read.
//
// Tokens returned by Cached are shared between callers and must not be
// modified.
type Cached struct {
	src     Source
	renewer Renewer // src as a Renewer, or nil
	opts    Options
	key     string
	keyHash string // what logs name the key by: never the key itself
	keyErr  error
	clk     clock.Clock
	budget  time.Duration // of each cache call

	cur   atomic.Pointer[entry]
	group singleflight.Group

	nextTry  atomic.Int64 // unix nanoseconds before which no refresh is tried (backoff)
	asyncOn  atomic.Bool  // a background refresh goroutine is running
	rejected atomic.Int32 // tokens invalidated in a row with no response accepted in between
	hungTo   atomic.Int64 // unix nanoseconds until which the cache is deemed hung
	mu       sync.Mutex   // guards the fields below; never held during I/O
	failures int
	lastErr  error
	badToken string // access token reported invalid; never adopted again from the cache
	identity string // whom this source's tokens are for, once known ("" unknown)
}

// entry is one token with its precomputed schedule. Entries are immutable
// except for fresh.
type entry struct {
	tok       *oauth2.Token
	header    []string  // Authorization header value
	refreshAt time.Time // renew from here on; zero: never
	expiry    time.Time // never served from here on; zero: never
	invalid   bool      // reported invalid by Invalidate
	version   uint64    // of the cache record; 0 when not from or for a cache
	saved     time.Time // when the token was obtained
	fresh     atomic.Bool
}

// tokenState is what a Cached may do with a token at a given time.
type tokenState int

const (
	// invalid: absent, expired or reported invalid; not served.
	invalid tokenState = iota
	// stale: in its expiry window; served while it is being renewed.
	stale
	// fresh: served as is.
	fresh
)

func (e *entry) state(now time.Time) tokenState {
	switch {
	case e == nil || e.invalid || !e.expiry.IsZero() && !now.Before(e.expiry):
		return invalid
	case e.refreshAt.IsZero() || now.Before(e.refreshAt):
		return fresh
	}
	return stale
}

// usable reports whether e's token has not expired (it may have been
// reported invalid).
func (e *entry) usable(now time.Time) bool {
	return e != nil && (e.expiry.IsZero() || now.Before(e.expiry))
}

// seeded is implemented by sources built from a starting token, as
// client.Config.TokenSource is. A [Cached] never adopts a cache entry
// whose identity (see Options.CacheKey) contradicts the seed's.
type seeded interface {
	Source
	Seed() *oauth2.Token
}

// New returns a Cached that serves tokens from src. A nil opts means
// defaults. With opts.Cache set and opts.CacheKey empty, every call fails
// with ErrNoCacheKey.
func New(src Source, opts *Options) *Cached {
	c := &Cached{src: src, clk: clock.Real, budget: cacheCallTimeout}
	if opts != nil {
		c.opts = *opts
	}
	c.renewer, _ = src.(Renewer)
	c.key = c.opts.CacheKey
	if c.key != "" {
		sum := sha256.Sum256([]byte(c.key))
		c.keyHash = hex.EncodeToString(sum[:8])
	}
	if c.key == "" && c.opts.Cache != nil {
		c.keyErr = ErrNoCacheKey
	}
	if s, ok := src.(seeded); ok {
		c.identity = record.IdentityOf(s.Seed())
	}
	return c
}

// ErrNoCacheKey is returned when Options.Cache is set but Options.CacheKey
// is empty and the source derives none from a stable identity.
var ErrNoCacheKey = errors.New("tokensource: Options.Cache is set but Options.CacheKey is empty: set CacheKey to name whom the token is for (for many users of one client, use client.Config.UserTokens)")

// ErrIdentityMismatch is returned when the cache entry under CacheKey is
// for another identity than the token the source was built with. The
// entry is neither adopted nor overwritten.
var ErrIdentityMismatch = errors.New("tokensource: the cache entry under CacheKey is for another user than this source's token: give each user their own CacheKey")

// Key returns the cache key of this source (Options.CacheKey), or "".
func (c *Cached) Key() string { return c.key }

// String describes c by the hash of its cache key, without any token, for
// %v and %s.
func (c *Cached) String() string {
	return "tokensource.Cached{key_hash: " + strconv.Quote(c.keyHash) + "}"
}

// GoString describes c without any token, for %#v.
func (c *Cached) GoString() string { return c.String() }

// LogValue describes c without any token, for log/slog.
func (c *Cached) LogValue() slog.Value {
	return slog.GroupValue(slog.String("cache.key_hash", c.keyHash))
}

// Token returns a valid token. It is TokenContext with
// context.Background(), so that Cached satisfies oauth2.TokenSource; use
// TokenContext to bound or cancel the wait.
func (c *Cached) Token() (*oauth2.Token, error) {
	return c.TokenContext(context.Background())
}

// TokenContext returns a valid token, renewing it first when needed. ctx
// bounds only this caller's wait: the renewal itself is shared with the
// other callers and bounded by Options.RefreshTimeout.
func (c *Cached) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	if e := c.cur.Load(); e != nil && e.fresh.Load() {
		return e.tok, nil
	}
	e, err := c.serve(ctx)
	if err != nil {
		return nil, err
	}
	return e.tok, nil
}

// header returns the Authorization header value of a valid token, and the
// token.
func (c *Cached) header(ctx context.Context) ([]string, *oauth2.Token, error) {
	if e := c.cur.Load(); e != nil && e.fresh.Load() {
		return e.header, e.tok, nil
	}
	e, err := c.serve(ctx)
	if err != nil {
		return nil, nil, err
	}
	return e.header, e.tok, nil
}

// Invalidate reports that tok was rejected (for example, a resource server
// answered 401 invalid_token). The next call renews the token. A nil tok
// invalidates the current token; a tok that is no longer current is
// ignored. Before the first token is served, tok is remembered and never
// served.
//
// Invalidate does not reset the backoff of failed renewals, and a source
// whose renewed tokens keep being rejected (more than two in a row with no
// response accepted in between by a [Transport]) backs off too: a
// resource server that rejects every token causes one renewal per backoff
// period (1 s doubling up to a minute), not one per request. Meanwhile
// the rejected token is served until it expires.
func (c *Cached) Invalidate(tok *oauth2.Token) {
	for {
		e := c.cur.Load()
		if e == nil {
			if tok != nil {
				c.mu.Lock()
				c.badToken = tok.AccessToken
				c.mu.Unlock()
			}
			if c.cur.Load() == nil {
				return
			}
			continue // a token arrived meanwhile: invalidate it if it is tok
		}
		if e.invalid || tok != nil && tok.AccessToken != e.tok.AccessToken {
			return
		}
		ne := &entry{tok: e.tok, header: e.header, refreshAt: e.refreshAt, expiry: e.expiry, invalid: true,
			version: e.version, saved: e.saved}
		if c.cur.CompareAndSwap(e, ne) {
			now := c.clk.Now()
			c.mu.Lock()
			c.badToken = e.tok.AccessToken
			c.mu.Unlock()
			if n := int(c.rejected.Add(1)); n > 2 { // renewed tokens keep being rejected
				until := now.Add(backoff(n-2, maxBackoffServing)).UnixNano()
				if until > c.nextTry.Load() {
					c.nextTry.Store(until)
				}
			}
			return
		}
	}
}

// serve decides, with the clock, whether the current token can be served,
// and renews it when needed.
func (c *Cached) serve(ctx context.Context) (*entry, error) {
	if c.keyErr != nil {
		return nil, c.keyErr
	}
	now := c.clk.Now()
	e := c.cur.Load()
	switch e.state(now) {
	case fresh:
		c.arm(e, now)
		return e, nil
	case stale:
		if c.inBackoff(now) {
			return e, nil
		}
		if c.opts.AsyncRefresh || c.failing() {
			// While renewal fails, callers do not wait on the failing
			// endpoint: they keep the valid token and the renewal goes on
			// in the background.
			c.refreshAsync(ctx)
			return e, nil
		}
		ne, err := c.refreshWait(ctx, false)
		if err != nil {
			return e, nil // keep serving the valid token; refresh logged the failure
		}
		return ne, nil
	}
	if c.inBackoff(now) {
		c.mu.Lock()
		err := c.lastErr
		c.mu.Unlock()
		if err != nil {
			return nil, &RefreshError{Err: err, RetryAt: time.Unix(0, c.nextTry.Load())}
		}
		if e.usable(now) {
			return e, nil // rejected, but renewals are backed off: see Invalidate
		}
	}
	return c.refreshWait(ctx, false)
}

// arm marks e fresh and schedules the flag's reset at its refresh time
// (or within maxFreshCheck, whichever is first). The timer holds e only
// weakly, so that a dropped Cached and its token can be collected at once.
func (c *Cached) arm(e *entry, now time.Time) {
	if e.refreshAt.IsZero() {
		e.fresh.Store(true)
		return
	}
	d := min(e.refreshAt.Sub(now), maxFreshCheck)
	if d <= 0 || !e.fresh.CompareAndSwap(false, true) {
		return
	}
	w := weak.Make(e)
	c.clk.AfterFunc(d, func() {
		if e := w.Value(); e != nil {
			e.fresh.Store(false)
		}
	})
}

// failing reports whether the last renewal failed.
func (c *Cached) failing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failures > 0
}

// accepted reports that a resource server accepted the current token,
// which ends a run of rejected tokens.
func (c *Cached) accepted() {
	if c.rejected.Load() != 0 {
		c.rejected.Store(0)
	}
}

func (c *Cached) inBackoff(now time.Time) bool {
	n := c.nextTry.Load()
	return n != 0 && now.UnixNano() < n
}

// newEntry schedules tok, obtained at the given time. Times are compared
// on the wall clock.
func (c *Cached) newEntry(tok *oauth2.Token, obtained time.Time) *entry {
	e := &entry{tok: tok, header: []string{authHeader(tok)}, saved: obtained}
	if tok.Expiry.IsZero() {
		return e
	}
	e.expiry = tok.Expiry.Round(0)
	life := max(e.expiry.Sub(obtained), 0)
	margin := min(10*time.Second, life/10)
	window := c.opts.expiryWindow()
	if j := c.opts.jitterFrac(); j > 0 {
		window += time.Duration(rand.Float64() * j * float64(window))
	}
	window = min(window, life/2)
	e.refreshAt = e.expiry.Add(-max(window, margin))
	return e
}

// newSourceEntry schedules tok, just obtained from the source at now. A
// token that arrives (nearly) expired, because of a skewed clock or a slow
// endpoint, is still served for minFresh: renewing it on every call would
// storm the token endpoint. (Tokens from the cache get no such floor: an
// expired cached token is a miss.)
func (c *Cached) newSourceEntry(tok *oauth2.Token, now time.Time) *entry {
	e := c.newEntry(tok, now)
	fresh := minFresh
	if life := e.expiry.Sub(now); life > 0 {
		fresh = min(fresh, life/2) // a short-lived token still gets its window
	}
	if floor := now.Add(fresh); !e.refreshAt.IsZero() && e.refreshAt.Before(floor) {
		e.refreshAt = floor
		if e.expiry.Before(floor) {
			e.expiry = floor
		}
	}
	return e
}

// isInvalidGrant reports whether err is an RFC 6749 invalid_grant.
func isInvalidGrant(err error) bool { return wire.IsInvalidGrant(err) }

// authHeader is the Authorization header value for tok (RFC 6750 §2.1).
func authHeader(tok *oauth2.Token) string {
	return tok.Type() + " " + tok.AccessToken
}
