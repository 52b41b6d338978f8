package tokensource

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/record"
)

// ErrNotLocked is returned when a source that renews with a refresh token
// (a [Renewer]) cannot take its Locker cache's refresh lock within its
// budget, because a peer holds it or the cache fails, and no valid token
// is left to serve. Such a source never renews without the lock: two
// renewals of one rotating refresh token revoke it at servers with reuse
// detection.
var ErrNotLocked = errors.New("tokensource: cannot take the cache's refresh lock; not renewing a refresh token without it")

// refreshWait joins the shared refresh and waits for it on ctx, and at
// most about the refresh timeout, even if the source ignores its context.
func (c *Cached) refreshWait(ctx context.Context, async bool) (*entry, error) {
	ch := c.group.DoChan("refresh", func() (v any, err error) {
		start := c.clk.Now()
		defer func() {
			// A panic here would crash the process from a goroutine that no
			// caller can recover in: it is a failed refresh instead.
			if r := recover(); r != nil {
				v, err = nil, fmt.Errorf("tokensource: refresh panicked: %v", r)
				c.opts.logger().Error("tokensource: refresh panicked", "cache.key_hash", c.keyHash, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				c.fail(err, c.clk.Now())
			}
			c.opts.observer().Refreshed(ctx, RefreshEvent{Async: async, Duration: c.clk.Now().Sub(start), Err: err})
		}()
		return c.refresh(ctx)
	})
	timeout := c.opts.refreshTimeout()
	expired := make(chan struct{})
	timer := c.clk.AfterFunc(timeout+timeout/10+50*time.Millisecond, func() { close(expired) })
	defer timer.Stop()
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*entry), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-expired:
		err := fmt.Errorf("tokensource: refresh did not end within %v: %w", timeout, context.DeadlineExceeded)
		c.fail(err, c.clk.Now())
		return nil, err
	}
}

// refreshAsync starts a background refresh unless one is running. The
// refresh runs in a context derived from the caller's without its
// cancellation (so its values, a trace span for example, flow), and the
// goroutine ends when the refresh ends, within Options.RefreshTimeout.
func (c *Cached) refreshAsync(ctx context.Context) {
	if !c.asyncOn.CompareAndSwap(false, true) {
		return
	}
	ctx = context.WithoutCancel(ctx)
	go func() {
		defer c.asyncOn.Store(false)
		_, _ = c.refreshWait(ctx, true)
	}()
}

// refresh obtains a new token; the singleflight group runs one at a time.
// It is detached from the cancellation of ctx (the first caller's) and
// bounded by the refresh timeout, and by the lock's lease when it holds
// one.
func (c *Cached) refresh(ctx context.Context) (*entry, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.refreshTimeout())
	defer cancel()

	// A refresh that finished just before this one started may have left
	// a fresh token.
	held := c.cur.Load()
	if now := c.clk.Now(); held.state(now) == fresh {
		c.arm(held, now)
		return held, nil
	}
	var prev *oauth2.Token
	if held != nil {
		prev = held.tok
	}
	if c.opts.Cache == nil {
		return c.renew(ctx, held, prev, nil, 0)
	}

	var cached *entry // a valid token from the cache, served if the refresh fails
	if l, ok := c.opts.Cache.(Locker); ok {
		gctx, unlock, err := c.lock(ctx, l)
		if err != nil {
			if c.renewer != nil {
				return c.unlocked(ctx, held, err)
			}
			c.opts.logger().Warn("tokensource: cache lock failed; refreshing without it", "cache.key_hash", c.keyHash, "err", err)
		} else {
			defer unlock()
			ctx = gctx
		}
	}
	r, e, err := c.load(ctx, held)
	if err != nil {
		return nil, c.failNow(err)
	}
	if e != nil && e.state(c.clk.Now()) == fresh {
		return c.adopt(e), nil
	}
	var startVer uint64
	if r.Token != nil {
		prev, cached, startVer = r.Token, e, r.Version // the cache is the record: it may hold a rotated refresh token
	}
	return c.renew(ctx, held, prev, cached, startVer)
}

// renew calls the source with prev, saves the new token and makes it
// current. cached is a valid token from the cache to serve if the call
// fails; startVer is the version of the cache record prev came from.
func (c *Cached) renew(ctx context.Context, held *entry, prev *oauth2.Token, cached *entry, startVer uint64) (*entry, error) {
	tok, err := c.obtain(ctx, prev)
	if err != nil && c.opts.Cache != nil && prev != nil && isInvalidGrant(err) {
		// A peer may have rotated the refresh token while we waited.
		r, e, lerr := c.load(ctx, held)
		if lerr == nil && e != nil && e.state(c.clk.Now()) == fresh {
			return c.adopt(e), nil
		}
		if lerr == nil && r.Token != nil && r.Token.RefreshToken != prev.RefreshToken {
			prev, startVer = r.Token, r.Version
			tok, err = c.obtain(ctx, prev)
		}
	}
	now := c.clk.Now()
	if err != nil {
		if cached != nil && c.cur.Load() == nil && cached.usable(now) {
			// Still valid: serve it, as with a token in memory, and renew
			// it after the backoff.
			c.cur.Store(cached)
			c.fail(err, now)
			return cached, nil
		}
		return nil, c.failNow(err)
	}
	id := record.IdentityOf(tok)
	c.mu.Lock()
	if id == "" {
		id = c.identity // a refresh response without an id_token is for the same user
	} else if c.identity == "" {
		c.identity = id
	}
	c.mu.Unlock()
	e := c.newSourceEntry(tok, now)
	if c.opts.Cache != nil {
		if prev != nil && prev.RefreshToken != "" {
			// Another process may have rotated the refresh token
			// meanwhile (a lost lease): adopt its token rather than
			// overwrite it.
			if r, pe, lerr := c.load(ctx, held); lerr == nil && r.Token != nil && r.Version > startVer &&
				r.Token.RefreshToken != prev.RefreshToken && pe.state(now) == fresh {
				return c.adopt(pe), nil
			}
		}
		var hv uint64
		if held != nil {
			hv = held.version
		}
		e.version = record.NextVersion(max(hv, startVer), now)
		c.save(ctx, e, id)
	}
	if c.opts.OnRefresh != nil {
		c.onRefresh(ctx, tok)
	}
	c.succeed(held == nil || !held.invalid)
	c.cur.Store(e)
	c.arm(e, now)
	return e, nil
}

// failNow records a failed refresh and returns err.
func (c *Cached) failNow(err error) error {
	c.fail(err, c.clk.Now())
	return err
}

// unlocked handles a renewer that could not take the lock: it serves the
// still-valid token (from memory or the cache) or fails with ErrNotLocked.
func (c *Cached) unlocked(ctx context.Context, held *entry, lerr error) (*entry, error) {
	err := fmt.Errorf("%w: %w", ErrNotLocked, lerr)
	c.opts.logger().Warn("tokensource: cache lock failed; not renewing a refresh token without it", "cache.key_hash", c.keyHash, "err", lerr)
	now := c.clk.Now()
	if held.usable(now) && !held.invalid {
		c.fail(err, now)
		return held, nil
	}
	if _, e, lderr := c.load(ctx, held); lderr == nil && e != nil && e.usable(now) {
		c.cur.Store(e)
		c.fail(err, now)
		return e, nil
	}
	return nil, c.failNow(err)
}

// lock takes the refresh lock. A renewer waits up to half its refresh
// budget (a peer's refresh may take long; the other half is for its own);
// other sources wait one cache call's budget and then refresh without it.
// The returned context ends when the lease does.
func (c *Cached) lock(ctx context.Context, l Locker) (context.Context, func(), error) {
	wait := c.budget
	if c.renewer != nil {
		wait = c.opts.refreshTimeout() / 2
	}
	lease := c.opts.lockTTL()
	if c.renewer == nil && c.hung() {
		return nil, nil, errCacheHung
	}
	lctx, lcancel := context.WithTimeout(ctx, wait)
	defer lcancel()
	start := time.Now()
	unlock, err := l.Lock(lctx, c.key, lease)
	c.opts.observer().LockWaited(ctx, time.Since(start), err == nil)
	if err != nil {
		c.checkHung(ctx, lctx)
		return nil, nil, err
	}
	// The lease counts from before Lock was called: the guarded work ends
	// no later than the lock.
	gctx, gcancel := context.WithDeadline(ctx, start.Add(lease))
	return gctx, func() { gcancel(); unlock() }, nil
}

// load reads the cache record under the key, with its own budget. e is
// the record's entry when its token can be served (fresh or stale), nil
// otherwise. A failing cache, an absent, corrupt or expired entry, and a
// record older than held (which it writes back) are misses with a
// warning. err is ErrIdentityMismatch, or nil.
func (c *Cached) load(ctx context.Context, held *entry) (r record.Record, e *entry, err error) {
	if c.renewer == nil && c.hung() {
		return record.Record{}, nil, nil // a renewer always reads the record it renews from
	}
	cctx, cancel := context.WithTimeout(ctx, c.budget)
	data, lerr := c.opts.Cache.Load(cctx, c.key)
	c.checkHung(ctx, cctx)
	cancel()
	result := CacheMiss
	defer func() { c.opts.observer().CacheUsed(ctx, CacheLoad, result) }()
	if lerr != nil {
		result = CacheError
		c.opts.logger().Warn("tokensource: cache load failed; treating as a miss", "cache.key_hash", c.keyHash, "err", lerr)
		return record.Record{}, nil, nil
	}
	if data == nil {
		return record.Record{}, nil, nil
	}
	r, derr := record.Decode(data)
	if derr != nil {
		c.opts.logger().Warn("tokensource: cache entry unreadable; treating as a miss", "cache.key_hash", c.keyHash, "err", derr)
		return record.Record{}, nil, nil
	}
	id := r.Identity
	if id == "" {
		id = record.IdentityOf(r.Token)
	}
	c.mu.Lock()
	bad, mine := c.badToken, c.identity
	c.mu.Unlock()
	if id != "" && mine != "" && id != mine {
		result = CacheError
		return record.Record{}, nil, ErrIdentityMismatch
	}
	if !c.boundHere(r) {
		c.opts.logger().Warn("tokensource: cache entry bound to another DPoP key or certificate; treating as a miss", "cache.key_hash", c.keyHash)
		return record.Record{}, nil, nil
	}
	if held != nil && r.Version != 0 && held.version > r.Version {
		// (A record without a version, from a process of an earlier
		// release, is not known to be older: it may hold a rotation.)
		// The cache lost the newer record this process holds (a
		// failover, a restore): never go back to it; put ours back.
		c.opts.logger().Warn("tokensource: cache entry older than the token held; writing the newer one back", "cache.key_hash", c.keyHash)
		c.save(ctx, held, mine)
		return record.Record{}, nil, nil
	}
	now := c.clk.Now()
	saved := r.Saved
	if saved.IsZero() || saved.After(now) {
		saved = now
	}
	e = c.newEntry(r.Token, saved)
	e.version = r.Version
	if r.Token.AccessToken == "" || r.Token.AccessToken == bad || e.state(now) == invalid {
		if r.Token.RefreshToken != "" {
			result = CacheHit // its refresh token is the record
		}
		return r, nil, nil
	}
	result = CacheHit
	return r, e, nil
}

// save writes e's token to the cache, with its own budget. A failure is
// logged: the token is still served from memory.
func (c *Cached) save(ctx context.Context, e *entry, id string) {
	data, err := record.Encode(c.bind(record.Record{Token: e.tok, Saved: e.saved, Version: e.version, Identity: id}))
	if err != nil {
		c.opts.logger().Warn("tokensource: cannot encode token for the cache", "cache.key_hash", c.keyHash, "err", err)
		return
	}
	if c.hung() && (c.renewer == nil || e.tok.RefreshToken == "") {
		return // no rotated refresh token exists only in memory
	}
	cctx, cancel := context.WithTimeout(ctx, c.budget)
	err = c.opts.Cache.Save(cctx, c.key, data, record.Expiry(e.tok, e.saved))
	c.checkHung(ctx, cctx)
	cancel()
	if err != nil {
		c.opts.observer().CacheUsed(ctx, CacheSave, CacheError)
		c.opts.logger().Warn("tokensource: cache save failed; token kept in memory", "cache.key_hash", c.keyHash, "err", err)
		return
	}
	c.opts.observer().CacheUsed(ctx, CacheSave, CacheOK)
}

// errCacheHung is the lock error while the cache is deemed hung.
var errCacheHung = errors.New("tokensource: the cache did not answer within its budget")

// hungFor is how long a cache that let a call run out its budget is
// skipped (Lock and Load of sources that are not renewers; Save unless it
// holds a renewer's rotated refresh token), so
// that one refresh pays for a hung cache once, not once per call.
const hungFor = 30 * time.Second

// hung reports whether the cache is deemed hung.
func (c *Cached) hung() bool {
	n := c.hungTo.Load()
	return n != 0 && c.clk.Now().UnixNano() < n
}

// checkHung marks the cache hung when the call's own budget (cctx) ran
// out while the refresh (ctx) had time left.
func (c *Cached) checkHung(ctx, cctx context.Context) {
	if cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		c.hungTo.Store(c.clk.Now().Add(hungFor).UnixNano())
	}
}

// adopt makes e, a fresh token from the cache, the current one.
func (c *Cached) adopt(e *entry) *entry {
	c.succeed(true)
	c.cur.Store(e)
	c.arm(e, c.clk.Now())
	return e
}

// onRefresh calls Options.OnRefresh. A panic is logged, not propagated:
// the token is already saved and may hold a rotated refresh token that
// exists nowhere else, so it is served rather than lost.
func (c *Cached) onRefresh(ctx context.Context, tok *oauth2.Token) {
	defer func() {
		if r := recover(); r != nil {
			c.opts.logger().Error("tokensource: OnRefresh panicked; serving the new token anyway", "cache.key_hash", c.keyHash, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	c.opts.OnRefresh(ctx, tok)
}

// obtain calls the source. A starting token that was invalidated before
// it was first served is renewed rather than served.
func (c *Cached) obtain(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	tok, err := c.call(ctx, prev)
	if err == nil && prev == nil && c.renewer != nil {
		c.mu.Lock()
		bad := c.badToken
		c.mu.Unlock()
		if bad != "" && tok.AccessToken == bad {
			tok, err = c.call(ctx, tok)
		}
	}
	return tok, err
}

func (c *Cached) call(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
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

// Save stores tok in c under key as a Cached would: encoded as a record,
// and kept until the access token's expiry when there is no refresh
// token, or for as long as its refresh token lives. Use it to put a token
// obtained outside a source (an interactive login) where a Cached with the
// same cache and key will find it.
func Save(ctx context.Context, c Cache, key string, tok *oauth2.Token) error {
	now := time.Now().Round(0)
	data, err := record.Encode(record.Record{Token: tok, Saved: now, Version: record.NextVersion(0, now), Identity: record.IdentityOf(tok)})
	if err != nil {
		return fmt.Errorf("tokensource: %w", err)
	}
	return c.Save(ctx, key, data, record.Expiry(tok, now))
}
