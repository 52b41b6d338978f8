package wire

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		status int
		header string
		want   time.Duration
		ok     bool
	}{
		{503, "7", 7 * time.Second, true},
		{429, "0", 0, true},
		{503, "-1", 0, false},
		{503, "soon", 0, false},
		{503, "", 0, false},
		{400, "7", 0, false},
		{503, "999999999999", MaxRetryAfter, true},
		{503, now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{503, now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{503, now.Add(1000 * time.Hour).Format(http.TimeFormat), MaxRetryAfter, true},
	}
	for _, tt := range tests {
		resp := &http.Response{StatusCode: tt.status, Header: http.Header{}}
		if tt.header != "" {
			resp.Header.Set("Retry-After", tt.header)
		}
		got, ok := RetryAfter(resp, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%d, %q) = %v, %v; want %v, %v", tt.status, tt.header, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := RetryAfter(nil, now); ok {
		t.Error("RetryAfter(nil) ok; want false")
	}
	err := fmt.Errorf("wrapped: %w", &oauth2.RetrieveError{Response: &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"3"}}}})
	if got, ok := ErrorRetryAfter(err, now); got != 3*time.Second || !ok {
		t.Errorf("ErrorRetryAfter = %v, %v; want 3s, true", got, ok)
	}
}

func TestIsInvalidGrant(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&oauth2.RetrieveError{ErrorCode: "invalid_grant"}, true},
		{fmt.Errorf("x: %w", &oauth2.RetrieveError{ErrorCode: "invalid_grant"}), true},
		{&oauth2.RetrieveError{ErrorCode: "invalid_client"}, false},
		{errors.New("invalid_grant"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := IsInvalidGrant(tt.err); got != tt.want {
			t.Errorf("IsInvalidGrant(%v) = %v; want %v", tt.err, got, tt.want)
		}
	}
}

func TestPort(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://idp.example", "443"},
		{"HTTPS://idp.example/x", "443"},
		{"http://idp.example", "80"},
		{"https://idp.example:8443", "8443"},
		{"http://[::1]:9000/", "9000"},
		{"ftp://idp.example", ""},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := Port(u); got != tt.want {
			t.Errorf("Port(%s): got %q; want %q", tt.url, got, tt.want)
		}
	}
}
