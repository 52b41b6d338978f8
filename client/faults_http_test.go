package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/internal/faulttest"
	"github.com/tokenward/tokenward/internal/record"
	"github.com/tokenward/tokenward/internal/testlog"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// Bursts of 5xx: a safe grant recovers within its retry budget (3
// retries); past it, the last answer is returned as a typed error. A code
// exchange that reached the server is never retried.
func TestFault5xxBursts(t *testing.T) {
	t.Parallel() // leaks: TestMain runs goleak after all of them
	t.Run("recovers within budget", func(t *testing.T) {
		t.Parallel()
		s, conf := faultServer(t, nil)
		for range 3 {
			s.QueueFault(oauth2test.Fault{Status: 503, RetryAfter: "0", Body: "<html>busy " + faultClientSecret + "</html>"})
		}
		tok, err := conf.ClientCredentialsToken(context.Background())
		if err != nil {
			t.Fatalf("got %v; want recovery after 3 failures", err)
		}
		if tok.AccessToken == "" || s.TokenRequests() != 4 {
			t.Errorf("token requests = %d; want 4", s.TokenRequests())
		}
	})
	t.Run("exhausts budget", func(t *testing.T) {
		t.Parallel()
		s, conf := faultServer(t, nil)
		for range 4 {
			s.QueueFault(oauth2test.Fault{Status: 502, RetryAfter: "0", Body: "<html>bad gateway, secret " + faultClientSecret + "</html>", ContentType: "text/html"})
		}
		_, err := conf.ClientCredentialsToken(context.Background())
		asRetrieve(t, err, 502)
		if !strings.Contains(err.Error(), "bad gateway") {
			t.Errorf("error %q; want an excerpt of the page", err)
		}
		if s.TokenRequests() != 4 {
			t.Errorf("token requests = %d; want 4", s.TokenRequests())
		}
		noLeak(t, err)
	})
	t.Run("authorization code not retried", func(t *testing.T) {
		t.Parallel()
		s, conf := faultServer(t, nil)
		state := "state-1"
		cb, err := s.Authorize(conf.AuthCodeURL(state, client.S256Challenge(faultVerifier)), faultUser, faultPassword)
		if err != nil {
			t.Fatal(err)
		}
		code, err := client.ParseCallback(cb.String(), state)
		if err != nil {
			t.Fatal(err)
		}
		s.QueueFault(oauth2test.Fault{Status: 503, RetryAfter: "0"})
		_, err = conf.Exchange(context.Background(), code, client.Verifier(faultVerifier))
		asRetrieve(t, err, 503)
		if n := s.GrantRequests(oauth2test.GrantAuthorizationCode); n != 1 {
			t.Errorf("authorization_code requests = %d; want 1", n)
		}
		noLeak(t, err, code)
	})
}

// 429 with Retry-After: honoured in seconds and as an HTTP date; over 30 s
// it is not waited on but returned at once.
func TestFault429RetryAfter(t *testing.T) {
	t.Parallel() // leaks: TestMain runs goleak after all of them
	const tolerance = 600 * time.Millisecond
	tests := []struct {
		name     string
		after    func() string
		min, max time.Duration
	}{
		{"seconds", func() string { return "1" }, time.Second, time.Second + tolerance},
		// An HTTP date has one-second resolution: now+2s waits 1-2 s.
		{"http date", func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) }, time.Second - 50*time.Millisecond, 2*time.Second + tolerance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, conf := faultServer(t, nil)
			s.QueueFault(oauth2test.Fault{Status: 429, Error: "slow_down", RetryAfter: tt.after()})
			start := time.Now()
			if _, err := conf.ClientCredentialsToken(context.Background()); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d < tt.min || d > tt.max {
				t.Errorf("waited %v; want between %v and %v", d, tt.min, tt.max)
			}
			if s.TokenRequests() != 2 {
				t.Errorf("token requests = %d; want 2", s.TokenRequests())
			}
		})
	}
	for name, after := range map[string]string{
		"31 seconds":          "31",
		"http date in 1 hour": time.Now().Add(time.Hour).UTC().Format(http.TimeFormat),
	} {
		t.Run("over 30s: "+name, func(t *testing.T) {
			t.Parallel()
			s, conf := faultServer(t, nil)
			s.QueueFault(oauth2test.Fault{Status: 429, Error: "rate_limited", RetryAfter: after})
			start := time.Now()
			_, err := conf.ClientCredentialsToken(context.Background())
			re := asRetrieve(t, err, 429)
			if re.ErrorCode != "rate_limited" || re.Response.Header.Get("Retry-After") != after {
				t.Errorf("got code %q, Retry-After %q; want the server's", re.ErrorCode, re.Response.Header.Get("Retry-After"))
			}
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("took %v; want an immediate error", d)
			}
			if s.TokenRequests() != 1 {
				t.Errorf("token requests = %d; want 1", s.TokenRequests())
			}
			noLeak(t, err)
		})
	}
}

// Truncated and oversized bodies are *ResponseErrors that show neither the
// tokens they cut nor the secrets.
func TestFaultTruncatedAndOversized(t *testing.T) {
	t.Parallel() // leaks: TestMain runs goleak after all of them
	t.Run("truncated JSON", func(t *testing.T) {
		t.Parallel()
		s, conf := faultServer(t, nil)
		s.QueueFault(oauth2test.Fault{Status: 200, ContentType: "application/json", Body: tokenJSON[:len(tokenJSON)-20]})
		_, err := conf.ClientCredentialsToken(context.Background())
		asResponse(t, err)
		noLeak(t, err)
	})
	t.Run("truncated inside the access token", func(t *testing.T) {
		t.Parallel()
		s, conf := faultServer(t, nil)
		s.QueueFault(oauth2test.Fault{Status: 200, ContentType: "application/json", Body: tokenJSON[:strings.Index(tokenJSON, faultAccess)+14]})
		_, err := conf.ClientCredentialsToken(context.Background())
		asResponse(t, err)
		noLeak(t, err, faultAccess[:14])
	})
	t.Run("truncated form", func(t *testing.T) {
		t.Parallel()
		s, conf := faultServer(t, nil)
		s.QueueFault(oauth2test.Fault{Status: 200, ContentType: "text/plain", Body: "refresh_token=" + faultRefresh + "&token_type=bearer&expires_in=36"})
		_, err := conf.ClientCredentialsToken(context.Background())
		asResponse(t, err)
		noLeak(t, err)
	})
	t.Run("short body (Content-Length not met)", func(t *testing.T) {
		t.Parallel()
		srv := faulttest.Serve(t, faulttest.CloseAfter(faulttest.Head(200, "application/json", len(tokenJSON)+50)+tokenJSON))
		_, err := rawConfig(srv.URL, isolatedHTTP(t, 0)).ClientCredentialsToken(context.Background())
		rerr := asResponse(t, err)
		if !strings.Contains(rerr.Reason, "reading body") {
			t.Errorf("reason %q; want a body read failure", rerr.Reason)
		}
		noLeak(t, err)
	})
	t.Run("oversized", func(t *testing.T) {
		t.Parallel()
		s, conf := faultServer(t, nil)
		big := `{"access_token":"` + faultAccess + strings.Repeat("x", client.MaxResponseBytes) + `"}`
		s.QueueFault(oauth2test.Fault{Status: 200, ContentType: "application/json", Body: big})
		_, err := conf.ClientCredentialsToken(context.Background())
		rerr := asResponse(t, err)
		if !strings.Contains(rerr.Reason, "exceeds") {
			t.Errorf("reason %q; want the size limit", rerr.Reason)
		}
		noLeak(t, err)
	})
	t.Run("oversized error page", func(t *testing.T) {
		t.Parallel()
		s, conf := faultServer(t, nil)
		s.QueueFault(oauth2test.Fault{Status: 400, ContentType: "text/html", Body: strings.Repeat("<p>no</p>", client.MaxResponseBytes/8)})
		_, err := conf.ClientCredentialsToken(context.Background())
		asResponse(t, err)
		if len(err.Error()) > 1000 {
			t.Errorf("error is %d bytes long; want a short excerpt", len(err.Error()))
		}
	})
}

// Clock skew: the expiry is the client's clock plus expires_in, so a server
// whose clock (Date header, JWT iat/exp) is minutes off does not matter.
func TestFaultClockSkew(t *testing.T) {
	t.Parallel() // leaks: TestMain runs goleak after all of them
	const tol = 5 * time.Second
	near := func(t *testing.T, got, want time.Time) {
		t.Helper()
		if d := got.Sub(want); d < -tol || d > tol {
			t.Errorf("Expiry = %v; want about %v (off by %v)", got, want, d)
		}
	}
	for _, skew := range []time.Duration{-17 * time.Minute, 17 * time.Minute} {
		t.Run(fmt.Sprintf("server clock %v, JWT access token with expires_in", skew), func(t *testing.T) {
			t.Parallel()
			s, conf := faultServer(t, func(c *oauth2test.Client) { c.JWTAccessTokens = true })
			s.Advance(skew)
			tok, err := conf.ClientCredentialsToken(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			near(t, tok.Expiry, time.Now().Add(oauth2test.DefaultTokenLifetime))
		})
		t.Run(fmt.Sprintf("Date header %v", skew), func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Date", time.Now().Add(skew).UTC().Format(http.TimeFormat))
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"access_token":"at","token_type":"Bearer","expires_in":1800}`))
			}))
			t.Cleanup(srv.Close)
			conf := &client.Config{ClientID: "c", ClientSecret: faultClientSecret, Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
			tok, err := conf.ClientCredentialsToken(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			near(t, tok.Expiry, time.Now().Add(30*time.Minute))
		})
	}
	// Without expires_in, the JWT's exp is all there is, and it is on the
	// server's clock. An exp already in the past (server clock behind by
	// more than the lifetime) cannot be right: it is ignored and
	// DefaultExpiresIn applies, instead of a token that is born expired
	// and would be renewed on every call.
	t.Run("JWT exp in the past, no expires_in", func(t *testing.T) {
		t.Parallel()
		s, conf := faultServer(t, func(c *oauth2test.Client) {
			c.JWTAccessTokens = true
			c.ExpiresIn = oauth2test.ExpiresOmitted
		})
		s.Advance(-2 * time.Hour)
		conf.DefaultExpiresIn = 10 * time.Minute
		tok, err := conf.ClientCredentialsToken(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		near(t, tok.Expiry, time.Now().Add(10*time.Minute))
	})
}

// The token endpoint flaps during rotation: the refresh reaches the server,
// which rotates the refresh token, but the response is lost
// (Fault{Process: true, CloseConnection: true}).
//
// The client must not replay the refresh: the old refresh token is now a
// rotated one, and presenting it again is exactly the reuse that rotation
// detects. So the call fails with a *TransportError after one request,
// and a source keeps serving its still-valid access token.
//
// The lost rotation cannot be recovered by the protocol: the new refresh
// token existed only in the lost response. The next refresh presents the
// old refresh token; the server's reuse detection treats that as theft and
// revokes the whole grant (the still-valid access token included), and the
// user must authorize again. The end of this test shows it.
func TestFaultRotationResponseLost(t *testing.T) {
	verifyNoLeaks(t)
	s, conf := faultServer(t, nil)
	ctx := context.Background()
	first, err := conf.PasswordCredentialsToken(ctx, faultUser, faultPassword)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{first.AccessToken, first.RefreshToken}

	t.Run("Refresh", func(t *testing.T) {
		// A throwaway grant, so that the source below starts clean.
		tok, err := conf.PasswordCredentialsToken(ctx, faultUser, faultPassword)
		if err != nil {
			t.Fatal(err)
		}
		before := s.GrantRequests(oauth2test.GrantRefreshToken)
		s.QueueFault(oauth2test.Fault{Process: true, CloseConnection: true})
		_, err = conf.Refresh(ctx, tok.RefreshToken)
		asTransport(t, err)
		if n := s.GrantRequests(oauth2test.GrantRefreshToken) - before; n != 1 {
			t.Errorf("refresh requests = %d; want exactly 1 (no replay)", n)
		}
		noLeak(t, err, tok.AccessToken, tok.RefreshToken)
	})

	t.Run("TokenSource keeps the valid token", func(t *testing.T) {
		// The source knows the token from its cache, saved 59.5 minutes
		// ago and expiring in 30 s: valid, and due for renewal.
		rec := map[string]any{}
		data, _ := record.Encode(record.Record{Token: &oauth2.Token{AccessToken: first.AccessToken, TokenType: first.TokenType, RefreshToken: first.RefreshToken, Expiry: time.Now().Add(30 * time.Second)}})
		json.Unmarshal(data, &rec)
		rec["saved"] = time.Now().Add(-59*time.Minute - 30*time.Second)
		data, _ = json.Marshal(rec)
		mem := &cache.Memory{}
		mem.Save(ctx, "k", data, time.Time{})

		logger, logs := testlog.New()
		src := conf.TokenSource(nil, &tokensource.Options{Cache: mem, CacheKey: "k", Logger: logger})
		before := s.GrantRequests(oauth2test.GrantRefreshToken)
		s.QueueFault(oauth2test.Fault{Process: true, CloseConnection: true})
		for i := range 3 {
			tok, err := src.TokenContext(ctx)
			if err != nil {
				t.Fatalf("call %d: %v; want the still-valid token", i, err)
			}
			if tok.AccessToken != first.AccessToken {
				t.Fatalf("call %d: got another access token; want the still-valid one", i)
			}
		}
		if n := s.GrantRequests(oauth2test.GrantRefreshToken) - before; n != 1 {
			t.Errorf("refresh requests = %d; want exactly 1 (no replay, then backoff)", n)
		}
		if !strings.Contains(logs.String(), "refresh failed") {
			t.Errorf("log %q; want a warning about the failed refresh", logs)
		}
		testlog.NoSecrets(t, "log", logs.String(), append(secrets, faultSecrets...)...)

		// What happens next, by protocol: the old refresh token was
		// rotated, so presenting it is reuse, and the grant is revoked.
		_, err := conf.Refresh(ctx, first.RefreshToken)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
			t.Fatalf("refresh with the rotated token: %v; want invalid_grant (reuse detected)", err)
		}
		noLeak(t, err, secrets...)
		req, _ := http.NewRequest("GET", s.ResourceURL(), nil)
		req.Header.Set("Authorization", "Bearer "+first.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("resource with the old access token: HTTP %d; want 401 (the grant was revoked)", resp.StatusCode)
		}
	})
}
