package tokensource

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestCachedWithCache(t *testing.T) {
	clk := newFakeClock()
	cache := newMemCache()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, renewSource{src}, clk, &Options{Cache: cache, CacheKey: "k"})
	tok := mustToken(t, c)
	if cache.saves != 1 {
		t.Fatalf("cache saves = %d; want 1", cache.saves)
	}
	if exp := cache.expiry["k"]; !exp.IsZero() {
		t.Errorf("cache expiry with a refresh token = %v; want zero (keep)", exp)
	}

	// A second process (another Cached on the same cache) uses the stored token.
	src2 := &fakeSource{clk: clk, life: time.Hour}
	c2 := newTestCached(t, renewSource{src2}, clk, &Options{Cache: cache, CacheKey: "k"})
	if got := mustToken(t, c2); got.AccessToken != tok.AccessToken {
		t.Fatalf("second source got %q; want the cached %q", got.AccessToken, tok.AccessToken)
	}
	if got := src2.calls.Load(); got != 0 {
		t.Errorf("second source calls = %d; want 0", got)
	}

	// The first process rotates; the second, when its token is due, renews
	// from the cache's newer refresh token, not its own stale one.
	clk.Advance(2 * time.Hour)
	mustToken(t, c) // rotates rt-1 -> rt-2 and saves
	clk.Advance(0)
	c2.Invalidate(nil)
	c2.clk.(*fakeClock).Advance(0)
	got := mustToken(t, c2)
	if got.AccessToken != "at-2" {
		t.Fatalf("second source after the peer's rotation got %q; want the peer's at-2 from the cache", got.AccessToken)
	}
}

func TestCachedCacheFailuresAreMisses(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(*memCache)
		warn    string
	}{
		{"load error", func(m *memCache) { m.loadErr = errors.New("redis down") }, "cache load failed"},
		{"save error", func(m *memCache) { m.saveErr = errors.New("disk full") }, "cache save failed"},
		{"corrupt bytes", func(m *memCache) { m.data["k"] = []byte("{not json") }, "unreadable"},
		{"unknown version", func(m *memCache) { m.data["k"] = []byte(`{"v":99,"access_token":"x"}`) }, "unreadable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			cache := newMemCache()
			tt.prepare(cache)
			logger, logs := newTestLogger()
			src := &fakeSource{clk: clk, life: time.Hour}
			c := newTestCached(t, src, clk, &Options{Cache: cache, CacheKey: "k", Logger: logger})
			if tok := mustToken(t, c); tok.AccessToken != "at-1" {
				t.Fatalf("got %q; want at-1 from the source", tok.AccessToken)
			}
			if !strings.Contains(logs.String(), tt.warn) {
				t.Errorf("log = %q; want %q", logs.String(), tt.warn)
			}
		})
	}
}

func TestCachedLockerRereadsCache(t *testing.T) {
	clk := newFakeClock()
	cache := lockingCache{newMemCache()}
	srcA := &fakeSource{clk: clk, life: time.Hour}
	srcB := &fakeSource{clk: clk, life: time.Hour}
	a := newTestCached(t, renewSource{srcA}, clk, &Options{Cache: cache, CacheKey: "k"})
	b := newTestCached(t, renewSource{srcB}, clk, &Options{Cache: cache, CacheKey: "k"})
	mustToken(t, a)
	mustToken(t, b)
	clk.Advance(2 * time.Hour)
	ta := mustToken(t, a)
	tb := mustToken(t, b)
	if ta.AccessToken != tb.AccessToken {
		t.Fatalf("peers got %q and %q; want one shared token", ta.AccessToken, tb.AccessToken)
	}
	if got := srcA.calls.Load() + srcB.calls.Load(); got != 2 {
		t.Errorf("token endpoint calls = %d; want 2 (one per lifetime)", got)
	}
	if cache.locks < 2 {
		t.Errorf("locks = %d; want at least 2", cache.locks)
	}
}

func TestCachedInvalidGrantRereadsCache(t *testing.T) {
	clk := newFakeClock()
	cache := newMemCache()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, renewSource{src}, clk, &Options{Cache: cache, CacheKey: "k"})
	mustToken(t, c) // at-1/rt-1 saved

	// A peer rotated to rt-9 and saved a token that is already due.
	clk.Advance(2 * time.Hour)
	// While our refresh with rt-1 is on the wire, a peer rotates to rt-9
	// and saves a token that is already due.
	src.onCall = func(n int32) {
		if n == 2 {
			peer := &oauth2.Token{AccessToken: "at-9", RefreshToken: "rt-9", Expiry: clk.Now().Add(30 * time.Second)}
			data, _ := encodeAt(peer, clk.Now().Add(-time.Hour))
			cache.Save(context.Background(), "k", data, time.Time{})
		}
	}

	src.failNext(&oauth2.RetrieveError{ErrorCode: "invalid_grant"})
	tok := mustToken(t, c)
	if tok.AccessToken == "" {
		t.Fatal("empty token")
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if len(src.prevs) != 3 || src.prevs[1].RefreshToken != "rt-1" || src.prevs[2].RefreshToken != "rt-9" {
		t.Fatalf("after invalid_grant, Renew prevs = %v; want a retry with the peer's rt-9", src.prevs)
	}
}

func TestCachedNoCacheKey(t *testing.T) {
	c := New(&fakeSource{clk: newFakeClock(), life: time.Hour}, &Options{Cache: newMemCache()})
	if _, err := c.TokenContext(context.Background()); !errors.Is(err, ErrNoCacheKey) {
		t.Fatalf("got %v; want ErrNoCacheKey", err)
	}
}

func TestCachedExpiredCacheEntryIsAMiss(t *testing.T) {
	clk := newFakeClock()
	cache := newMemCache()
	for _, saved := range []time.Time{{}, clk.Now().Add(-2 * time.Hour)} {
		data, err := encodeAt(&oauth2.Token{AccessToken: "old", Expiry: clk.Now().Add(-time.Minute)}, saved)
		if err != nil {
			t.Fatal(err)
		}
		cache.data["k"] = data
		src := &fakeSource{clk: clk, life: time.Hour}
		c := newTestCached(t, src, clk, &Options{Cache: cache, CacheKey: "k"})
		if tok := mustToken(t, c); tok.AccessToken == "old" {
			t.Fatalf("saved %v: got the expired cached token; want a new one from the source", saved)
		}
	}
}
