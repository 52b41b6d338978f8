package tokensource

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

var (
	_ oauth2.TokenSource = (*Cached)(nil)
	_ Source             = (*Cached)(nil)
	_ Source             = FromOAuth2(oauth2.StaticTokenSource(nil))
)

func TestCachedReusesTokenUntilWindow(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, src, clk, &Options{ExpiryWindow: 5 * time.Minute, JitterFrac: -1})

	first := mustToken(t, c)
	for range 10 {
		if got := mustToken(t, c); got != first {
			t.Fatalf("got %q; want the cached %q", got.AccessToken, first.AccessToken)
		}
	}
	clk.Advance(54 * time.Minute) // 6 minutes left: outside the 5-minute window
	if got := mustToken(t, c); got != first {
		t.Fatalf("at 54m got %q; want %q", got.AccessToken, first.AccessToken)
	}
	clk.Advance(2 * time.Minute) // 4 minutes left: inside the window
	second := mustToken(t, c)
	if second.AccessToken == first.AccessToken {
		t.Fatalf("in the window got the old token %q; want a new one", second.AccessToken)
	}
	if got, want := src.calls.Load(), int32(2); got != want {
		t.Errorf("source calls = %d; want %d", got, want)
	}
}

func TestCachedFastPathFlagFollowsClock(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: 10 * time.Minute}
	c := newTestCached(t, src, clk, &Options{ExpiryWindow: time.Minute, JitterFrac: -1})
	mustToken(t, c)
	e := c.cur.Load()
	if !e.fresh.Load() {
		t.Fatal("fresh = false after first token; want true")
	}
	clk.Advance(maxFreshCheck) // the periodic wall-clock check
	if e.fresh.Load() {
		t.Fatal("fresh = true after maxFreshCheck; want false (recheck the wall clock)")
	}
	mustToken(t, c) // slow path re-arms
	if !e.fresh.Load() {
		t.Fatal("fresh = false after recheck; want true")
	}
	if got := src.calls.Load(); got != 1 {
		t.Errorf("source calls = %d; want 1", got)
	}
}

func TestCachedWindowCappedByLifetime(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: 4 * time.Second}
	c := newTestCached(t, src, clk, &Options{ExpiryWindow: time.Hour})
	first := mustToken(t, c)
	clk.Advance(time.Second)
	if got := mustToken(t, c); got != first {
		t.Fatalf("a 4s token with a 1h window was renewed after 1s; want it served for half its life")
	}
	clk.Advance(1500 * time.Millisecond)
	if got := mustToken(t, c); got == first {
		t.Fatalf("a 4s token still served after 2.5s; want renewal")
	}
}

func TestCachedZeroExpiryIsForever(t *testing.T) {
	clk := newFakeClock()
	tok := &oauth2.Token{AccessToken: "static"}
	c := newTestCached(t, FromOAuth2(oauth2.StaticTokenSource(tok)), clk, nil)
	mustToken(t, c)
	clk.Advance(24 * 365 * time.Hour)
	if got := mustToken(t, c); got.AccessToken != "static" {
		t.Fatalf("got %q; want static", got.AccessToken)
	}
}

func TestCachedSingleflight(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour, gate: make(chan struct{})}
	c := newTestCached(t, src, clk, nil)

	const n = 100
	var wg sync.WaitGroup
	toks := make([]*oauth2.Token, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			toks[i], errs[i] = c.TokenContext(context.Background())
		}()
	}
	waitFor(t, func() bool { return src.calls.Load() == 1 })
	time.Sleep(10 * time.Millisecond) // let the others join the flight
	close(src.gate)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || toks[i] != toks[0] {
			t.Fatalf("caller %d: got %v, %v; want the shared token", i, toks[i], errs[i])
		}
	}
	if got := src.calls.Load(); got != 1 {
		t.Errorf("source calls = %d; want 1", got)
	}
}

func TestCachedCallerCancelDoesNotCancelRefresh(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour, gate: make(chan struct{})}
	c := newTestCached(t, src, clk, nil)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.TokenContext(ctx)
		done <- err
	}()
	waitFor(t, func() bool { return src.calls.Load() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller got %v; want context.Canceled", err)
	}
	close(src.gate) // the shared refresh goes on
	tok := mustToken(t, c)
	if tok.AccessToken != "at-1" {
		t.Fatalf("got %q; want at-1 from the detached refresh", tok.AccessToken)
	}
	if got := src.calls.Load(); got != 1 {
		t.Errorf("source calls = %d; want 1", got)
	}
}

func TestCachedKeepsValidTokenWhenRefreshFails(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	logger, logs := newTestLogger()
	c := newTestCached(t, src, clk, &Options{ExpiryWindow: 10 * time.Minute, JitterFrac: -1, Logger: logger})
	first := mustToken(t, c)

	clk.Advance(55 * time.Minute)
	src.failNext(errBoom)
	if got := mustToken(t, c); got != first {
		t.Fatalf("after a failed refresh got %q; want the still-valid %q", got.AccessToken, first.AccessToken)
	}
	if !strings.Contains(logs.String(), "serving the current token") {
		t.Errorf("log = %q; want a warning about serving the current token", logs.String())
	}
	calls := src.calls.Load()
	mustToken(t, c) // within the backoff: no new attempt
	if got := src.calls.Load(); got != calls {
		t.Errorf("source calls during backoff = %d; want %d", got, calls)
	}
	clk.Advance(3 * time.Second) // past the first backoff (1s + jitter)
	if got := mustToken(t, c); got == first {
		t.Fatalf("after the backoff got the old token; want a new one")
	}
}

func TestCachedExpiredAndFailing(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, src, clk, nil)
	mustToken(t, c)
	clk.Advance(2 * time.Hour)
	src.failNext(errBoom, errBoom)

	_, err := c.TokenContext(context.Background())
	if !errors.Is(err, errBoom) {
		t.Fatalf("expired token and failing source: got %v; want errBoom", err)
	}
	calls := src.calls.Load()
	_, err = c.TokenContext(context.Background())
	var re *RefreshError
	if !errors.As(err, &re) || !re.Backoff || !errors.Is(err, errBoom) {
		t.Fatalf("during backoff got %v; want *RefreshError wrapping errBoom", err)
	}
	if got := src.calls.Load(); got != calls {
		t.Errorf("source calls during backoff = %d; want %d (no storm)", got, calls)
	}
	clk.Advance(5 * time.Second)
	if _, err := c.TokenContext(context.Background()); !errors.Is(err, errBoom) {
		t.Fatalf("second attempt: got %v; want errBoom", err)
	}
	clk.Advance(5 * time.Second)
	if tok := mustToken(t, c); tok.AccessToken == "" {
		t.Fatal("recovered token is empty")
	}
}

func TestCachedAsyncRefreshNeverBlocks(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, src, clk, &Options{AsyncRefresh: true, ExpiryWindow: 10 * time.Minute, JitterFrac: -1})
	first := mustToken(t, c)

	src.gate = make(chan struct{})
	clk.Advance(55 * time.Minute)
	for range 50 {
		if got := mustToken(t, c); got != first {
			t.Fatalf("during the background refresh got %q; want %q", got.AccessToken, first.AccessToken)
		}
	}
	waitFor(t, func() bool { return src.calls.Load() == 2 })
	close(src.gate)
	waitFor(t, func() bool { return c.cur.Load().tok != first })
	if got := mustToken(t, c); got.AccessToken != "at-2" {
		t.Fatalf("after the background refresh got %q; want at-2", got.AccessToken)
	}
	if got := src.calls.Load(); got != 2 {
		t.Errorf("source calls = %d; want 2 (one background refresh)", got)
	}
}

func TestCachedOnRefreshBeforeServed(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	var mu sync.Mutex
	var seen []string
	var c *Cached
	c = newTestCached(t, src, clk, &Options{OnRefresh: func(ctx context.Context, tok *oauth2.Token) {
		mu.Lock()
		seen = append(seen, tok.RefreshToken)
		mu.Unlock()
		if cur := c.cur.Load(); cur != nil && cur.tok == tok {
			t.Errorf("OnRefresh(%s) ran after the token became current; want before", tok.AccessToken)
		}
	}})
	mustToken(t, c)
	clk.Advance(2 * time.Hour)
	mustToken(t, c)
	mu.Lock()
	defer mu.Unlock()
	if got, want := strings.Join(seen, ","), "rt-1,rt-2"; got != want {
		t.Errorf("OnRefresh saw %s; want %s", got, want)
	}
}

func TestCachedInvalidate(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, renewSource{src}, clk, nil)
	first := mustToken(t, c)

	c.Invalidate(&oauth2.Token{AccessToken: "someone-else"})
	if got := mustToken(t, c); got != first {
		t.Fatalf("invalidating another token changed the current one")
	}
	c.Invalidate(first)
	second := mustToken(t, c)
	if second == first {
		t.Fatal("after Invalidate got the same token; want a new one")
	}
	if prev := src.lastPrev(); prev == nil || prev.RefreshToken != first.RefreshToken {
		t.Errorf("Renew got prev %v; want the invalidated token (for its refresh token)", prev)
	}
}

func TestCachedRenewerGetsPrevious(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, renewSource{src}, clk, nil)
	mustToken(t, c)
	if prev := src.lastPrev(); prev != nil {
		t.Fatalf("first Renew got prev %v; want nil", prev)
	}
	clk.Advance(2 * time.Hour)
	mustToken(t, c)
	if prev := src.lastPrev(); prev == nil || prev.RefreshToken != "rt-1" {
		t.Fatalf("second Renew got prev %v; want rt-1", prev)
	}
}

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

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCachedExpiredOnArrivalDoesNotStorm(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: -time.Minute} // every token arrives expired
	c := newTestCached(t, src, clk, nil)
	for range 100 {
		mustToken(t, c)
	}
	if got := src.calls.Load(); got != 1 {
		t.Fatalf("source calls = %d; want 1 (an expired-on-arrival token is served for minFresh)", got)
	}
	clk.Advance(minFresh)
	mustToken(t, c)
	if got := src.calls.Load(); got != 2 {
		t.Errorf("source calls after minFresh = %d; want 2", got)
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

func TestCachedBackoffHonoursRetryAfterAndRecoversQuickly(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, src, clk, nil)
	busy := &oauth2.RetrieveError{Response: &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"20"}}}}
	src.failNext(busy)
	if _, err := c.TokenContext(context.Background()); !errors.Is(err, busy) {
		t.Fatalf("got %v; want the 503", err)
	}
	clk.Advance(15 * time.Second)
	if _, err := c.TokenContext(context.Background()); err == nil {
		t.Fatal("tried again before the server's Retry-After of 20s")
	}
	clk.Advance(6 * time.Second)
	if _, err := c.TokenContext(context.Background()); err != nil {
		t.Fatalf("after Retry-After: %v", err)
	}

	// Without a valid token, many failures back off at most maxBackoffFailing.
	for i := range 10 {
		if got := backoff(i+1, maxBackoffFailing); got > maxBackoffFailing*12/10 {
			t.Errorf("backoff(%d) = %v; want at most %v (+20%% jitter)", i+1, got, maxBackoffFailing)
		}
	}
	if got := backoff(10, maxBackoffServing); got < 50*time.Second {
		t.Errorf("backoff(10) while serving = %v; want about a minute", got)
	}
}

func TestCachedShortLivedTokenKeepsItsWindow(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: 800 * time.Millisecond}
	c := newTestCached(t, src, clk, &Options{ExpiryWindow: 200 * time.Millisecond, JitterFrac: -1})
	mustToken(t, c)
	clk.Advance(650 * time.Millisecond) // inside the window, before expiry
	mustToken(t, c)
	if got := src.calls.Load(); got != 2 {
		t.Errorf("source calls = %d; want 2 (an 800ms token is renewed in its window, not held for minFresh)", got)
	}
}
