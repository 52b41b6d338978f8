package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/internal/faulttest"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// Fault injection: what the client and its sources do when the network or
// the token endpoint misbehaves. Every test checks the documented error
// type, that no secret reaches an error, and (through TestMain and
// goleak.VerifyNone) that nothing is left running.

// Known secrets: unique and long, so that any appearance in an error or
// log line is a leak and not a coincidence.
const (
	faultClientID     = "fault-client"
	faultClientSecret = "cs-FAULT-5b1e0c77d2a94f38"
	faultUser         = "fault-user"
	faultPassword     = "pw-FAULT-9c3f2a61e8d74b05"
	faultCode         = "code-FAULT-1d6a4e92f0b3c857"
	faultVerifier     = "verifier-FAULT-3e8b0d4c6a2f1957-abcdefghijklmnopqrstuv"
	faultRefresh      = "rt-FAULT-8a2c4e6f0b1d3957"
	faultAccess       = "at-FAULT-4f6e8d0c2b1a3957"
)

var faultSecrets = []string{faultClientSecret, faultPassword, faultCode, faultVerifier, faultRefresh, faultAccess}

// faultServer is an oauth2test server with one confidential client that
// issues rotating refresh tokens.
func faultServer(t *testing.T, mod func(*oauth2test.Client)) (*oauth2test.Server, *client.Config) {
	t.Helper()
	c := oauth2test.Client{
		ID: faultClientID, Secret: faultClientSecret,
		RedirectURIs:      []string{"https://app.example/cb"},
		IssueRefreshToken: true, RotateRefreshTokens: true,
	}
	if mod != nil {
		mod(&c)
	}
	s := oauth2test.NewServer(t, &oauth2test.Options{
		Clients:        []oauth2test.Client{c},
		Users:          map[string]string{faultUser: faultPassword},
		DeviceInterval: 1,
	})
	ep := s.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	return s, &client.Config{ClientID: faultClientID, ClientSecret: faultClientSecret, Endpoint: ep, RedirectURL: "https://app.example/cb"}
}

// verifyNoLeaks checks, once t and its subtests are done (use it in tests
// that do not run in parallel with others), that no goroutine they started is left, apart from
// idle keep-alive connections of shared HTTP clients.
func verifyNoLeaks(t *testing.T) {
	t.Cleanup(func() {
		goleak.VerifyNone(t,
			goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"))
	})
}

// rawConfig is a Config for a raw TCP fault server.
func rawConfig(url string, hc *http.Client) *client.Config {
	return &client.Config{
		ClientID: faultClientID, ClientSecret: faultClientSecret,
		Endpoint:   oauth2.Endpoint{TokenURL: url + "/token", AuthStyle: oauth2.AuthStyleInHeader},
		HTTPClient: hc,
	}
}

// isolatedHTTP is an HTTP client of its own whose idle connections are
// closed at the end of the test, with an optional timeout.
func isolatedHTTP(t *testing.T, timeout time.Duration) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

// errTexts is every rendering of err that a caller may print or log.
func errTexts(err error) []string {
	texts := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%s", err)}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		texts = append(texts, re.Error(), string(re.Body), re.ErrorDescription, re.ErrorURI, fmt.Sprintf("%+v", *re))
	}
	var rerr *client.ResponseError
	if errors.As(err, &rerr) {
		texts = append(texts, rerr.Excerpt, rerr.Reason, fmt.Sprintf("%#v", *rerr))
	}
	var te *client.TransportError
	if errors.As(err, &te) {
		texts = append(texts, te.Err.Error())
	}
	return texts
}

// noLeak fails if any rendering of err holds one of the secrets, or the
// first 12 characters of one (a token cut short is still a leak).
func noLeak(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, text := range errTexts(err) {
		for _, s := range append(secrets, faultSecrets...) {
			if s == "" {
				continue
			}
			if strings.Contains(text, s) || len(s) >= 16 && strings.Contains(text, s[:12]) {
				t.Errorf("secret %q leaked in %q", s, text)
			}
		}
	}
}

func asTransport(t *testing.T, err error) *client.TransportError {
	t.Helper()
	var te *client.TransportError
	if !errors.As(err, &te) {
		t.Fatalf("got %T %v; want *client.TransportError", err, err)
	}
	return te
}

func asRetrieve(t *testing.T, err error, status int) *oauth2.RetrieveError {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil || re.Response.StatusCode != status {
		t.Fatalf("got %T %v; want *oauth2.RetrieveError with HTTP %d", err, err, status)
	}
	return re
}

func asResponse(t *testing.T, err error) *client.ResponseError {
	t.Helper()
	var re *client.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("got %T %v; want *client.ResponseError", err, err)
	}
	return re
}

// tokenJSON is a token response holding the known access and refresh
// tokens.
var tokenJSON = `{"access_token":"` + faultAccess + `","token_type":"Bearer","expires_in":3600,"refresh_token":"` + faultRefresh + `"}`

// Connection refused: the request provably never left, so even a
// one-time code is retried (3 times), then a *TransportError.
func TestFaultConnectionRefused(t *testing.T) {
	t.Parallel() // leaks: TestMain runs goleak after all of them
	conf := rawConfig(faulttest.ClosedPort(t), isolatedHTTP(t, 0))
	for name, call := range map[string]func() error{
		"client_credentials": func() error { _, err := conf.ClientCredentialsToken(context.Background()); return err },
		"exchange": func() error {
			_, err := conf.Exchange(context.Background(), faultCode, client.Verifier(faultVerifier))
			return err
		},
		"refresh": func() error { _, err := conf.Refresh(context.Background(), faultRefresh); return err },
		"password": func() error {
			_, err := conf.PasswordCredentialsToken(context.Background(), faultUser, faultPassword)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			err := call()
			asTransport(t, err)
			if !strings.Contains(err.Error(), "refused") {
				t.Errorf("error %q; want it to say the connection was refused", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v; want the retry budget (under 2s of backoff)", d)
			}
			noLeak(t, err)
		})
	}
}

// A server that accepts and hangs up before reading: no HTTP answer, a
// *TransportError. A safe grant is retried; a code is not (the client
// cannot prove the request did not reach the server).
func TestFaultAcceptThenClose(t *testing.T) {
	t.Parallel() // leaks: TestMain runs goleak after all of them
	t.Run("client_credentials retried", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, faulttest.AcceptThenClose)
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).ClientCredentialsToken(context.Background())
		asTransport(t, err)
		if s.Accepted() < 4 {
			t.Errorf("accepted %d connections; want 4 (3 retries)", s.Accepted())
		}
		noLeak(t, err)
	})
	t.Run("exchange not retried", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, faulttest.AcceptThenClose)
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).Exchange(context.Background(), faultCode, client.Verifier(faultVerifier))
		asTransport(t, err)
		if s.Accepted() > 2 { // net/http itself may redial once when nothing was written
			t.Errorf("accepted %d connections; want the code sent once", s.Accepted())
		}
		noLeak(t, err)
	})
}

// Reset in the middle of a response.
func TestFaultResetMidResponse(t *testing.T) {
	t.Parallel() // leaks: TestMain runs goleak after all of them
	full := faulttest.Response(200, "application/json", tokenJSON)
	headEnd := strings.Index(full, "\r\n\r\n") + 4
	t.Run("mid-headers client_credentials retried then TransportError", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, faulttest.ResetAfter(full[:headEnd/2]))
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).ClientCredentialsToken(context.Background())
		asTransport(t, err)
		if s.Requests() != 4 {
			t.Errorf("server read %d requests; want 4 (3 retries)", s.Requests())
		}
		noLeak(t, err)
	})
	t.Run("mid-headers refresh not replayed", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, faulttest.ResetMidResponse(faulttest.Response(200, "application/json", "{}")))
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).Refresh(context.Background(), faultRefresh)
		asTransport(t, err)
		if s.Requests() != 1 {
			t.Errorf("server read %d requests; want 1 (a refresh that reached the server is never replayed)", s.Requests())
		}
		noLeak(t, err)
	})
	t.Run("mid-body is a ResponseError without the token", func(t *testing.T) {
		t.Parallel()
		// Cut inside the access token: the excerpt must not show its start.
		cut := headEnd + strings.Index(tokenJSON, faultAccess) + len(faultAccess)/2 + 2
		s := faulttest.Serve(t, faulttest.ResetAfter(full[:cut]))
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).ClientCredentialsToken(context.Background())
		rerr := asResponse(t, err)
		if rerr.StatusCode != 200 || !strings.Contains(rerr.Reason, "reading body") {
			t.Errorf("got %+v; want status 200 and a body read failure", rerr)
		}
		if s.Requests() != 1 {
			t.Errorf("server read %d requests; want 1 (a status was received)", s.Requests())
		}
		noLeak(t, err, faultAccess[:len(faultAccess)/2])
	})
}

// Slow loris: headers, then one byte every 200ms.
func TestFaultSlowLoris(t *testing.T) {
	t.Parallel() // leaks: TestMain runs goleak after all of them
	full := faulttest.Response(200, "application/json", tokenJSON)
	headEnd := strings.Index(full, "\r\n\r\n") + 4
	bodyStart := headEnd + len(`{"access_token":"at-`)
	slowBody := faulttest.SlowLoris(full[:bodyStart], full[bodyStart:], 200*time.Millisecond)
	slowHead := faulttest.SlowLoris("", full, 200*time.Millisecond)

	t.Run("body with context deadline", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, slowBody)
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).ClientCredentialsToken(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %T %v; want context.DeadlineExceeded (the caller's context ended)", err, err)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("took %v; want about the 500ms deadline", d)
		}
		noLeak(t, err)
	})
	t.Run("headers with context deadline", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, slowHead)
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).Exchange(ctx, faultCode)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %T %v; want context.DeadlineExceeded", err, err)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("took %v; want about the 500ms deadline", d)
		}
		noLeak(t, err)
	})
	t.Run("body with HTTPClient.Timeout", func(t *testing.T) {
		// The status arrived, the body did not: a truncated body, reported
		// as a *ResponseError with the status, and not retried.
		t.Parallel()
		s := faulttest.Serve(t, slowBody)
		start := time.Now()
		_, err := rawConfig(s.URL, isolatedHTTP(t, 500*time.Millisecond)).ClientCredentialsToken(context.Background())
		rerr := asResponse(t, err)
		if rerr.StatusCode != 200 || !strings.Contains(rerr.Reason, "reading body") {
			t.Errorf("got %+v; want status 200 and a body read failure", rerr)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("took %v; want about the 500ms timeout", d)
		}
		if s.Requests() != 1 {
			t.Errorf("server read %d requests; want 1", s.Requests())
		}
		noLeak(t, err)
	})
	t.Run("headers with HTTPClient.Timeout, code not retried", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, slowHead)
		start := time.Now()
		_, err := rawConfig(s.URL, isolatedHTTP(t, 500*time.Millisecond)).Exchange(context.Background(), faultCode)
		asTransport(t, err)
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("took %v; want about the 500ms timeout", d)
		}
		if s.Requests() != 1 {
			t.Errorf("server read %d requests; want 1", s.Requests())
		}
		noLeak(t, err)
	})
	t.Run("headers with HTTPClient.Timeout, client_credentials retried", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, slowHead)
		_, err := rawConfig(s.URL, isolatedHTTP(t, 300*time.Millisecond)).ClientCredentialsToken(context.Background())
		te := asTransport(t, err)
		if !strings.Contains(te.Error(), "Timeout") && !strings.Contains(te.Error(), "timeout") {
			t.Errorf("error %q; want it to name the timeout", te)
		}
		if s.Requests() != 4 {
			t.Errorf("server read %d requests; want 4 (3 retries)", s.Requests())
		}
		noLeak(t, err)
	})
}

// A server that reads the request and never answers.
func TestFaultNeverAnswer(t *testing.T) {
	t.Parallel() // leaks: TestMain runs goleak after all of them
	t.Run("context deadline", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, faulttest.NeverAnswer)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := rawConfig(s.URL, isolatedHTTP(t, 0)).Refresh(ctx, faultRefresh)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %T %v; want context.DeadlineExceeded", err, err)
		}
		noLeak(t, err)
	})
	t.Run("HTTPClient.Timeout", func(t *testing.T) {
		t.Parallel()
		s := faulttest.Serve(t, faulttest.NeverAnswer)
		_, err := rawConfig(s.URL, isolatedHTTP(t, 300*time.Millisecond)).Refresh(context.Background(), faultRefresh)
		asTransport(t, err)
		if s.Requests() != 1 {
			t.Errorf("server read %d requests; want 1 (a refresh is not replayed)", s.Requests())
		}
		noLeak(t, err)
	})
}

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
		data, _ := tokensource.Encode(&oauth2.Token{AccessToken: first.AccessToken, TokenType: first.TokenType, RefreshToken: first.RefreshToken, Expiry: time.Now().Add(30 * time.Second)})
		json.Unmarshal(data, &rec)
		rec["saved"] = time.Now().Add(-59*time.Minute - 30*time.Second)
		data, _ = json.Marshal(rec)
		mem := &cache.Memory{}
		mem.Save(ctx, "k", data, time.Time{})

		logger, logs := newLogCapture()
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
		assertNoSecretText(t, "log", logs.String(), append(secrets, faultSecrets...)...)

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

// logCapture collects log output for secret scans.
type logCapture struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logCapture) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newLogCapture returns a debug-level logger that writes text and JSON
// records into one buffer.
func newLogCapture() (*slog.Logger, *logCapture) {
	l := &logCapture{}
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	return slog.New(multiHandler{slog.NewTextHandler(l, opts), slog.NewJSONHandler(l, opts)}), l
}

// multiHandler sends each record to every handler.
type multiHandler []slog.Handler

func (m multiHandler) Enabled(ctx context.Context, l slog.Level) bool { return true }

func (m multiHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range m {
		h.Handle(ctx, r.Clone())
	}
	return nil
}

func (m multiHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(multiHandler, len(m))
	for i, h := range m {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (m multiHandler) WithGroup(name string) slog.Handler {
	out := make(multiHandler, len(m))
	for i, h := range m {
		out[i] = h.WithGroup(name)
	}
	return out
}

// assertNoSecretText fails if text holds a secret (or, for long ones,
// its first 12 characters).
func assertNoSecretText(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if strings.Contains(text, s) || len(s) >= 16 && strings.Contains(text, s[:12]) {
			t.Errorf("%s: secret %q leaked in %q", what, s, text)
		}
	}
}
