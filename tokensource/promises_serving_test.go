package tokensource

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"golang.org/x/oauth2"
)

// While renewal fails, the token is served up to its expiry, not a
// margin before it.
func TestCachedServesUntilExpiryWhileRenewalFails(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: 100 * time.Second}
	c := newTestCached(t, src, clk, &Options{JitterFrac: -1})
	first := mustToken(t, c)
	for _, at := range []time.Duration{60, 90, 99} { // the window starts at 50 s
		clk.Advance(at*time.Second - clk.Now().Sub(first.Expiry.Add(-100*time.Second)))
		src.failNext(errBoom)
		tok, err := c.TokenContext(context.Background())
		if err != nil || tok != first {
			t.Fatalf("%vs into a 100s token with renewal failing: got %v, %v; want the still-valid token", int(at), tok, err)
		}
	}
	clk.Advance(2 * time.Second) // expired
	src.failNext(errBoom, errBoom, errBoom)
	if tok, err := c.TokenContext(context.Background()); err == nil && tok == first {
		t.Fatal("served the expired token")
	}
}

// Invalidate before the first TokenContext: the starting token is not
// served.
func TestCachedInvalidateBeforeFirstUse(t *testing.T) {
	clk := newFakeClock()
	seed := &oauth2.Token{AccessToken: "rejected", RefreshToken: "rt-0", Expiry: clk.Now().Add(time.Hour)}
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, seededRenewer{src, seed}, clk, nil)
	c.Invalidate(seed)
	if got := mustToken(t, c); got.AccessToken == "rejected" {
		t.Fatal("served the token invalidated before first use")
	}
}

// seededRenewer serves its seed first, as client.Config.TokenSource does,
// and renews from the previous token's refresh token.
type seededRenewer struct {
	*fakeSource
	seed *oauth2.Token
}

func (s seededRenewer) Renew(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	if prev == nil {
		return s.seed, nil
	}
	return s.issue(ctx, prev)
}

// Invalidate does not reset the backoff of failed renewals.
func TestCachedInvalidateKeepsBackoff(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, src, clk, &Options{ExpiryWindow: 10 * time.Minute, JitterFrac: -1})
	tok := mustToken(t, c)
	clk.Advance(55 * time.Minute)
	src.failNext(errBoom)
	mustToken(t, c) // failed renewal: backing off
	calls := src.calls.Load()
	for range 10 {
		c.Invalidate(nil)
		c.TokenContext(context.Background())
		c.Invalidate(tok)
	}
	if got := src.calls.Load(); got != calls {
		t.Errorf("source calls after Invalidate during backoff = %d; want %d", got, calls)
	}
}

// A resource server that answers 401 invalid_token to everything: token
// requests stay bounded by the backoff, not one per API request.
func TestTransportInvalidTokenStorm(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, src, clk, nil)
	var requests atomic.Int32
	tr := &Transport{Source: c, Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		requests.Add(1)
		return &http.Response{StatusCode: 401, Header: http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}},
			Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	})}
	const apiRequests = 1000
	for range apiRequests { // 10 s of 100 requests per second
		req, _ := http.NewRequest("GET", "https://api.example/", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		clk.Advance(10 * time.Millisecond)
	}
	// 2 immediate renewals, then 1 s, 2 s, 4 s backoffs (+20% jitter) in 10 s.
	if got := src.calls.Load(); got > 7 {
		t.Errorf("token requests for %d API requests = %d; want at most 7", apiRequests, got)
	}
	t.Logf("token requests for %d API requests answered 401 invalid_token: %d", apiRequests, src.calls.Load())
}

// A dropped Cached is collectable at once: its freshness timer holds only
// the flag it clears.
func TestCachedDroppedIsCollectable(t *testing.T) {
	src := funcSource(func(ctx context.Context) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}, nil
	})
	c := New(src, nil) // the real clock: a real one-minute timer
	tok := mustToken(t, c)
	if !c.cur.Load().fresh.Load() {
		t.Fatal("fast path not armed")
	}
	w, wt := weak.Make(c), weak.Make(tok)
	c, tok = nil, nil
	_, _ = c, tok
	for range 5 {
		runtime.GC()
	}
	if w.Value() != nil || wt.Value() != nil {
		t.Error("a dropped Cached (or its token) is still reachable after GC; want it collected")
	}
}
