package tokensource

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

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
	// After a failure, callers keep the valid token while the renewal runs
	// in the background.
	waitFor(t, func() bool { return mustToken(t, c) != first })
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
	if !errors.As(err, &re) || !errors.Is(err, errBoom) {
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
