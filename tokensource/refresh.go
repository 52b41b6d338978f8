package tokensource

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"golang.org/x/oauth2"
)

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
