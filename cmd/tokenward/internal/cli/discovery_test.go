package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProfileAddRefusesPlainHTTPIssuer(t *testing.T) {
	e := newTestEnv(t)
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	t.Cleanup(srv.Close)
	for _, issuer := range []string{"http://as.example.com", "http://as.example.com:8080/realms/x", "ftp://as.example.com"} {
		code, _, errs := e.run("", "profile", "add", "x", "--issuer", issuer, "--client-id", "c", "--no-client-secret")
		if code != ExitConfig || !strings.Contains(errs, "issuer") {
			t.Errorf("--issuer %s: exit %d, %q; want a config error", issuer, code, errs)
		}
	}
	if hits != 0 {
		t.Errorf("%d requests before the issuer was refused", hits)
	}
	// Loopback may be plain http (RFC 8252 §8.3).
	e.mustRun("", "profile", "add", "local", "--issuer", srv.URL, "--client-id", "c", "--no-client-secret")
}

// metadataServer serves discovery documents: the issuer is the server's
// own URL, and edit changes the document before it is sent.
func metadataServer(t *testing.T, edit func(md map[string]string, srvURL string)) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		md := map[string]string{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/authorize",
			"token_endpoint": srv.URL + "/token", "revocation_endpoint": srv.URL + "/revoke"}
		edit(md, srv.URL)
		if to := md["redirect"]; to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		json.NewEncoder(w).Encode(md)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDiscoveryRefusesInsecureEndpointsAndRedirects(t *testing.T) {
	hc := &http.Client{}
	discover := func(ctx context.Context, hc *http.Client, issuer string) (*Profile, error) {
		p, _, err := resolveEndpoints(ctx, hc, &Profile{Issuer: issuer})
		return p, err
	}
	ok := metadataServer(t, func(map[string]string, string) {})
	if _, err := discover(context.Background(), hc, ok.URL); err != nil {
		t.Fatalf("a loopback issuer with loopback endpoints: %v", err)
	}
	for name, edit := range map[string]func(map[string]string, string){
		"http authorization_endpoint": func(md map[string]string, _ string) {
			md["authorization_endpoint"] = "http://evil.example.com/authorize"
		},
		"javascript authorization_endpoint": func(md map[string]string, _ string) {
			md["authorization_endpoint"] = "javascript:alert(1)"
		},
		"http token_endpoint":      func(md map[string]string, _ string) { md["token_endpoint"] = "http://evil.example.com/token" },
		"http revocation_endpoint": func(md map[string]string, _ string) { md["revocation_endpoint"] = "http://evil.example.com/r" },
		"redirect to another host": func(md map[string]string, u string) {
			md["redirect"] = strings.Replace(u, "127.0.0.1", "localhost", 1) + "/.well-known/openid-configuration"
		},
		// The CLI's own discovery compared issuers without a trailing
		// slash; the library's requires the exact string (RFC 8414 §3.3).
		"issuer with a trailing slash": func(md map[string]string, u string) { md["issuer"] = u + "/" },
		"introspection_endpoint over http": func(md map[string]string, _ string) {
			md["introspection_endpoint"] = "http://evil.example.com/introspect"
		},
	} {
		srv := metadataServer(t, edit)
		if _, err := discover(context.Background(), hc, srv.URL); err == nil {
			t.Errorf("%s: discovery accepted it", name)
		}
	}
	if _, err := discover(context.Background(), hc, "http://as.example.com"); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("plain http issuer: %v", err)
	}
}

// TestDiscoveryUsesMTLSAliases: a profile with a TLS client certificate
// uses the mtls_endpoint_aliases (RFC 8705 §5); others the plain URLs.
func TestDiscoveryUsesMTLSAliases(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "token_endpoint": srv.URL + "/token",
			"introspection_endpoint": srv.URL + "/introspect",
			"mtls_endpoint_aliases":  map[string]string{"token_endpoint": "https://mtls.example.com/token"}})
	}))
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		cert, want string
	}{{"", srv.URL + "/token"}, {"/etc/client.pem", "https://mtls.example.com/token"}} {
		p, _, err := resolveEndpoints(t.Context(), srv.Client(), &Profile{Issuer: srv.URL, ClientCert: tt.cert})
		if err != nil {
			t.Fatal(err)
		}
		if p.TokenURL != tt.want || p.IntrospectionURL != srv.URL+"/introspect" {
			t.Errorf("cert %q: token URL %s, introspection %s; want %s", tt.cert, p.TokenURL, p.IntrospectionURL, tt.want)
		}
	}
}
