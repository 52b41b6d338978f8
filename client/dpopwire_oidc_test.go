package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

// These tests run Config.DPoP and Config.MTLS end to end against
// oidc-provider (features.dPoP with nonces required, features.mTLS on a
// loopback TLS listener with the test CA of testdata/oidc-provider/tls).

// dpopOPConfig is a Config for oidc-provider's client id.
func dpopOPConfig(t *testing.T, id, secret, redirect, scope string) *Config {
	ep := testenv.EndpointsFor(testenv.OIDCProvider(t))
	return &Config{ClientID: id, ClientSecret: secret, RedirectURL: redirect, Scopes: strings.Fields(scope),
		Endpoint: oauth2.Endpoint{AuthURL: ep.Auth, TokenURL: ep.Token}}
}

func TestOIDCProviderDPoPClientCredentials(t *testing.T) {
	m := opDiscover(t)
	ct := &countingTransport{base: http.DefaultTransport}
	key := mustDPoPKey(t)
	conf := &Config{ClientID: testenv.SvcClientID, ClientSecret: testenv.SvcClientSecret, Scopes: []string{"api:read"},
		Endpoint: oauth2.Endpoint{TokenURL: m.TokenEndpoint}, Params: map[string][]string{"resource": {testenv.ResourceOpaque}},
		HTTPClient: &http.Client{Transport: ct}, DPoP: key}
	ctx := context.Background()
	tok, err := conf.ClientCredentialsToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Type() != "DPoP" {
		t.Fatalf("token type %q; want DPoP", tok.Type())
	}
	if got := ct.n.Load(); got != 2 {
		t.Errorf("%d token requests; want 2 (use_dpop_nonce, then the resend)", got)
	}
	// The provider binds the token to the key: a resource server sees
	// cnf.jkt in the introspection.
	in, err := svcConfig(m).Introspect(ctx, tok.AccessToken, "access_token")
	if err != nil {
		t.Fatal(err)
	}
	cnf, _ := in.Extra["cnf"].(map[string]any)
	if !in.Active || cnf["jkt"] != key.Thumbprint() {
		t.Errorf("introspection %+v; want active with cnf.jkt %s", in, key.Thumbprint())
	}
	// The remembered nonce serves the next request at once (the provider's
	// nonces last a while).
	if _, err := conf.ClientCredentialsToken(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ct.n.Load(); got != 3 {
		t.Errorf("%d token requests in all; want 3", got)
	}

	// Through a source and a Transport: a local resource server checks, as
	// a real one would, each proof's signature, htm, htu, ath and jti, and
	// that its key is the token's (cnf.jkt).
	var verifier oauth2test.DPoPVerifier
	var bad atomic.Int32
	rs := newResource(t, func(w http.ResponseWriter, r *http.Request) {
		scheme, at := splitAuth(r.Header.Get("Authorization"))
		jkt, err := verifier.Verify(r, at, "", time.Now())
		if scheme != "DPoP" || err != nil || jkt != key.Thumbprint() {
			bad.Add(1)
			w.WriteHeader(401)
		}
	})
	hc := tokensource.NewClient(conf.ClientCredentialsSource(nil))
	for range 3 {
		resp, err := hc.Get(rs + "/v1/items?page=2")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if bad.Load() != 0 {
		t.Errorf("%d resource requests refused; want 0", bad.Load())
	}
}

func TestOIDCProviderDPoPCodeAndRefresh(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct{ name, id, secret, redirect, scope string }{
		{"confidential", testenv.AppClientID, testenv.AppClientSecret, testenv.AppRedirectURI, testenv.AppScope},
		{"public", testenv.CLIClientID, "", testenv.CLIRedirectURIPort(53124), testenv.CLIScope},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conf := dpopOPConfig(t, tt.id, tt.secret, tt.redirect, tt.scope)
			key := mustDPoPKey(t)
			conf.DPoP = key
			verifier := oauth2.GenerateVerifier()
			cb, err := testenv.Login(ctx, conf.AuthCodeURL("s", S256Challenge(verifier)), tt.redirect, "alice")
			if err != nil {
				t.Fatal(err)
			}
			code, err := ParseCallback(cb.String(), "s")
			if err != nil {
				t.Fatal(err)
			}
			tok, err := conf.Exchange(ctx, code, Verifier(verifier))
			if err != nil {
				t.Fatal(err)
			}
			if tok.Type() != "DPoP" || tok.RefreshToken == "" {
				t.Fatalf("exchange: type %q, refresh token %v; want DPoP with one", tok.Type(), tok.RefreshToken != "")
			}
			if tt.name == "public" {
				// The public client's refresh token is bound to the key.
				other := dpopOPConfig(t, tt.id, tt.secret, tt.redirect, tt.scope)
				other.DPoP = mustDPoPKey(t)
				var re *oauth2.RetrieveError
				if _, err := other.Refresh(ctx, tok.RefreshToken); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" && re.ErrorCode != "invalid_dpop_proof" {
					t.Fatalf("refresh with another key: got %v; want it refused", err)
				}
			}
			tok2, err := conf.Refresh(ctx, tok.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if tok2.Type() != "DPoP" || tok2.AccessToken == tok.AccessToken {
				t.Errorf("refresh: type %q; want a new DPoP token", tok2.Type())
			}
		})
	}
}

func TestOIDCProviderMTLSConfig(t *testing.T) {
	m := opDiscover(t)
	for _, tt := range []struct{ clientID, cert string }{
		{testenv.MTLSClientID, "client"},
		{testenv.MTLSSelfSignedClientID, "selfsigned"},
	} {
		t.Run(tt.clientID, func(t *testing.T) {
			hc, thumb := mtlsClient(t, tt.cert)
			// The token endpoint is the metadata's mTLS alias.
			conf := &Config{ClientID: tt.clientID, MTLS: true, HTTPClient: hc, Scopes: []string{"api:read"}, Metadata: m,
				Params: map[string][]string{"resource": {testenv.ResourceOpaque}}}
			tok, err := conf.ClientCredentialsToken(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			in, err := svcConfig(m).Introspect(context.Background(), tok.AccessToken, "access_token")
			if err != nil {
				t.Fatal(err)
			}
			cnf, _ := in.Extra["cnf"].(map[string]any)
			if !in.Active || cnf["x5t#S256"] != thumb {
				t.Errorf("introspection %+v; want bound to %s", in, thumb)
			}
		})
	}
	// A certificate the provider refuses for the client: a typed error.
	hc, _ := mtlsClient(t, "selfsigned")
	conf := &Config{ClientID: testenv.MTLSClientID, MTLS: true, HTTPClient: hc, Metadata: m}
	var re *oauth2.RetrieveError
	if _, err := conf.ClientCredentialsToken(context.Background()); !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Errorf("wrong certificate: got %v; want invalid_client", err)
	}
}

// newResource starts a resource server on loopback and returns its URL.
func newResource(t *testing.T, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func splitAuth(h string) (scheme, value string) {
	scheme, value, _ = strings.Cut(h, " ")
	return scheme, value
}
