package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/testlog"
	"github.com/tokenward/tokenward/internal/wire"
	"github.com/tokenward/tokenward/oauth2test"
)

// recorder is a token endpoint that records requests and answers with
// the function's status and body.
type recorder struct {
	srv    *httptest.Server
	hits   atomic.Int32
	last   atomic.Pointer[seen]
	answer func(n int32, s *seen) (int, string)
}

type seen struct {
	contentType string
	basicUser   string
	basicPass   string
	params      map[string]string
}

func newRecorder(t *testing.T, answer func(n int32, s *seen) (int, string)) *recorder {
	t.Helper()
	rec := &recorder{answer: answer}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := rec.hits.Add(1)
		s := &seen{contentType: r.Header.Get("Content-Type"), params: map[string]string{}}
		s.basicUser, s.basicPass, _ = r.BasicAuth()
		body, _ := io.ReadAll(r.Body)
		if s.contentType == "application/json" {
			json.Unmarshal(body, &s.params)
		} else if q, err := url.ParseQuery(string(body)); err == nil {
			for k := range q {
				s.params[k] = q.Get(k)
			}
		}
		rec.last.Store(s)
		status, out := answer(n, s)
		w.Header().Set("Content-Type", "application/json")
		if status == 429 || status == 503 {
			w.Header().Set("Retry-After", "0")
		}
		w.WriteHeader(status)
		io.WriteString(w, out)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

const okToken = `{"access_token":"AT","token_type":"Bearer","expires_in":3600,"refresh_token":"RT2"}`

func TestBodyFormatsAndAuthStyles(t *testing.T) {
	tests := []struct {
		name      string
		format    BodyFormat
		style     oauth2.AuthStyle
		secret    string
		wantCT    string
		wantBasic bool
		wantBody  []string // params expected in the body
	}{
		{"seed 000: basic + form", FormBody, oauth2.AuthStyleInHeader, "sec", "application/x-www-form-urlencoded", true, []string{"grant_type", "scope"}},
		{"seed 003: form with credentials", FormBody, oauth2.AuthStyleInParams, "sec", "application/x-www-form-urlencoded", false, []string{"grant_type", "client_id", "client_secret", "scope"}},
		{"seeds 001/002: json with credentials", JSONBody, oauth2.AuthStyleInParams, "sec", "application/json", false, []string{"grant_type", "client_id", "client_secret", "scope"}},
		{"public client", FormBody, oauth2.AuthStyleAutoDetect, "", "application/x-www-form-urlencoded", false, []string{"grant_type", "client_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, func(int32, *seen) (int, string) { return 200, okToken })
			c := &Config{ClientID: "my-id", ClientSecret: tt.secret, Scopes: []string{"a", "b"}, BodyFormat: tt.format,
				Endpoint: oauth2.Endpoint{TokenURL: rec.srv.URL, AuthStyle: tt.style}}
			if _, err := c.ClientCredentialsToken(context.Background()); err != nil {
				t.Fatal(err)
			}
			s := rec.last.Load()
			if s.contentType != tt.wantCT {
				t.Errorf("Content-Type = %q; want %q", s.contentType, tt.wantCT)
			}
			if got := s.basicUser != ""; got != tt.wantBasic {
				t.Errorf("Basic auth used = %v; want %v", got, tt.wantBasic)
			}
			if tt.wantBasic && (s.basicUser != "my-id" || s.basicPass != "sec") {
				t.Errorf("Basic = %q:%q; want \"my-id\":\"sec\"", s.basicUser, s.basicPass)
			}
			for _, p := range tt.wantBody {
				if s.params[p] == "" {
					t.Errorf("body lacks %q: %v", p, s.params)
				}
			}
			if tt.secret == "" {
				if _, ok := s.params["client_secret"]; ok {
					t.Error("public client sent client_secret")
				}
			}
			if s.params["grant_type"] != "client_credentials" || (s.params["scope"] != "" && s.params["scope"] != "a b") {
				t.Errorf("params = %v; want grant_type client_credentials, scope \"a b\"", s.params)
			}
		})
	}
}

func TestParamsInBothFormats(t *testing.T) {
	for _, f := range []BodyFormat{FormBody, JSONBody} {
		rec := newRecorder(t, func(int32, *seen) (int, string) { return 200, okToken })
		c := &Config{ClientID: "id", ClientSecret: "sec", BodyFormat: f, Params: url.Values{"audience": {"https://api"}},
			Endpoint: oauth2.Endpoint{TokenURL: rec.srv.URL, AuthStyle: oauth2.AuthStyleInParams}}
		if _, err := c.PasswordCredentialsToken(context.Background(), "jsmith", "password123", SetParam("resource", "r1")); err != nil {
			t.Fatal(err)
		}
		s := rec.last.Load()
		want := map[string]string{"audience": "https://api", "resource": "r1", "username": "jsmith", "password": "password123", "grant_type": "password"}
		for k, v := range want {
			if s.params[k] != v {
				t.Errorf("%s body: %s = %q; want %q", f, k, s.params[k], v)
			}
		}
	}
}

func TestAutoDetectFallsBackAndRemembers(t *testing.T) {
	// A server that accepts only credentials in the body.
	rec := newRecorder(t, func(n int32, s *seen) (int, string) {
		if s.basicUser != "" {
			return 401, `{"error":"invalid_client"}`
		}
		return 200, okToken
	})
	c := &Config{ClientID: "auto-" + t.Name(), ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: rec.srv.URL}}
	if _, err := c.ClientCredentialsToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rec.hits.Load(); got != 2 {
		t.Fatalf("first call hits = %d; want 2 (basic, then body)", got)
	}
	if _, err := c.ClientCredentialsToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rec.hits.Load(); got != 3 {
		t.Errorf("second call: total hits = %d; want 3 (remembered the body style)", got)
	}
}

func TestAutoDetectNeverReplaysCode(t *testing.T) {
	rec := newRecorder(t, func(n int32, s *seen) (int, string) { return 401, `{"error":"invalid_client"}` })
	c := &Config{ClientID: "code-" + t.Name(), ClientSecret: "client-secret-1", Endpoint: oauth2.Endpoint{TokenURL: rec.srv.URL}}
	_, err := c.Exchange(context.Background(), "one-time-code")
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Fatalf("got %v; want invalid_client", err)
	}
	if got := rec.hits.Load(); got != 1 {
		t.Errorf("hits = %d; want 1 (a code is never replayed)", got)
	}
	testlog.NoSecrets(t, "text", err.Error(), "one-time-code", "client-secret-1")
}

func TestRetryPolicyByGrant(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		call     func(c *Config) error
		wantHits int32
	}{
		{"client_credentials retried on 503", 503, func(c *Config) error { _, err := c.ClientCredentialsToken(context.Background()); return err }, 2},
		{"password retried on 429", 429, func(c *Config) error {
			_, err := c.PasswordCredentialsToken(context.Background(), "u", "p")
			return err
		}, 2},
		{"client_credentials retried on 500", 500, func(c *Config) error { _, err := c.ClientCredentialsToken(context.Background()); return err }, 2},
		{"no retry on 501", 501, func(c *Config) error { _, err := c.ClientCredentialsToken(context.Background()); return err }, 1},
		{"no retry on 400", 400, func(c *Config) error { _, err := c.ClientCredentialsToken(context.Background()); return err }, 1},
		{"code never retried after reaching the server", 503, func(c *Config) error { _, err := c.Exchange(context.Background(), "code"); return err }, 1},
		{"refresh never retried after reaching the server", 503, func(c *Config) error { _, err := c.Refresh(context.Background(), "rt"); return err }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, func(n int32, s *seen) (int, string) {
				if n == 1 {
					return tt.status, `{"error":"temporarily_unavailable"}`
				}
				return 200, okToken
			})
			c := &Config{ClientID: "id", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: rec.srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
			tt.call(c)
			if got := rec.hits.Load(); got != tt.wantHits {
				t.Errorf("hits = %d; want %d", got, tt.wantHits)
			}
		})
	}
}

func TestRetryAfterTooLongIsNotWaited(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(429)
		io.WriteString(w, `{"error":"slow_down_please"}`)
	}))
	defer srv.Close()
	c := &Config{ClientID: "id", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
	start := time.Now()
	_, err := c.ClientCredentialsToken(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != 429 {
		t.Fatalf("got %v; want a 429 RetrieveError", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v; want an immediate answer when Retry-After exceeds %v", d, maxRetryAfter)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	date := time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		status int
		header string
		min    time.Duration
		max    time.Duration
		ok     bool
	}{
		{429, "3", 3 * time.Second, 3 * time.Second, true},
		{503, date, 0, 3 * time.Second, true},
		{503, "-1", 0, 0, false},
		{503, "soon", 0, 0, false},
		{400, "3", 0, 0, false},
		{429, "", 0, 0, false},
		{429, "999999999999", 24 * time.Hour, 24 * time.Hour, true},
	}
	for _, tt := range tests {
		resp := &http.Response{StatusCode: tt.status, Header: http.Header{"Retry-After": {tt.header}}}
		d, ok := wire.RetryAfter(resp, time.Now())
		if ok != tt.ok || d < tt.min || d > tt.max {
			t.Errorf("retryAfter(%d, %q) = %v, %v; want [%v, %v], %v", tt.status, tt.header, d, ok, tt.min, tt.max, tt.ok)
		}
	}
}

func TestConnectionRefusedRetriedEvenForCodes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	c := &Config{ClientID: "id", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: "http://" + addr + "/token", AuthStyle: oauth2.AuthStyleInHeader}}
	_, err = c.Exchange(context.Background(), "the-code")
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("got %T %v; want *TransportError", err, err)
	}
	if !neverSent(te.Err) && !strings.Contains(err.Error(), "refused") {
		t.Errorf("error %q; want a connection refused", err)
	}
	testlog.NoSecrets(t, "text", err.Error(), "the-code")
}

func TestCheckEndpoint(t *testing.T) {
	tests := []struct {
		url      string
		ok       bool
		insecure bool
	}{
		{"https://idp.example.com/oauth2/token", true, false},
		{"http://127.0.0.1:8080/token", true, false},
		{"http://localhost/token", true, false},
		{"http://[::1]:9/token", true, false},
		{"http://idp.example.com/token", false, true},
		{"ftp://idp.example.com/token", false, false},
		{"", false, false},
		{"/token", false, false},
		{"https://user:pw@idp.example.com/token", false, false},
	}
	for _, tt := range tests {
		_, err := checkEndpoint("token", tt.url)
		if (err == nil) != tt.ok || errors.Is(err, ErrInsecureURL) != tt.insecure {
			t.Errorf("checkEndpoint(%q) = %v; want ok=%v insecure=%v", tt.url, err, tt.ok, tt.insecure)
		}
		var ce *ConfigError
		if err != nil && !errors.As(err, &ce) {
			t.Errorf("checkEndpoint(%q) error %T; want *ConfigError", tt.url, err)
		}
	}
	c := &Config{ClientID: "id", Endpoint: oauth2.Endpoint{TokenURL: "http://idp.example.com/token"}}
	if _, err := c.ClientCredentialsToken(context.Background()); !errors.Is(err, ErrInsecureURL) {
		t.Errorf("ClientCredentialsToken on http: got %v; want ErrInsecureURL", err)
	}
}

func TestRedirectsNotFollowed(t *testing.T) {
	target := newRecorder(t, func(int32, *seen) (int, string) { return 200, okToken })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.srv.URL, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	c := &Config{ClientID: "id", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInHeader}, HTTPClient: &http.Client{}}
	if _, err := c.ClientCredentialsToken(context.Background()); err == nil {
		t.Fatal("got a token through a redirect; want an error")
	}
	if got := target.hits.Load(); got != 0 {
		t.Errorf("redirect target hits = %d; want 0", got)
	}
}

func TestRefreshKeepsOrRotates(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"rotated", `{"access_token":"AT","token_type":"bearer","expires_in":60,"refresh_token":"RT-new"}`, "RT-new"},
		{"kept", `{"access_token":"AT","token_type":"bearer","expires_in":60}`, "RT-old"},
	}
	for _, tt := range tests {
		rec := newRecorder(t, func(int32, *seen) (int, string) { return 200, tt.body })
		c := &Config{ClientID: "id", ClientSecret: "sec", BodyFormat: JSONBody, Endpoint: oauth2.Endpoint{TokenURL: rec.srv.URL}}
		tok, err := c.Refresh(context.Background(), "RT-old")
		if err != nil {
			t.Fatal(err)
		}
		if tok.RefreshToken != tt.want {
			t.Errorf("%s: RefreshToken = %q; want %q", tt.name, tok.RefreshToken, tt.want)
		}
		if s := rec.last.Load(); s.params["grant_type"] != "refresh_token" || s.params["refresh_token"] != "RT-old" || s.params["client_secret"] != "sec" {
			t.Errorf("%s: params = %v; want a JSON refresh with credentials in the body", tt.name, s.params)
		}
	}
	if _, err := (&Config{}).Refresh(context.Background(), ""); !errors.Is(err, ErrNoRefreshToken) {
		t.Errorf("Refresh(\"\") = %v; want ErrNoRefreshToken", err)
	}
}

func TestContextCanceled(t *testing.T) {
	srv := oauth2test.NewServer(t, nil)
	srv.SetLatency(200 * time.Millisecond)
	c := &Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret, Endpoint: srv.Endpoint(), HTTPClient: srv.Client()}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.ClientCredentialsToken(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v; want context.DeadlineExceeded", err)
	}
}

func TestBasicCredentialsAreFormEncoded(t *testing.T) {
	rec := newRecorder(t, func(int32, *seen) (int, string) { return 200, okToken })
	c := &Config{ClientID: "id with space", ClientSecret: "s&cret:x", Endpoint: oauth2.Endpoint{TokenURL: rec.srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
	if _, err := c.ClientCredentialsToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := rec.last.Load()
	// RFC 6749 §2.3.1: both parts are application/x-www-form-urlencoded first.
	if s.basicUser != "id+with+space" || s.basicPass != "s%26cret%3Ax" {
		t.Errorf("Basic = %q:%q; want form-encoded id+with+space:s%%26cret%%3Ax", s.basicUser, s.basicPass)
	}
}

func TestTransportErrorTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
	}))
	defer srv.Close()
	c := &Config{ClientID: "id", ClientSecret: "sec", HTTPClient: &http.Client{Timeout: 50 * time.Millisecond},
		Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInHeader}}
	_, err := c.Exchange(context.Background(), "code-value")
	var te *TransportError
	if !errors.As(err, &te) || !te.Timeout() {
		t.Fatalf("got %T %v; want a *TransportError with Timeout() true", err, err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("errors.As(err, net.Error) = false or not a timeout; want a net.Error timeout")
	}
}
