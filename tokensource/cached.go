package tokensource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
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
	set     settings
	key     string
	keyErr  error
	clk     clock

	cur   atomic.Pointer[entry]
	group singleflight.Group

	nextTry  atomic.Int64 // unix nanoseconds before which no refresh is tried (backoff)
	asyncOn  atomic.Bool  // a background refresh goroutine is running
	mu       sync.Mutex   // guards the fields below; never held during I/O
	failures int
	lastErr  error
	badToken string // access token reported invalid; never adopted again from the cache
}

// entry is one token with its precomputed schedule. Entries are immutable
// except for fresh.
type entry struct {
	tok       *oauth2.Token
	header    []string  // Authorization header value
	refreshAt time.Time // renew from here on; zero: never
	usableTo  time.Time // never served from here on; zero: never
	invalid   bool      // reported invalid by Invalidate
	fresh     atomic.Bool
}

// New returns a Cached that serves tokens from src. A nil opts means
// defaults.
func New(src Source, opts *Options) *Cached {
	c := &Cached{src: src, set: newSettings(opts), clk: realClock{}}
	c.renewer, _ = src.(Renewer)
	c.key = c.set.CacheKey
	if k, ok := src.(keyer); ok && c.key == "" {
		c.key = k.CacheKey()
	}
	if c.key == "" && c.set.Cache != nil {
		c.keyErr = ErrNoCacheKey
	}
	return c
}

// ErrNoCacheKey is returned when Options.Cache is set but no cache key was
// given and the source cannot derive one.
var ErrNoCacheKey = errors.New("tokensource: Options.Cache is set but Options.CacheKey is empty and the source derives none")

// Key returns the cache key of this source: Options.CacheKey, or the key
// the source derives, or "".
func (c *Cached) Key() string { return c.key }

// String describes c by its cache key, without any token, for %v and %s.
func (c *Cached) String() string { return "tokensource.Cached{key: " + strconv.Quote(c.key) + "}" }

// GoString describes c without any token, for %#v.
func (c *Cached) GoString() string { return c.String() }

// LogValue describes c without any token, for log/slog.
func (c *Cached) LogValue() slog.Value { return slog.GroupValue(slog.String("key", c.key)) }

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
	e, err := c.slow(ctx)
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
	e, err := c.slow(ctx)
	if err != nil {
		return nil, nil, err
	}
	return e.header, e.tok, nil
}

// Invalidate reports that tok was rejected (for example, a resource server
// answered 401 invalid_token). The next call renews the token. A nil tok
// invalidates the current token; a tok that is no longer current is
// ignored.
func (c *Cached) Invalidate(tok *oauth2.Token) {
	for {
		e := c.cur.Load()
		if e == nil || e.invalid {
			return
		}
		if tok != nil && tok.AccessToken != e.tok.AccessToken {
			return
		}
		ne := &entry{tok: e.tok, header: e.header, refreshAt: e.refreshAt, usableTo: e.usableTo, invalid: true}
		if c.cur.CompareAndSwap(e, ne) {
			c.mu.Lock()
			c.badToken = e.tok.AccessToken
			c.mu.Unlock()
			c.nextTry.Store(0)
			return
		}
	}
}

// slow decides, with the clock, whether the current token can be served.
func (c *Cached) slow(ctx context.Context) (*entry, error) {
	if c.keyErr != nil {
		return nil, c.keyErr
	}
	now := c.clk.Now()
	e := c.cur.Load()
	if e != nil && !e.invalid {
		if e.refreshAt.IsZero() || now.Before(e.refreshAt) {
			c.arm(e, now)
			return e, nil
		}
		if e.usableTo.IsZero() || now.Before(e.usableTo) {
			// In the expiry window with a valid token.
			if c.inBackoff(now) {
				return e, nil
			}
			if c.set.AsyncRefresh {
				c.refreshAsync()
				return e, nil
			}
			ne, err := c.refreshWait(ctx)
			if err != nil {
				return e, nil // keep serving the valid token; refresh logged the failure
			}
			return ne, nil
		}
	}
	if c.inBackoff(now) {
		c.mu.Lock()
		err := c.lastErr
		c.mu.Unlock()
		if err != nil {
			return nil, &RefreshError{Err: err, Backoff: true}
		}
	}
	return c.refreshWait(ctx)
}

// arm marks e fresh and schedules the flag's reset at its refresh time
// (or within maxFreshCheck, whichever is first).
func (c *Cached) arm(e *entry, now time.Time) {
	if e.refreshAt.IsZero() {
		e.fresh.Store(true)
		return
	}
	d := min(e.refreshAt.Sub(now), maxFreshCheck)
	if d <= 0 || !e.fresh.CompareAndSwap(false, true) {
		return
	}
	c.clk.AfterFunc(d, func() { e.fresh.Store(false) })
}

func (c *Cached) inBackoff(now time.Time) bool {
	n := c.nextTry.Load()
	return n != 0 && now.UnixNano() < n
}

// refreshWait joins the shared refresh and waits for it on ctx, and at
// most about the refresh timeout, even if the source ignores its context.
func (c *Cached) refreshWait(ctx context.Context) (*entry, error) {
	ch := c.group.DoChan("refresh", func() (v any, err error) {
		// A panic here would crash the process from a goroutine that no
		// caller can recover in: it is a failed refresh instead.
		defer func() {
			if r := recover(); r != nil {
				v, err = nil, fmt.Errorf("tokensource: refresh panicked: %v", r)
				c.set.log.Error("tokensource: refresh panicked", "key", c.key, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				c.fail(err, c.clk.Now())
			}
		}()
		return c.refresh(ctx)
	})
	timer := time.NewTimer(c.set.timeout + c.set.timeout/10 + 50*time.Millisecond)
	defer timer.Stop()
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*entry), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
		err := fmt.Errorf("tokensource: refresh did not end within %v: %w", c.set.timeout, context.DeadlineExceeded)
		c.fail(err, c.clk.Now())
		return nil, err
	}
}

// refreshAsync starts a background refresh unless one is running. The
// goroutine ends when the refresh ends, within Options.RefreshTimeout.
func (c *Cached) refreshAsync() {
	if !c.asyncOn.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer c.asyncOn.Store(false)
		_, _ = c.refreshWait(context.Background())
	}()
}

// refresh obtains a new token; the singleflight group runs one at a time.
// It is detached from the cancellation of ctx (the first caller's) and
// bounded by the refresh timeout.
func (c *Cached) refresh(ctx context.Context) (*entry, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.set.timeout)
	defer cancel()

	// A refresh that finished just before this one started may have left
	// a fresh token.
	if e := c.cur.Load(); e != nil && !e.invalid {
		now := c.clk.Now()
		if e.refreshAt.IsZero() || now.Before(e.refreshAt) {
			c.arm(e, now)
			return e, nil
		}
	}

	var prev *oauth2.Token
	if e := c.cur.Load(); e != nil {
		prev = e.tok
	}
	var cached *entry // a valid token from the cache, served if the refresh fails
	if c.set.Cache != nil {
		if l, ok := c.set.Cache.(Locker); ok {
			lctx, lcancel := context.WithTimeout(ctx, min(c.set.lockTTL, c.set.timeout/2))
			unlock, err := l.Lock(lctx, c.key, c.set.lockTTL)
			lcancel()
			if err != nil {
				c.set.log.Warn("tokensource: cache lock failed; refreshing without it", "key", c.key, "err", err)
			} else {
				defer unlock()
			}
		}
		tok, e, fresh := c.fromCache(ctx)
		if fresh {
			return c.adopt(e), nil
		}
		if tok != nil {
			prev, cached = tok, e // the cache is the record: it may hold a rotated refresh token
		}
	}

	tok, err := c.obtain(ctx, prev)
	if err != nil && c.set.Cache != nil && prev != nil && isInvalidGrant(err) {
		// A peer may have rotated the refresh token while we waited.
		ctok, e, fresh := c.fromCache(ctx)
		if fresh {
			return c.adopt(e), nil
		}
		if ctok != nil && ctok.RefreshToken != prev.RefreshToken {
			tok, err = c.obtain(ctx, ctok)
		}
	}
	now := c.clk.Now()
	if err != nil {
		if cached != nil && c.cur.Load() == nil && (cached.usableTo.IsZero() || now.Before(cached.usableTo)) {
			// Still valid: serve it, as with a token in memory, and renew
			// it after the backoff.
			c.cur.Store(cached)
			c.fail(err, now)
			return cached, nil
		}
		c.fail(err, now)
		return nil, err
	}
	if c.set.Cache != nil {
		if data, err := encodeAt(tok, now); err != nil {
			c.set.log.Warn("tokensource: cannot encode token for the cache", "key", c.key, "err", err)
		} else if err := c.set.Cache.Save(ctx, c.key, data, cacheExpiry(tok, now)); err != nil {
			c.set.log.Warn("tokensource: cache save failed; token kept in memory", "key", c.key, "err", err)
		}
	}
	if c.set.OnRefresh != nil {
		c.onRefresh(ctx, tok)
	}
	e := c.newSourceEntry(tok, now)
	c.succeed()
	c.cur.Store(e)
	c.arm(e, now)
	return e, nil
}

// onRefresh calls Options.OnRefresh. A panic is logged, not propagated:
// the token is already saved and may hold a rotated refresh token that
// exists nowhere else, so it is served rather than lost.
func (c *Cached) onRefresh(ctx context.Context, tok *oauth2.Token) {
	defer func() {
		if r := recover(); r != nil {
			c.set.log.Error("tokensource: OnRefresh panicked; serving the new token anyway", "key", c.key, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	c.set.OnRefresh(ctx, tok)
}

// obtain calls the source.
func (c *Cached) obtain(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	var tok *oauth2.Token
	var err error
	if c.renewer != nil {
		tok, err = c.renewer.Renew(ctx, prev)
	} else {
		tok, err = c.src.TokenContext(ctx)
	}
	if err != nil {
		return nil, err
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, errors.New("tokensource: source returned an empty token")
	}
	return tok, nil
}

// fromCache loads the cached token and its entry; fresh reports whether
// it can be served as is. The entry is nil when the token cannot be served
// at all. Failures are misses with a warning.
func (c *Cached) fromCache(ctx context.Context) (tok *oauth2.Token, e *entry, fresh bool) {
	data, err := c.set.Cache.Load(ctx, c.key)
	if err != nil {
		c.set.log.Warn("tokensource: cache load failed; treating as a miss", "key", c.key, "err", err)
		return nil, nil, false
	}
	if data == nil {
		return nil, nil, false
	}
	tok, saved, err := decodeRecord(data)
	if err != nil {
		c.set.log.Warn("tokensource: cache entry unreadable; treating as a miss", "key", c.key, "err", err)
		return nil, nil, false
	}
	c.mu.Lock()
	bad := c.badToken
	c.mu.Unlock()
	if tok.AccessToken == "" || tok.AccessToken == bad {
		return tok, nil, false
	}
	now := c.clk.Now()
	if saved.IsZero() || saved.After(now) {
		saved = now
	}
	e = c.newEntry(tok, saved)
	if !e.usableTo.IsZero() && !now.Before(e.usableTo) {
		return tok, nil, false
	}
	return tok, e, e.refreshAt.IsZero() || now.Before(e.refreshAt)
}

// adopt makes e, a fresh token from the cache, the current one.
func (c *Cached) adopt(e *entry) *entry {
	c.succeed()
	c.cur.Store(e)
	c.arm(e, c.clk.Now())
	return e
}

// newEntry schedules tok, obtained at the given time.
func (c *Cached) newEntry(tok *oauth2.Token, obtained time.Time) *entry {
	e := &entry{tok: tok, header: []string{authHeader(tok)}}
	if tok.Expiry.IsZero() {
		return e
	}
	life := max(tok.Expiry.Sub(obtained), 0)
	margin := min(10*time.Second, life/10)
	e.usableTo = tok.Expiry.Add(-margin)
	window := c.set.window
	if c.set.jitter > 0 {
		window += time.Duration(rand.Float64() * c.set.jitter * float64(window))
	}
	window = min(window, life/2)
	e.refreshAt = tok.Expiry.Add(-max(window, margin))
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
	if life := tok.Expiry.Sub(now); life > 0 {
		fresh = min(fresh, life/2) // a short-lived token still gets its window
	}
	if floor := now.Add(fresh); !e.refreshAt.IsZero() && e.refreshAt.Before(floor) {
		e.refreshAt = floor
		if e.usableTo.Before(floor) {
			e.usableTo = floor
		}
	}
	return e
}

// fail records a failed refresh and schedules the next attempt.
func (c *Cached) fail(err error, now time.Time) {
	c.mu.Lock()
	c.failures++
	c.lastErr = err
	n := c.failures
	c.mu.Unlock()
	e := c.cur.Load()
	serving := e != nil && !e.invalid && (e.usableTo.IsZero() || now.Before(e.usableTo))
	// With a valid token to serve, back off up to a minute; without one,
	// callers fail until the next try, so try again within seconds.
	limit := maxBackoffServing
	if !serving {
		limit = maxBackoffFailing
	}
	d := backoff(n, limit)
	if ra, ok := serverRetryAfter(err); ok {
		d = min(max(ra, d/2), time.Minute) // the server knows best, within reason
	}
	c.nextTry.Store(now.Add(d).UnixNano())
	attrs := []any{"key", c.key, "failures", n, "retry_in", d, "err", err}
	if serving {
		c.set.log.Warn("tokensource: refresh failed; serving the current token until it expires", attrs...)
		return
	}
	// The callers waiting get the error; a warning would say it twice.
	c.set.log.Debug("tokensource: refresh failed", attrs...)
}

func (c *Cached) succeed() {
	c.mu.Lock()
	c.failures = 0
	c.lastErr = nil
	c.mu.Unlock()
	c.nextTry.Store(0)
}

// Backoff limits after failed refreshes.
const (
	maxBackoffServing = time.Minute     // while a valid token is served
	maxBackoffFailing = 8 * time.Second // while callers get errors
)

// backoff is the pause after n consecutive failures: 1s doubling up to
// limit, with up to 20% jitter.
func backoff(n int, limit time.Duration) time.Duration {
	d := min(time.Second<<min(n-1, 6), limit)
	return d + time.Duration(rand.Float64()*0.2*float64(d))
}

// serverRetryAfter returns the Retry-After of the HTTP response behind
// err (seconds or an HTTP date), if any.
func serverRetryAfter(err error) (time.Duration, bool) {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return 0, false
	}
	v := re.Response.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// RefreshError is returned when no valid token is available because
// recent refreshes failed and the next attempt is not due yet. Err is the
// last failure.
type RefreshError struct {
	Err     error
	Backoff bool
}

func (e *RefreshError) Error() string {
	return fmt.Sprintf("tokensource: token refresh failed recently, backing off: %v", e.Err)
}

func (e *RefreshError) Unwrap() error { return e.Err }

// isInvalidGrant reports whether err is an RFC 6749 invalid_grant.
func isInvalidGrant(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// authHeader is the Authorization header value for tok (RFC 6750 §2.1).
func authHeader(tok *oauth2.Token) string {
	return tok.Type() + " " + tok.AccessToken
}
