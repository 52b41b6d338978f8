package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDiscoverResource(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/oauth-protected-resource/api/v1" {
			http.NotFound(w, r)
			return
		}
		res := srv.URL + "/api/v1"
		if r.URL.Query().Get("evil") != "" {
			res = "https://other.example/api"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"resource": res, "authorization_servers": []string{srv.URL}})
	}))
	defer srv.Close()
	m, err := DiscoverResource(context.Background(), srv.URL+"/api/v1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.AuthorizationServers) != 1 || m.AuthorizationServers[0] != srv.URL {
		t.Errorf("authorization servers %q", m.AuthorizationServers)
	}
	_, err = DiscoverResourceAt(context.Background(), srv.URL+"/.well-known/oauth-protected-resource/api/v1?evil=1", srv.URL+"/api/v1", nil)
	if !errors.Is(err, ErrIssuerMismatch) {
		t.Errorf("another resource: got %v; want ErrIssuerMismatch", err)
	}
	if _, err := DiscoverResource(context.Background(), "http://api.example/x", nil); !errors.Is(err, ErrInsecureURL) {
		t.Errorf("http resource: got %v; want ErrInsecureURL", err)
	}
	if _, err := DiscoverResource(context.Background(), srv.URL+"/x?q=1", nil); err == nil {
		t.Error("resource with a query: no error")
	}
}

func TestResourceMetadataURL(t *testing.T) {
	tests := []struct{ header, want string }{
		{`Bearer resource_metadata="https://r.example/.well-known/oauth-protected-resource"`, "https://r.example/.well-known/oauth-protected-resource"},
		{`Bearer realm="api", error="invalid_token", resource_metadata="https://r/m"`, "https://r/m"},
		{`Basic realm="x", Bearer resource_metadata=https://r/m`, "https://r/m"},
		{`Negotiate abc==, DPoP algs="ES256", resource_metadata="https://r/d"`, "https://r/d"},
		{`Basic resource_metadata="https://wrong"`, ""},
		{`Bearer realm="a\"b", resource_metadata="https://r/\q"`, "https://r/q"},
		{`Bearer resource_metadata="unterminated`, "unterminated"},
		{`Bearer`, ""},
		{``, ""},
		{`,,,=,="",Bearer ,, resource_metadata = "https://r/s"`, "https://r/s"},
	}
	for _, tt := range tests {
		h := http.Header{"Www-Authenticate": {tt.header}}
		if got := ResourceMetadataURL(h); got != tt.want {
			t.Errorf("ResourceMetadataURL(%q) = %q; want %q", tt.header, got, tt.want)
		}
	}
	// Hostile headers: bounded work, no panic.
	for _, s := range []string{strings.Repeat(`Bearer a="`, 10000), strings.Repeat("=", 1<<20), strings.Repeat(`a=b,`, 100000)} {
		if got := len(parseChallenges(s)); got > maxChallengeHeader {
			t.Errorf("%d challenges", got)
		}
	}
}

func FuzzParseChallenges(f *testing.F) {
	f.Add(`Bearer realm="a", resource_metadata="https://r/m"`)
	f.Add(`Basic abc==, DPoP algs="ES256"`)
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range parseChallenges(s) {
			if c.scheme == "" || len(c.params) > maxChallengeParams {
				t.Fatalf("bad challenge %+v", c)
			}
		}
	})
}
