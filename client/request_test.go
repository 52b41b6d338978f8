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

// recorder is an endpoint that records requests and answers with the
// function's status and body, for what oauth2test's faults cannot script:
// device authorization answers and answers computed from the request
// (grantServer). Token endpoint tests use oauth2test (see answered).
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

// answered returns an oauth2test server whose token endpoint answers the
// next request with status and a JSON body, whatever it holds, and records
// it (LastTokenRequest).
func answered(t *testing.T, status int, body string) *oauth2test.Server {
	t.Helper()
	srv := oauth2test.NewServer(t, nil)
	srv.QueueFault(oauth2test.Fault{Status: status, Body: body, ContentType: "application/json"})
	return srv
}

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
			srv := answered(t, 200, okToken)
			c := &Config{ClientID: "my-id", ClientSecret: tt.secret, Scopes: []string{"a", "b"}, BodyFormat: tt.format,
				Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL(), AuthStyle: tt.style}}
			if _, err := c.ClientCredentialsToken(context.Background()); err != nil {
				t.Fatal(err)
			}
			r := srv.LastTokenRequest()
			if r.ContentType != tt.wantCT {
				t.Errorf("Content-Type = %q; want %q", r.ContentType, tt.wantCT)
			}
			if r.UsedBasic != tt.wantBasic {
				t.Errorf("Basic auth used = %v; want %v", r.UsedBasic, tt.wantBasic)
			}
			if tt.wantBasic && (r.BasicUser != "my-id" || r.BasicPassword != "sec") {
				t.Errorf("Basic = %q:%q; want \"my-id\":\"sec\"", r.BasicUser, r.BasicPassword)
			}
			for _, p := range tt.wantBody {
				if r.Params[p] == "" {
					t.Errorf("body lacks %q: %v", p, r.Params)
				}
			}
			if tt.secret == "" {
				if _, ok := r.Params["client_secret"]; ok {
					t.Error("public client sent client_secret")
				}
			}
			if r.Params["grant_type"] != "client_credentials" || (r.Params["scope"] != "" && r.Params["scope"] != "a b") {
				t.Errorf("params = %v; want grant_type client_credentials, scope \"a b\"", r.Params)
			}
		})
	}
}

func TestParamsInBothFormats(t *testing.T) {
	for _, f := range []BodyFormat{FormBody, JSONBody} {
		srv := answered(t, 200, okToken)
		c := &Config{ClientID: "id", ClientSecret: "sec", BodyFormat: f, Params: url.Values{"audience": {"https://api"}},
			Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}
		if _, err := c.PasswordCredentialsToken(context.Background(), "jsmith", "password123", SetParam("resource", "r1")); err != nil {
			t.Fatal(err)
		}
		params := srv.LastTokenRequest().Params
		want := map[string]string{"audience": "https://api", "resource": "r1", "username": "jsmith", "password": "password123", "grant_type": "password"}
		for k, v := range want {
			if params[k] != v {
				t.Errorf("%s body: %s = %q; want %q", f, k, params[k], v)
			}
		}
	}
}

func TestAutoDetectFallsBackAndRemembers(t *testing.T) {
	// A server that accepts only credentials in the body.
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{ID: "auto", Secret: "sec", AuthStyle: oauth2test.AuthBody}}})
	c := &Config{ClientID: "auto", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL()}}
	if _, err := c.ClientCredentialsToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := srv.TokenRequests(); got != 2 {
		t.Fatalf("first call hits = %d; want 2 (basic, then body)", got)
	}
	if _, err := c.ClientCredentialsToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := srv.TokenRequests(); got != 3 {
		t.Errorf("second call: total hits = %d; want 3 (remembered the body style)", got)
	}
}

func TestAutoDetectNeverReplaysCode(t *testing.T) {
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{ID: "code", Secret: "other-secret", AuthStyle: oauth2test.AuthBasic}}})
	c := &Config{ClientID: "code", ClientSecret: "client-secret-1", Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL()}}
	_, err := c.Exchange(context.Background(), "one-time-code")
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Fatalf("got %v; want invalid_client", err)
	}
	if got := srv.TokenRequests(); got != 1 {
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
			_, err := c.PasswordCredentialsToken(context.Background(), oauth2test.DefaultUsername, oauth2test.DefaultPassword)
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
			srv := oauth2test.NewServer(t, nil) // then answers as itself
			srv.QueueFault(oauth2test.Fault{Status: tt.status, Error: "temporarily_unavailable", RetryAfter: "0"})
			c := &Config{ClientID: oauth2test.DefaultClientID, ClientSecret: oauth2test.DefaultClientSecret, Endpoint: srv.Endpoint()}
			tt.call(c)
			if got := int32(srv.TokenRequests()); got != tt.wantHits {
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
	target := oauth2test.NewServer(t, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.TokenURL(), http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	c := &Config{ClientID: "id", ClientSecret: "sec", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInHeader}, HTTPClient: &http.Client{}}
	if _, err := c.ClientCredentialsToken(context.Background()); err == nil {
		t.Fatal("got a token through a redirect; want an error")
	}
	if got := target.TokenRequests(); got != 0 {
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
		srv := answered(t, 200, tt.body)
		c := &Config{ClientID: "id", ClientSecret: "sec", BodyFormat: JSONBody, Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL()}}
		tok, err := c.Refresh(context.Background(), "RT-old")
		if err != nil {
			t.Fatal(err)
		}
		if tok.RefreshToken != tt.want {
			t.Errorf("%s: RefreshToken = %q; want %q", tt.name, tok.RefreshToken, tt.want)
		}
		if p := srv.LastTokenRequest().Params; p["grant_type"] != "refresh_token" || p["refresh_token"] != "RT-old" || p["client_secret"] != "sec" {
			t.Errorf("%s: params = %v; want a JSON refresh with credentials in the body", tt.name, p)
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
	srv := answered(t, 200, okToken)
	c := &Config{ClientID: "id with space", ClientSecret: "s&cret:x", Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader}}
	if _, err := c.ClientCredentialsToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	// RFC 6749 §2.3.1: both parts are application/x-www-form-urlencoded first.
	user, pass, _ := (&http.Request{Header: srv.LastTokenRequest().Header}).BasicAuth()
	if user != "id+with+space" || pass != "s%26cret%3Ax" {
		t.Errorf("Basic = %q:%q; want form-encoded id+with+space:s%%26cret%%3Ax", user, pass)
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
