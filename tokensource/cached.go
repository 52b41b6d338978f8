package tokensource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

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

// isInvalidGrant reports whether err is an RFC 6749 invalid_grant.
func isInvalidGrant(err error) bool { return wire.IsInvalidGrant(err) }

// authHeader is the Authorization header value for tok (RFC 6750 §2.1).
func authHeader(tok *oauth2.Token) string {
	return tok.Type() + " " + tok.AccessToken
}
