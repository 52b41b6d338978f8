package oauth2test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaultResponses(t *testing.T) {
	tests := []struct {
		name            string
		fault           Fault
		wantStatus      int
		wantContentType string // prefix
		wantBody        string // substring
		wantRetryAfter  string
	}{
		{"error", Fault{Error: "invalid_grant", Description: "nope"}, 400, "application/json", `{"error":"invalid_grant","error_description":"nope"}`, ""},
		{"error in a 200", Fault{Status: 200, Error: "invalid_request"}, 200, "application/json", `"error":"invalid_request"`, ""},
		{"error with status and Retry-After date", Fault{Status: 503, Error: "temporarily_unavailable", RetryAfter: "Wed, 21 Oct 2015 07:28:00 GMT"}, 503, "application/json", "temporarily_unavailable", "Wed, 21 Oct 2015 07:28:00 GMT"},
		{"status only with Retry-After", Fault{Status: 429, RetryAfter: "2"}, 429, "text/plain", "Too Many Requests", "2"},
		{"Retry-After only", Fault{RetryAfter: "1"}, 500, "text/plain", "Internal Server Error", "1"},
		{"HTML body", Fault{Status: 502, Body: "<html><body>Bad Gateway</body></html>"}, 502, "text/html", "Bad Gateway", ""},
		{"truncated JSON", Fault{Status: 200, Body: `{"access_token":"abc","tok`, ContentType: "application/json"}, 200, "application/json", `{"access_token":"abc","tok`, ""},
		{"garbage defaults to 500", Fault{Body: "\x00\x01garbage"}, 500, "application/octet-stream", "garbage", ""},
		{"body wins over error", Fault{Error: "invalid_grant", Body: "plain"}, 400, "text/plain", "plain", ""},
	}
	s := NewServer(t, nil)
	for _, tt := range tests {
		s.QueueFault(tt.fault)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, call{form: defaultCreds("grant_type", "client_credentials")})
			if r.status != tt.wantStatus {
				t.Errorf("status = %d; want %d", r.status, tt.wantStatus)
			}
			if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, tt.wantContentType) {
				t.Errorf("Content-Type = %q; want prefix %q", got, tt.wantContentType)
			}
			if !strings.Contains(string(r.body), tt.wantBody) {
				t.Errorf("body = %q; want it to contain %q", r.body, tt.wantBody)
			}
			if got := r.header.Get("Retry-After"); got != tt.wantRetryAfter {
				t.Errorf("Retry-After = %q; want %q", got, tt.wantRetryAfter)
			}
		})
	}
	// The queue is empty: the next request is served normally.
	fetchToken(t, s, call{form: defaultCreds("grant_type", "client_credentials")})
	if got, want := s.TokenRequests(), len(tests)+1; got != want {
		t.Errorf("TokenRequests() = %d; want %d", got, want)
	}
	if got, want := s.IssuedAccessTokens(), 1; got != want {
		t.Errorf("IssuedAccessTokens() = %d; want %d", got, want)
	}
}

// freshClient returns a client that does not reuse connections.
func freshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
}

func TestFaultCloseConnection(t *testing.T) {
	s := NewServer(t, nil)
	s.QueueFault(Fault{CloseConnection: true})
	resp, err := freshClient().PostForm(s.TokenURL(), defaultCreds("grant_type", "client_credentials"))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("request succeeded with status %d; want a connection error", resp.StatusCode)
	}
	fetchToken(t, s, call{form: defaultCreds("grant_type", "client_credentials")})
	if got, want := s.TokenRequests(), 2; got != want {
		t.Errorf("TokenRequests() = %d; want %d", got, want)
	}
}

func TestFaultProcessLosesRotatedToken(t *testing.T) {
	s := NewServer(t, &Options{Clients: []Client{{ID: "c", Secret: "s", IssueRefreshToken: true, RotateRefreshTokens: true}}})
	rt := passwordToken(t, s, "c", "s").str("refresh_token")
	s.QueueFault(Fault{Process: true, CloseConnection: true})
	resp, err := freshClient().PostForm(s.TokenURL(), form("grant_type", "refresh_token", "client_id", "c", "client_secret", "s", "refresh_token", rt))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("request succeeded with status %d; want a connection error", resp.StatusCode)
	}
	// The server rotated the token although the client never saw the answer.
	wantError(t, refresh(t, s, "c", "s", rt), 400, "invalid_grant")
	if got, want := s.IssuedAccessTokens(), 2; got != want {
		t.Errorf("IssuedAccessTokens() = %d; want %d", got, want)
	}
}

func TestLatency(t *testing.T) {
	s := NewServer(t, nil)
	tests := []struct {
		name    string
		setup   func()
		wantMin time.Duration
	}{
		{"fault latency then normal answer", func() { s.QueueFault(Fault{Latency: 80 * time.Millisecond}) }, 80 * time.Millisecond},
		{"SetLatency", func() { s.SetLatency(60 * time.Millisecond) }, 60 * time.Millisecond},
		{"both add up", func() { s.QueueFault(Fault{Latency: 40 * time.Millisecond}) }, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup()
			start := time.Now()
			fetchToken(t, s, call{form: defaultCreds("grant_type", "client_credentials")})
			if got := time.Since(start); got < tt.wantMin {
				t.Errorf("answered after %v; want at least %v", got, tt.wantMin)
			}
		})
	}
}

func TestLatencyRespectsContext(t *testing.T) {
	s := NewServer(t, nil)
	s.QueueFault(Fault{Latency: time.Hour, Error: "invalid_grant"})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.TokenURL(), strings.NewReader(defaultCreds("grant_type", "client_credentials").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	start := time.Now()
	resp, err := s.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("request succeeded with status %d; want a deadline error", resp.StatusCode)
	}
	if got := time.Since(start); got > 10*time.Second {
		t.Errorf("gave up after %v; want about 100ms", got)
	}
	// Close (run by Cleanup) must not wait for the hour either.
}

func TestCloseEndsLatency(t *testing.T) {
	s := NewServer(nil, nil)
	s.QueueFault(Fault{Latency: time.Hour})
	done := make(chan int, 1)
	go func() {
		resp, err := s.Client().PostForm(s.TokenURL(), defaultCreds("grant_type", "client_credentials"))
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	for s.TokenRequests() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	s.Close()
	s.Close() // idempotent
	select {
	case status := <-done:
		if status == http.StatusOK {
			t.Errorf("status = 200; want the request to fail when the server closes")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("request still pending 10s after Close")
	}
}

// TestFaultNoContentTypeEmptyBody: the answers net/http would otherwise
// dress up: a body without any Content-Type, and a 200 with no body.
func TestFaultNoContentTypeEmptyBody(t *testing.T) {
	tests := []struct {
		name       string
		fault      Fault
		wantStatus int
		wantCT     []string // the Content-Type header values
		wantBody   string
	}{
		{"no content type", Fault{Status: 200, Body: `{"access_token":"AT"}`, NoContentType: true}, 200, nil, `{"access_token":"AT"}`},
		{"empty 200", Fault{Status: 200, EmptyBody: true}, 200, nil, ""},
		{"empty 200 as JSON", Fault{Status: 200, EmptyBody: true, ContentType: "application/json"}, 200, []string{"application/json"}, ""},
		{"empty error status", Fault{Error: "ignored", EmptyBody: true}, 400, nil, ""},
	}
	s := NewServer(t, nil)
	for _, tt := range tests {
		s.QueueFault(tt.fault)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, call{form: defaultCreds("grant_type", "client_credentials")})
			if r.status != tt.wantStatus {
				t.Errorf("status = %d; want %d", r.status, tt.wantStatus)
			}
			if got := r.header.Values("Content-Type"); strings.Join(got, ",") != strings.Join(tt.wantCT, ",") {
				t.Errorf("Content-Type = %q; want %q", got, tt.wantCT)
			}
			if string(r.body) != tt.wantBody {
				t.Errorf("body = %q; want %q", r.body, tt.wantBody)
			}
		})
	}
}
