package tokensource

import (
	"context"
	"errors"
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
