package tokensource

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/oauth2"
)

// Faults of the code a Cached and a Transport call: sources and callbacks
// that panic, hang or return nonsense, and base RoundTrippers that fail.

// funcSource is a Source made of a function.
type funcSource func(ctx context.Context) (*oauth2.Token, error)

func (f funcSource) TokenContext(ctx context.Context) (*oauth2.Token, error) { return f(ctx) }

// A panicking Source must not crash the process. The refresh runs in a
// singleflight goroutine that no caller can recover in (singleflight
// re-panics a DoChan panic in a fresh goroutine, on purpose), so a panic
// there would take down, say, a whole HTTP server. Cached recovers it and
// treats it as a failed refresh: callers get an error, the failure is
// logged with its stack, and the next refresh (after the backoff) may
// succeed.
func TestFaultSourcePanics(t *testing.T) {
	defer goleak.VerifyNone(t)
	clk := newFakeClock()
	var calls atomic.Int32
	src := funcSource(func(ctx context.Context) (*oauth2.Token, error) {
		if n := calls.Add(1); n == 1 {
			var none []int
			_ = none[n] // index out of range: a runtime panic
		}
		return &oauth2.Token{AccessToken: "at-after-panic", Expiry: clk.Now().Add(time.Hour)}, nil
	})
	logger, logs := newTestLogger()
	c := newTestCached(t, src, clk, &Options{Logger: logger})
	_, err := c.TokenContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("got %v; want an error reporting the panic", err)
	}
	if !strings.Contains(logs.String(), "panic") {
		t.Errorf("log %q; want the panic logged", logs)
	}
	clk.Advance(2 * time.Minute) // past the backoff
	if tok := mustToken(t, c); tok.AccessToken != "at-after-panic" {
		t.Fatalf("got %q after the panic; want the next token", tok.AccessToken)
	}

	// The same in the background.
	calls.Store(0)
	c2 := newTestCached(t, src, clk, &Options{AsyncRefresh: true, ExpiryWindow: time.Hour, Logger: logger})
	c2.cur.Store(c2.newEntry(&oauth2.Token{AccessToken: "old", Expiry: clk.Now().Add(30 * time.Minute)}, clk.Now().Add(-30*time.Minute)))
	if tok := mustToken(t, c2); tok.AccessToken != "old" {
		t.Fatalf("got %q; want the valid token while the background refresh panics", tok.AccessToken)
	}
	waitFor(t, func() bool { return !c2.asyncOn.Load() })
}

// A Source that returns (nil, nil) or an empty token is an error, never a
// nil token handed to callers.
func TestFaultSourceReturnsNilToken(t *testing.T) {
	for name, src := range map[string]Source{
		"nil":   funcSource(func(context.Context) (*oauth2.Token, error) { return nil, nil }),
		"empty": funcSource(func(context.Context) (*oauth2.Token, error) { return &oauth2.Token{}, nil }),
	} {
		t.Run(name, func(t *testing.T) {
			c := newTestCached(t, src, newFakeClock(), nil)
			tok, err := c.TokenContext(context.Background())
			if err == nil || tok != nil {
				t.Fatalf("got %v, %v; want an error", tok, err)
			}
			// Without Cached, the Transport checks too.
			tr := &Transport{Source: src, Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				t.Error("request sent without a token")
				return nil, errors.New("unreachable")
			})}
			req, _ := http.NewRequest("GET", "https://api.example/", nil)
			if _, err := tr.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "empty token") {
				t.Errorf("Transport: got %v; want an empty token error", err)
			}
		})
	}
}

// A Source that blocks past RefreshTimeout. Whether it honours its
// context or not, callers with no valid token get an error within about
// RefreshTimeout, and callers with a valid token keep it.
func TestFaultSourceBlocksPastRefreshTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	for _, honours := range []bool{true, false} {
		name := "honours ctx"
		if !honours {
			name = "ignores ctx"
		}
		t.Run(name, func(t *testing.T) {
			release := make(chan struct{})
			var started, ended atomic.Int32
			defer func() {
				close(release)
				waitFor(t, func() bool { return started.Load() == ended.Load() })
				goleak.VerifyNone(t)
			}()
			clk := newFakeClock()
			src := funcSource(func(ctx context.Context) (*oauth2.Token, error) {
				started.Add(1)
				defer ended.Add(1)
				if honours {
					select {
					case <-ctx.Done():
						return nil, ctx.Err()
					case <-release:
					}
				} else {
					<-release // as an oauth2.TokenSource behind FromOAuth2 does
				}
				return nil, errors.New("released")
			})

			// The fake clock drives the callers' wait; the source's context
			// runs on real time.
			tick := make(chan struct{})
			defer close(tick)
			go func() {
				for {
					select {
					case <-tick:
						return
					case <-time.After(timeout / 4):
						clk.Advance(timeout / 2)
					}
				}
			}()

			// No valid token: an error, after about RefreshTimeout.
			c := newTestCached(t, src, clk, &Options{RefreshTimeout: timeout})
			start := time.Now()
			_, err := c.Token() // context.Background: only RefreshTimeout bounds it
			if err == nil || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("no valid token: got %v; want a deadline error", err)
			}
			if d := time.Since(start); d > timeout+time.Second {
				t.Errorf("no valid token: took %v; want about %v", d, timeout)
			}

			// A valid token due for renewal: kept.
			c2 := newTestCached(t, src, clk, &Options{RefreshTimeout: timeout, ExpiryWindow: time.Hour})
			old := &oauth2.Token{AccessToken: "still-valid", Expiry: clk.Now().Add(30 * time.Minute)}
			c2.cur.Store(c2.newEntry(old, clk.Now().Add(-30*time.Minute)))
			start = time.Now()
			for range 3 {
				tok, err := c2.Token()
				if err != nil || tok != old {
					t.Fatalf("valid token: got %v, %v; want the still-valid token", tok, err)
				}
			}
			if d := time.Since(start); d > timeout+time.Second {
				t.Errorf("valid token: took %v; want at most one wait of about %v (then backoff)", d, timeout)
			}
		})
	}
}

// OnRefresh panicking: the token was obtained (a rotated refresh token
// may exist nowhere else) and already saved to the cache, so dropping it
// would lose it. Cached recovers, logs the panic and serves the token.
func TestFaultOnRefreshPanics(t *testing.T) {
	clk := newFakeClock()
	src := renewSource{&fakeSource{clk: clk, life: time.Hour}}
	mem := newMemCache()
	logger, logs := newTestLogger()
	c := newTestCached(t, src, clk, &Options{Cache: mem, CacheKey: "k", Logger: logger,
		OnRefresh: func(ctx context.Context, tok *oauth2.Token) { panic("OnRefresh bug") }})
	tok, err := c.TokenContext(context.Background())
	if err != nil || tok.AccessToken != "at-1" {
		t.Fatalf("got %v, %v; want at-1 despite the OnRefresh panic", tok, err)
	}
	if mem.saves != 1 {
		t.Errorf("cache saves = %d; want 1", mem.saves)
	}
	if !strings.Contains(logs.String(), "OnRefresh panicked") {
		t.Errorf("log %q; want the panic logged", logs)
	}
	if strings.Contains(logs.String(), "at-1") || strings.Contains(logs.String(), "rt-1") {
		t.Errorf("log %q holds a token", logs)
	}
}

// A base RoundTripper that fails: its error is returned as is, with no
// retry and no token invalidation.
func TestFaultTransportBaseErrors(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, src, clk, nil)
	errDown := errors.New("network down")
	var sends atomic.Int32
	tr := &Transport{Source: c, Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sends.Add(1)
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, errDown
	})}
	req, _ := http.NewRequest("POST", "https://api.example/", strings.NewReader("payload"))
	if _, err := tr.RoundTrip(req); !errors.Is(err, errDown) {
		t.Fatalf("got %v; want the base's error", err)
	}
	if sends.Load() != 1 || src.calls.Load() != 1 {
		t.Errorf("sends = %d, source calls = %d; want 1 and 1", sends.Load(), src.calls.Load())
	}
	// A base that breaks the RoundTripper contract with (nil, nil).
	tr.Base = roundTripFunc(func(r *http.Request) (*http.Response, error) { return nil, nil })
	req, _ = http.NewRequest("GET", "https://api.example/", nil)
	if resp, err := tr.RoundTrip(req); err == nil || resp != nil {
		t.Fatalf("got %v, %v; want an error for a nil response", resp, err)
	}
}

// trackedBody records whether it was closed.
type trackedBody struct {
	io.Reader
	closed atomic.Bool
}

func (b *trackedBody) Close() error { b.closed.Store(true); return nil }

func unauthorized(body *trackedBody) *http.Response {
	return &http.Response{StatusCode: 401, Body: body,
		Header: http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}}}
}

// A base that answers 401 invalid_token every time: the Transport retries
// once with a new token, then returns the second 401 to the caller,
// having closed the first.
func TestFaultTransportRepeated401(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, src, clk, nil)
	var bodies []*trackedBody
	var auths []string
	tr := &Transport{Source: c, Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		auths = append(auths, r.Header.Get("Authorization"))
		if r.Body != nil {
			io.ReadAll(r.Body)
			r.Body.Close()
		}
		b := &trackedBody{Reader: strings.NewReader("denied")}
		bodies = append(bodies, b)
		return unauthorized(b), nil
	})}
	req, _ := http.NewRequest("POST", "https://api.example/", strings.NewReader("payload"))
	resp, err := tr.RoundTrip(req)
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("got %v, %v; want the 401", resp, err)
	}
	if len(auths) != 2 || auths[0] == auths[1] {
		t.Fatalf("sent with %q; want exactly two sends with different tokens", auths)
	}
	if !bodies[0].closed.Load() || bodies[1].closed.Load() {
		t.Errorf("first body closed %v, second %v; want the first closed and the returned one open", bodies[0].closed.Load(), bodies[1].closed.Load())
	}
	if got, _ := io.ReadAll(resp.Body); string(got) != "denied" {
		t.Errorf("returned body %q; want readable", got)
	}
	if src.calls.Load() != 2 {
		t.Errorf("source calls = %d; want 2", src.calls.Load())
	}
}

// GetBody failing: the request cannot be replayed, so the first 401 is
// returned, open and readable, after a single send.
func TestFaultTransportGetBodyFails(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, src, clk, nil)
	var sends atomic.Int32
	first := &trackedBody{Reader: strings.NewReader("denied")}
	tr := &Transport{Source: c, Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sends.Add(1)
		if r.Body != nil {
			r.Body.Close()
		}
		return unauthorized(first), nil
	})}
	req, _ := http.NewRequest("POST", "https://api.example/", strings.NewReader("payload"))
	req.GetBody = func() (io.ReadCloser, error) { return nil, errors.New("body gone") }
	resp, err := tr.RoundTrip(req)
	if err != nil || resp.StatusCode != 401 || resp.Body != first {
		t.Fatalf("got %v, %v; want the first 401", resp, err)
	}
	if sends.Load() != 1 || first.closed.Load() {
		t.Errorf("sends = %d, body closed = %v; want 1 send and the body open", sends.Load(), first.closed.Load())
	}
}

// A valid token in the cache, due for renewal, and a failing source: the
// very first caller gets the cached token, as callers do when the token is
// in memory, and not the refresh error.
func TestFaultCachedValidTokenServedWhenFirstRefreshFails(t *testing.T) {
	clk := newFakeClock()
	src := renewSource{&fakeSource{clk: clk, life: time.Hour}}
	src.failNext(errBoom)
	mem := newMemCache()
	old := &oauth2.Token{AccessToken: "cached-at", RefreshToken: "cached-rt", Expiry: clk.Now().Add(30 * time.Second)}
	data, err := encodeAt(old, clk.Now().Add(-59*time.Minute-30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	mem.Save(context.Background(), "k", data, time.Time{})
	c := newTestCached(t, src, clk, &Options{Cache: mem, CacheKey: "k"})
	for i := range 2 {
		tok, err := c.TokenContext(context.Background())
		if err != nil || tok.AccessToken != "cached-at" {
			t.Fatalf("call %d: got %v, %v; want the still-valid cached token", i, tok, err)
		}
	}
	if got := src.calls.Load(); got != 1 {
		t.Errorf("source calls = %d; want 1 (then backoff)", got)
	}
	if prev := src.lastPrev(); prev == nil || prev.RefreshToken != "cached-rt" {
		t.Errorf("renewed from %v; want the cached token", prev)
	}
}
