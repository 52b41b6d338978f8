package tokensource

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

var _ http.RoundTripper = (*Transport)(nil)

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTransportSetsHeaderWithoutModifyingRequest(t *testing.T) {
	tests := []struct {
		tokenType string
		want      string
	}{
		{"bearer", "Bearer at-1"},
		{"Bearer", "Bearer at-1"},
		{"", "Bearer at-1"},
		{"BEARER", "Bearer at-1"},
	}
	for _, tt := range tests {
		t.Run(tt.tokenType, func(t *testing.T) {
			src := FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "at-1", TokenType: tt.tokenType}))
			var got string
			tr := &Transport{Source: New(src, nil), Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				got = r.Header.Get("Authorization")
				if r.Header.Get("X-Keep") != "1" {
					t.Errorf("X-Keep = %q; want 1 (other headers kept)", r.Header.Get("X-Keep"))
				}
				return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
			})}
			req, _ := http.NewRequest("GET", "https://api.example/x", nil)
			req.Header.Set("X-Keep", "1")
			if _, err := tr.RoundTrip(req); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Authorization = %q; want %q", got, tt.want)
			}
			if h := req.Header.Get("Authorization"); h != "" {
				t.Errorf("caller's request was modified: Authorization = %q", h)
			}
		})
	}
}

func TestTransportRetriesOnceOnInvalidToken(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	c := newTestCached(t, src, clk, nil)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		if string(body) != "payload" {
			t.Errorf("body = %q; want payload (replayed)", body)
		}
		if r.Header.Get("Authorization") == "Bearer at-1" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token", error_description="expired"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "ok "+r.Header.Get("Authorization"))
	}))
	defer srv.Close()

	client := &http.Client{Transport: &Transport{Source: c}}
	resp, err := client.Post(srv.URL, "text/plain", strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "ok Bearer at-2" {
		t.Fatalf("got %d %q; want 200 \"ok Bearer at-2\"", resp.StatusCode, b)
	}
	if got := hits.Load(); got != 2 {
		t.Errorf("server hits = %d; want 2", got)
	}
}

func TestTransportDoesNotRetry(t *testing.T) {
	tests := []struct {
		name      string
		challenge string
		body      io.Reader // non-replayable when wrapped
		noGetBody bool
	}{
		{"no invalid_token", `Bearer realm="api"`, nil, false},
		{"insufficient_scope", `Bearer error="insufficient_scope"`, nil, false},
		{"basic", `Basic realm="x"`, nil, false},
		{"body not replayable", `Bearer error="invalid_token"`, strings.NewReader("x"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			src := &fakeSource{clk: clk, life: time.Hour}
			c := newTestCached(t, src, clk, nil)
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("WWW-Authenticate", tt.challenge)
				w.WriteHeader(http.StatusUnauthorized)
			}))
			defer srv.Close()
			req, _ := http.NewRequest("POST", srv.URL, tt.body)
			if tt.noGetBody {
				req.GetBody = nil
			}
			resp, err := (&http.Client{Transport: &Transport{Source: c}}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 401 || hits.Load() != 1 {
				t.Fatalf("got status %d after %d hits; want 401 after 1", resp.StatusCode, hits.Load())
			}
		})
	}
}

func TestTransportSourceError(t *testing.T) {
	clk := newFakeClock()
	src := &fakeSource{clk: clk, life: time.Hour}
	src.failNext(errBoom)
	closed := false
	body := &closeRecorder{Reader: strings.NewReader("x"), closed: &closed}
	req, _ := http.NewRequest("POST", "https://api.example/", body)
	_, err := (&Transport{Source: newTestCached(t, src, clk, nil)}).RoundTrip(req)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got %v; want the source error", err)
	}
	if !closed {
		t.Error("request body not closed on error")
	}
	if _, err := (&Transport{}).RoundTrip(req); err != errNilSource {
		t.Errorf("nil Source: got %v; want errNilSource", err)
	}
}

type closeRecorder struct {
	io.Reader
	closed *bool
}

func (c *closeRecorder) Close() error { *c.closed = true; return nil }

func TestNewClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	c := NewClient(FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "abc"})))
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "Bearer abc" {
		t.Errorf("got %q; want %q", b, "Bearer abc")
	}
}

func TestFromOAuth2HonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "a"})).TokenContext(ctx); err != context.Canceled {
		t.Errorf("got %v; want context.Canceled", err)
	}
}
