package client

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache"
	"github.com/tokenward/tokenward/internal/testca"
	"github.com/tokenward/tokenward/oauth2test"
	"github.com/tokenward/tokenward/tokensource"
)

func mtlsServer(t *testing.T, ca *testca.CA, self tls.Certificate) *oauth2test.Server {
	return oauth2test.NewServer(t, &oauth2test.Options{
		ClientCAs: ca.Pool(),
		Clients: []oauth2test.Client{
			{ID: "mtls-client", AuthStyle: oauth2test.AuthTLS, JWTAccessTokens: true},
			{ID: "self-signed", AuthStyle: oauth2test.AuthSelfSignedTLS, TLSCertificate: self.Certificate[0]},
		},
	})
}

func x5t(cert tls.Certificate) string {
	sum := sha256.Sum256(cert.Certificate[0])
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestMTLSClientAuthAndBoundTokens(t *testing.T) {
	ca := testca.New(t, "tokenward test CA")
	self := testca.SelfSigned(t, "self-signed")
	srv := mtlsServer(t, ca, self)
	cert := ca.Client(t, "mtls-client")
	conf := &Config{ClientID: "mtls-client", ClientSecret: "never-sent", Endpoint: srv.Endpoint(), MTLS: true, HTTPClient: srv.MTLSClient(cert)}
	ctx := context.Background()
	m, err := Discover(ctx, srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if m.mtlsURL("token_endpoint", "") != srv.TokenURL() || !m.TLSClientCertificateBoundAccessTokens {
		t.Errorf("metadata aliases %v, bound %v; want the token endpoint and true", m.MTLSEndpointAliases, m.TLSClientCertificateBoundAccessTokens)
	}
	conf.Endpoint.TokenURL = m.mtlsURL("token_endpoint", m.TokenEndpoint)
	tok, err := conf.ClientCredentialsToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := srv.LastTokenRequest()
	if last.UsedBasic || last.Params["client_secret"] != "" || last.Params["client_id"] != "mtls-client" {
		t.Errorf("token request: basic %v, secret sent %v, client_id %q; want client_id only", last.UsedBasic, last.Params["client_secret"] != "", last.Params["client_id"])
	}
	var claims struct {
		Cnf map[string]string `json:"cnf"`
	}
	if !jwtClaims(tok.AccessToken, 0, &claims) || claims.Cnf["x5t#S256"] != x5t(cert) {
		t.Errorf("access token cnf %v; want x5t#S256 %s", claims.Cnf, x5t(cert))
	}

	// The bound token works through a Transport presenting the same
	// certificate, and not through one presenting another or none.
	get := func(base http.RoundTripper) int {
		hc := &http.Client{Transport: &tokensource.Transport{Source: tokensource.FromOAuth2(oauth2.StaticTokenSource(tok)), Base: base}}
		resp, err := hc.Get(srv.ResourceURL())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(conf.HTTPClient.Transport); got != 200 {
		t.Errorf("same certificate: status %d; want 200", got)
	}
	if got := get(srv.MTLSClient(ca.Client(t, "mtls-client")).Transport); got != 401 {
		t.Errorf("another certificate: status %d; want 401", got)
	}
	if got := get(srv.Client().Transport); got != 401 {
		t.Errorf("no certificate: status %d; want 401", got)
	}
}

func TestMTLSSelfSignedAndCallback(t *testing.T) {
	ca := testca.New(t, "tokenward test CA")
	self := testca.SelfSigned(t, "self-signed")
	srv := mtlsServer(t, ca, self)
	// The certificate comes from a GetClientCertificate callback, as a
	// hardware-backed key's would.
	hc := srv.MTLSClient(tls.Certificate{})
	tr := hc.Transport.(*http.Transport)
	tr.TLSClientConfig.Certificates = nil
	calls := 0
	tr.TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		calls++
		return &self, nil
	}
	conf := &Config{ClientID: "self-signed", Endpoint: srv.Endpoint(), MTLS: true, HTTPClient: hc}
	if _, err := conf.ClientCredentialsToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Error("GetClientCertificate was never called")
	}
}

func TestMTLSCertificateRejected(t *testing.T) {
	ca := testca.New(t, "tokenward test CA")
	self := testca.SelfSigned(t, "self-signed")
	srv := mtlsServer(t, ca, self)
	other := testca.New(t, "another CA")
	for name, cert := range map[string]tls.Certificate{
		"untrusted CA":  other.Client(t, "mtls-client"),
		"wrong subject": ca.Client(t, "someone-else"),
		"none":          {},
	} {
		t.Run(name, func(t *testing.T) {
			conf := &Config{ClientID: "mtls-client", ClientSecret: "never-sent", Endpoint: srv.Endpoint(), MTLS: true, HTTPClient: srv.MTLSClient(cert)}
			_, err := conf.ClientCredentialsToken(context.Background())
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
				t.Fatalf("got %v; want a RetrieveError invalid_client", err)
			}
		})
	}
}

func TestMTLSSourceKeepsCertificateBinding(t *testing.T) {
	ca := testca.New(t, "tokenward test CA")
	srv := mtlsServer(t, ca, testca.SelfSigned(t, "self-signed"))
	cert := ca.Client(t, "mtls-client")
	conf := &Config{ClientID: "mtls-client", Endpoint: srv.Endpoint(), MTLS: true, HTTPClient: srv.MTLSClient(cert)}
	if got := conf.bound(nil); got == nil || got.CertThumbprint != x5t(cert) {
		t.Fatalf("bound options %+v; want CertThumbprint %s", got, x5t(cert))
	}
	// A cached token bound to another certificate is not used.
	mem := &cache.Memory{}
	ctx := context.Background()
	tok1, err := conf.ClientCredentialsSource(&tokensource.Options{Cache: mem}).TokenContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other := &Config{ClientID: "mtls-client", Endpoint: srv.Endpoint(), MTLS: true, HTTPClient: srv.MTLSClient(ca.Client(t, "mtls-client"))}
	tok2, err := other.ClientCredentialsSource(&tokensource.Options{Cache: mem}).TokenContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.AccessToken == tok1.AccessToken {
		t.Error("a token bound to another certificate was taken from the cache")
	}
	tok3, _ := conf.ClientCredentialsSource(&tokensource.Options{Cache: mem}).TokenContext(ctx)
	if tok3 == nil || tok3.AccessToken == tok2.AccessToken {
		t.Error("a token bound to the second certificate was used with the first")
	}
}

func TestMTLSHandshakeFailureIsTransportError(t *testing.T) {
	ca := testca.New(t, "tokenward test CA")
	srv := mtlsServer(t, ca, testca.SelfSigned(t, "self-signed"))
	cert := ca.Client(t, "mtls-client")
	// A client that does not trust the server's certificate.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}}
	conf := &Config{ClientID: "mtls-client", Endpoint: srv.Endpoint(), MTLS: true, HTTPClient: hc}
	_, err := conf.ClientCredentialsToken(context.Background())
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("got %v; want a *TransportError", err)
	}
}

func TestMTLSEndpointAliases(t *testing.T) {
	m := &Metadata{TokenEndpoint: "https://as/token", RevocationEndpoint: "https://as/revoke", AuthorizationEndpoint: "https://as/authorize",
		MTLSEndpointAliases: map[string]string{"token_endpoint": "https://mtls.as/token", "authorization_endpoint": "https://mtls.as/authorize"}}
	tests := []struct {
		name string
		conf Config
		e    endpoint
		want string
	}{
		{"token via alias", Config{MTLS: true, Metadata: m}, endpointToken, "https://mtls.as/token"},
		{"no alias: plain", Config{MTLS: true, Metadata: m}, endpointRevocation, "https://as/revoke"},
		{"authorization never aliased", Config{MTLS: true, Metadata: m}, endpointAuthorize, "https://as/authorize"},
		{"not mTLS", Config{Metadata: m}, endpointToken, "https://as/token"},
		{"own URL wins", Config{MTLS: true, Metadata: m, Endpoint: oauth2.Endpoint{TokenURL: "https://own/token"}}, endpointToken, "https://own/token"},
	}
	for _, tt := range tests {
		if got := tt.conf.endpointURL(tt.e); got != tt.want {
			t.Errorf("%s: got %q; want %q", tt.name, got, tt.want)
		}
	}
}
