package tokensource

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/record"
)

// seededSource is a renewSource built from a starting token, as
// client.Config.TokenSource is.
type seededSource struct {
	renewSource
	seed *oauth2.Token
}

func (s seededSource) Seed() *oauth2.Token { return s.seed }

// idToken returns an unsigned id_token for subject sub.
func idToken(sub string) string {
	payload := `{"iss":"https://idp","sub":"` + sub + `"}`
	return "e30." + strings.TrimRight(b64url(payload), "=") + ".sig"
}

func b64url(s string) string {
	const enc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var b strings.Builder
	for i := 0; i < len(s); i += 3 {
		var n uint32
		k := min(3, len(s)-i)
		for j := range 3 {
			n <<= 8
			if j < k {
				n |= uint32(s[i+j])
			}
		}
		for j := 0; j <= k; j++ {
			b.WriteByte(enc[(n>>(18-6*j))&63])
		}
	}
	return b.String()
}

func TestCachedNoCacheKeySaysWhatToSet(t *testing.T) {
	c := New(renewSource{&fakeSource{clk: newFakeClock(), life: time.Hour}}, &Options{Cache: newMemCache()})
	_, err := c.TokenContext(context.Background())
	if !errors.Is(err, ErrNoCacheKey) || !strings.Contains(err.Error(), "CacheKey") || !strings.Contains(err.Error(), "UserTokens") {
		t.Fatalf("got %v; want ErrNoCacheKey naming CacheKey and UserTokens", err)
	}
}

// A stored entry for another user is never adopted, nor overwritten.
func TestCachedNeverAdoptsAnotherIdentity(t *testing.T) {
	tests := []struct {
		name    string
		stored  string // subject of the stored entry
		seed    string // subject of the seed
		wantErr bool
	}{
		{"same user", "alice", "alice", false},
		{"other user", "alice", "bob", true},
		{"seed without id_token", "alice", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			cache := newMemCache()
			stored := (&oauth2.Token{AccessToken: "alice-at", RefreshToken: "alice-rt", Expiry: clk.Now().Add(time.Hour)}).
				WithExtra(map[string]any{"id_token": idToken(tt.stored)})
			data, _ := encodeAt(stored, clk.Now())
			cache.data["k"] = data
			seed := &oauth2.Token{AccessToken: "seed-at", RefreshToken: "seed-rt", Expiry: clk.Now().Add(time.Hour)}
			if tt.seed != "" {
				seed = seed.WithExtra(map[string]any{"id_token": idToken(tt.seed)})
			}
			src := seededSource{renewSource{&fakeSource{clk: clk, life: time.Hour}}, seed}
			c := newTestCached(t, src, clk, &Options{Cache: cache, CacheKey: "k"})
			tok, err := c.TokenContext(context.Background())
			if tt.wantErr {
				if !errors.Is(err, ErrIdentityMismatch) {
					t.Fatalf("got %v, %v; want ErrIdentityMismatch", tok, err)
				}
				if r, _ := record.Decode(cache.data["k"]); r.Token.AccessToken != "alice-at" {
					t.Errorf("stored entry became %q; want alice's kept", r.Token.AccessToken)
				}
				return
			}
			if err != nil || tok.AccessToken != "alice-at" {
				t.Fatalf("got %v, %v; want the stored alice-at", tok, err)
			}
		})
	}
}

// Restart: a second process builds its source with no token and the same
// CacheKey and finds what the first saved, id_token or not.
func TestCachedRestartFindsSavedToken(t *testing.T) {
	clk := newFakeClock()
	cache := newMemCache()
	seed := (&oauth2.Token{AccessToken: "login-at", RefreshToken: "login-rt", Expiry: clk.Now().Add(time.Hour)}).
		WithExtra(map[string]any{"id_token": idToken("alice")})
	first := newTestCached(t, seededSource{renewSource{&fakeSource{clk: clk, life: time.Hour}}, seed}, clk, &Options{Cache: cache, CacheKey: "user:alice"})
	clk.Advance(2 * time.Hour)
	got := mustToken(t, first) // renews from the cache's record (none yet) and saves at-1
	if got.AccessToken != "at-1" {
		t.Fatalf("first process got %q; want at-1", got.AccessToken)
	}
	src2 := &fakeSource{clk: clk, life: time.Hour}
	second := newTestCached(t, seededSource{renewSource{src2}, nil}, clk, &Options{Cache: cache, CacheKey: "user:alice"})
	if got := mustToken(t, second); got.AccessToken != "at-1" || src2.calls.Load() != 0 {
		t.Fatalf("restarted process got %q after %d source calls; want the saved at-1 and none", got.AccessToken, src2.calls.Load())
	}
}

// Never go backwards: a cache that lost the newest record (a failover, a
// restore) gets it back, and the older one is not adopted.
func TestCachedNeverAdoptsOlderRecord(t *testing.T) {
	clk := newFakeClock()
	cache := newMemCache()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, renewSource{src}, clk, &Options{Cache: cache, CacheKey: "k"})
	mustToken(t, c) // at-1, version v1
	old := cache.data["k"]
	clk.Advance(2 * time.Hour)
	mustToken(t, c)       // at-2/rt-2, version v2
	cache.data["k"] = old // restored from a backup: at-1/rt-1 (rt-1 is dead)
	c.Invalidate(nil)
	tok := mustToken(t, c)
	if got := src.lastPrev(); got == nil || got.RefreshToken != "rt-2" {
		t.Fatalf("renewed from %v; want the newest held rt-2, not the restored rt-1", got)
	}
	if tok.AccessToken != "at-3" {
		t.Fatalf("got %q; want at-3", tok.AccessToken)
	}
	r, _ := record.Decode(cache.data["k"])
	if r.Token.RefreshToken != "rt-3" {
		t.Errorf("cache holds %q; want the newest rt-3", r.Token.RefreshToken)
	}
}

// failingLocker is a Locker cache whose Lock fails (Redis down) or blocks
// (a peer holds the lock) until ctx ends.
type failingLocker struct {
	*memCache
	err error // nil: block until ctx ends
}

func (l failingLocker) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	if l.err != nil {
		return nil, l.err
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

// A renewer never refreshes without the lock: it serves the valid token
// it has, or fails with ErrNotLocked.
func TestCachedRenewerNeverRefreshesUnlocked(t *testing.T) {
	for _, lerr := range []error{errors.New("redis: connection refused"), nil} {
		name := "lock fails"
		if lerr == nil {
			name = "lock held by a peer"
		}
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			mem := newMemCache()
			src := &fakeSource{clk: clk, life: time.Hour}
			c := newTestCached(t, renewSource{src}, clk, &Options{Cache: failingLocker{mem, lerr}, CacheKey: "k", RefreshTimeout: 50 * time.Millisecond})
			// A valid token due for renewal: served, no renewal.
			valid := &oauth2.Token{AccessToken: "valid", RefreshToken: "rt-0", Expiry: clk.Now().Add(30 * time.Second)}
			c.cur.Store(c.newEntry(valid, clk.Now().Add(-time.Hour)))
			if got := mustToken(t, c); got != valid {
				t.Fatalf("got %v; want the still-valid token", got)
			}
			// Expired: ErrNotLocked, no renewal.
			clk.Advance(time.Minute)
			_, err := c.TokenContext(context.Background())
			if !errors.Is(err, ErrNotLocked) {
				t.Fatalf("got %v; want ErrNotLocked", err)
			}
			if n := src.calls.Load(); n != 0 {
				t.Errorf("source calls without the lock = %d; want 0", n)
			}
		})
	}
}

// A source with no refresh token (client_credentials) may refresh without
// the lock, after one cache call's budget.
func TestCachedNonRenewerRefreshesUnlocked(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, src, clk, &Options{Cache: failingLocker{newMemCache(), nil}, CacheKey: "k"})
	c.budget = 20 * time.Millisecond
	if got := mustToken(t, c); got.AccessToken != "at-1" {
		t.Fatalf("got %q; want at-1", got.AccessToken)
	}
}

// leaseLocker records the ttl asked for.
type leaseLocker struct {
	*memCache
	mu  sync.Mutex
	ttl time.Duration
}

func (l *leaseLocker) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	l.mu.Lock()
	l.ttl = ttl
	l.mu.Unlock()
	return func() {}, nil
}

// The lease outlives the refresh budget by default, and the guarded
// refresh ends when a shorter lease does.
func TestCachedLockLeaseBoundsRefresh(t *testing.T) {
	l := &leaseLocker{memCache: newMemCache()}
	clk := newFakeClock()
	c := newTestCached(t, renewSource{&fakeSource{clk: clk, life: time.Hour}}, clk, &Options{Cache: l, CacheKey: "k"})
	mustToken(t, c)
	if l.ttl < DefaultRefreshTimeout+5*time.Second || DefaultLockTTL != l.ttl {
		t.Errorf("lock ttl = %v (DefaultLockTTL %v); want DefaultLockTTL, beyond the refresh budget %v", l.ttl, DefaultLockTTL, DefaultRefreshTimeout)
	}

	var deadline time.Duration
	src := funcSource(func(ctx context.Context) (*oauth2.Token, error) {
		d, _ := ctx.Deadline()
		deadline = time.Until(d)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	c2 := newTestCached(t, renewAdapter{src}, clk, &Options{Cache: l, CacheKey: "k2", LockTTL: 100 * time.Millisecond, RefreshTimeout: 10 * time.Second})
	start := time.Now()
	_, err := c2.TokenContext(context.Background())
	if err == nil || deadline > 100*time.Millisecond || time.Since(start) > 2*time.Second {
		t.Errorf("got %v after %v, refresh deadline in %v; want the refresh cut at the 100ms lease", err, time.Since(start), deadline)
	}
}

// renewAdapter makes a funcSource a Renewer.
type renewAdapter struct{ funcSource }

func (r renewAdapter) Renew(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	return r.funcSource(ctx)
}

// If a peer rotated while this process refreshed (its lease ran out), the
// peer's token is adopted rather than overwritten.
func TestCachedAdoptsPeerRotationBeforeSaving(t *testing.T) {
	clk := newFakeClock()
	cache := newMemCache()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, renewSource{src}, clk, &Options{Cache: lockingCache{cache}, CacheKey: "k"})
	mustToken(t, c)
	clk.Advance(2 * time.Hour)
	src.onCall = func(n int32) {
		if n == 2 { // while our refresh from rt-1 runs, a peer saves rt-9
			data, _ := encodeAt(&oauth2.Token{AccessToken: "at-9", RefreshToken: "rt-9", Expiry: clk.Now().Add(time.Hour)}, clk.Now())
			cache.Save(context.Background(), "k", data, time.Time{})
		}
	}
	if got := mustToken(t, c); got.AccessToken != "at-9" {
		t.Fatalf("got %q; want the peer's at-9", got.AccessToken)
	}
	if r, _ := record.Decode(cache.data["k"]); r.Token.RefreshToken != "rt-9" {
		t.Errorf("cache holds %q; want the peer's rt-9 kept", r.Token.RefreshToken)
	}
}

// blockingCache answers no call until its context ends, like a Redis that
// accepts connections and never answers.
type blockingCache struct{ calls *atomic.Int32 }

func (b blockingCache) block(ctx context.Context) error {
	b.calls.Add(1)
	<-ctx.Done()
	return ctx.Err()
}

func (b blockingCache) Load(ctx context.Context, key string) ([]byte, error) {
	return nil, b.block(ctx)
}

func (b blockingCache) Save(ctx context.Context, key string, data []byte, expiry time.Time) error {
	return b.block(ctx)
}

func (b blockingCache) Delete(ctx context.Context, key string) error { return b.block(ctx) }

func (b blockingCache) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	return nil, b.block(ctx)
}

// Each cache call has its own budget: a hung cache does not eat the
// refresh budget, and the first token comes from the source.
func TestCachedHungCacheHasItsOwnBudget(t *testing.T) {
	var calls atomic.Int32
	tests := []struct {
		name  string
		cache Cache
	}{
		{"cache", struct{ Cache }{blockingCache{&calls}}},
		{"locker cache", blockingCache{&calls}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			src := &fakeSource{clk: clk, life: time.Hour}
			c := newTestCached(t, src, clk, &Options{Cache: tt.cache, CacheKey: "k", RefreshTimeout: time.Minute})
			c.budget = 50 * time.Millisecond
			calls.Store(0)
			start := time.Now()
			tok, err := c.TokenContext(context.Background())
			if err != nil || tok.AccessToken != "at-1" {
				t.Fatalf("got %v, %v; want at-1 from the source", tok, err)
			}
			if d, n := time.Since(start), calls.Load(); d > time.Second || n != 1 {
				t.Errorf("took %v and %d cache calls; want one cache budget (50ms), then the cache skipped", d, n)
			}
		})
	}
}
