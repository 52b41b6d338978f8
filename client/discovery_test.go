package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// metadataServer serves doc (with issuer = the server URL + issuerPath)
// at path; other paths are 404.
func metadataServer(t *testing.T, path, issuerPath string, edit func(m map[string]any, base string)) (*httptest.Server, *[]string) {
	t.Helper()
	var seen []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.Path)
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		iss := srv.URL + issuerPath
		m := map[string]any{
			"issuer": iss, "authorization_endpoint": iss + "/auth", "token_endpoint": iss + "/token",
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt"},
			"mtls_endpoint_aliases":                 map[string]string{"token_endpoint": iss + "/mtls/token"},
			"x_vendor":                              "kept in Raw",
		}
		if edit != nil {
			edit(m, srv.URL)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(m)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestDiscoverWellKnownURIs(t *testing.T) {
	tests := []struct {
		name, issuerPath, docPath string
		wantSeen                  []string
	}{
		{"RFC 8414 at the root", "", "/.well-known/oauth-authorization-server", []string{"/.well-known/oauth-authorization-server"}},
		{"RFC 8414 path inserted", "/tenant/a", "/.well-known/oauth-authorization-server/tenant/a", []string{"/.well-known/oauth-authorization-server/tenant/a"}},
		{"OIDC fallback", "", "/.well-known/openid-configuration",
			[]string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"}},
		{"OIDC fallback with a path", "/realms/x", "/realms/x/.well-known/openid-configuration",
			[]string{"/.well-known/oauth-authorization-server/realms/x", "/realms/x/.well-known/openid-configuration"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, seen := metadataServer(t, tt.docPath, tt.issuerPath, nil)
			m, err := Discover(context.Background(), srv.URL+tt.issuerPath, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(*seen, " "), strings.Join(tt.wantSeen, " "); got != want {
				t.Errorf("requests %q; want %q", got, want)
			}
			if got, want := m.TokenEndpoint, srv.URL+tt.issuerPath+"/token"; got != want {
				t.Errorf("token endpoint %q; want %q", got, want)
			}
			if !strings.Contains(string(m.Raw), "kept in Raw") {
				t.Errorf("Raw %s lacks the vendor member", m.Raw)
			}
			if got := m.mtlsURL("token_endpoint", m.TokenEndpoint); got != srv.URL+tt.issuerPath+"/mtls/token" {
				t.Errorf("mTLS alias %q", got)
			}
		})
	}
}

func TestDiscoverRefuses(t *testing.T) {
	const p = "/.well-known/oauth-authorization-server"
	tests := []struct {
		name    string
		edit    func(m map[string]any, base string)
		issuer  func(base string) string
		wantErr error
	}{
		{"another issuer", func(m map[string]any, base string) { m["issuer"] = "https://evil.example" }, nil, ErrIssuerMismatch},
		{"issuer with a trailing slash", func(m map[string]any, base string) { m["issuer"] = base + "/" }, nil, ErrIssuerMismatch},
		{"http authorization endpoint", func(m map[string]any, _ string) { m["authorization_endpoint"] = "http://idp.example/auth" }, nil, ErrInsecureURL},
		{"http token endpoint", func(m map[string]any, _ string) { m["token_endpoint"] = "http://idp.example/token" }, nil, ErrInsecureURL},
		{"http mTLS alias", func(m map[string]any, _ string) {
			m["mtls_endpoint_aliases"] = map[string]string{"token_endpoint": "http://idp.example/t"}
		}, nil, ErrInsecureURL},
		{"http issuer", nil, func(string) string { return "http://idp.example" }, ErrInsecureURL},
		{"redirect to another host", func(m map[string]any, _ string) {}, func(base string) string { return base + "/redir" }, ErrRedirect},
		{"oversized document", func(m map[string]any, _ string) { m["pad"] = strings.Repeat("x", maxDocumentBytes) }, nil, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := metadataServer(t, p, "", tt.edit)
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, srv.URL+p, http.StatusFound) // 127.0.0.1 vs localhost: another host
			}))
			defer other.Close()
			iss := srv.URL
			if tt.issuer != nil {
				iss = tt.issuer(strings.Replace(other.URL, "127.0.0.1", "localhost", 1))
			}
			_, err := Discover(context.Background(), iss, nil)
			var de *DiscoveryError
			if !errors.As(err, &de) || !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v; want a *DiscoveryError matching %v", err, tt.wantErr)
			}
			if len(err.Error()) > 600 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

func TestDiscoverNotFound(t *testing.T) {
	srv, _ := metadataServer(t, "/nowhere", "", nil)
	_, err := Discover(context.Background(), srv.URL, nil)
	var de *DiscoveryError
	if !errors.As(err, &de) || !strings.Contains(de.URL, "openid-configuration") {
		t.Fatalf("got %v; want a *DiscoveryError for the last URL tried", err)
	}
}

func TestMetadataEndpointAndFill(t *testing.T) {
	m := &Metadata{AuthorizationEndpoint: "https://a/auth", TokenEndpoint: "https://a/token",
		DeviceAuthorizationEndpoint: "https://a/device", RevocationEndpoint: "https://a/revoke",
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post"}}
	if got := m.Endpoint(); got.AuthStyle != oauth2.AuthStyleInParams || got.TokenURL != "https://a/token" || got.DeviceAuthURL != "https://a/device" {
		t.Errorf("Endpoint() = %+v", got)
	}
	c := &Config{Endpoint: oauth2.Endpoint{TokenURL: "https://pinned/token"}, Metadata: m}
	before := *c
	if got := c.endpointURL(endpointToken); got != "https://pinned/token" {
		t.Errorf("token URL = %q; want the pinned one kept", got)
	}
	if got := c.endpointURL(endpointAuthorize); got != "https://a/auth" {
		t.Errorf("authorization URL = %q; want the metadata's", got)
	}
	if got := c.endpointURL(endpointRevocation); got != "https://a/revoke" {
		t.Errorf("revocation URL = %q; want the metadata's", got)
	}
	if c.Endpoint != before.Endpoint || c.RevocationURL != "" {
		t.Errorf("the Config was modified: %+v", c)
	}
	c.Metadata = nil
	if got := c.endpointURL(endpointAuthorize); got != "" {
		t.Errorf("without metadata: %q", got)
	}
}

func TestChooseAuthMethod(t *testing.T) {
	tests := []struct {
		supported         []string
		assertion, secret bool
		want              authMethod
		wantAdvertised    bool
	}{
		{nil, true, true, authAssertion, true},
		{[]string{"private_key_jwt"}, true, false, authAssertion, true},
		{[]string{"client_secret_basic"}, true, true, authAssertion, false}, // never downgraded to the secret
		{nil, false, true, authAuto, true},
		{[]string{"client_secret_basic", "client_secret_post"}, false, true, authAuto, true},
		{[]string{"client_secret_basic"}, false, true, authBasic, true},
		{[]string{"client_secret_post", "private_key_jwt"}, false, true, authPost, true},
		{[]string{"client_secret_jwt"}, false, true, authSecretJWT, true},
		{[]string{"tls_client_auth"}, false, true, authAuto, false},
		{nil, false, false, authNone, true},
		{[]string{"client_secret_basic"}, false, false, authNone, false},
	}
	for _, tt := range tests {
		got, adv := chooseAuthMethod(tt.supported, tt.assertion, tt.secret)
		if got != tt.want || adv != tt.wantAdvertised {
			t.Errorf("chooseAuthMethod(%q, %v, %v) = %v, %v; want %v, %v", tt.supported, tt.assertion, tt.secret, got, adv, tt.want, tt.wantAdvertised)
		}
	}
}
