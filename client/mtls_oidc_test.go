package client

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/internal/testenv"
)

// mtlsClient returns an http.Client that trusts the test CA and presents
// the named certificate of testdata/oidc-provider/tls, and the SHA-256
// thumbprint of that certificate.
func mtlsClient(t *testing.T, name string) (*http.Client, string) {
	t.Helper()
	dir := filepath.Join("..", testenv.TLSDir)
	ca, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12,
		// Always present it: Go sends no certificate whose issuer is not among the server's
		// acceptable CAs, and a self-signed one never is.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}, base64.RawURLEncoding.EncodeToString(sum[:])
}

func mtlsPost(t *testing.T, hc *http.Client, rawURL string, v url.Values) (int, []byte) {
	t.Helper()
	resp, err := hc.Post(rawURL, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b
}

func TestOIDCProviderMTLS(t *testing.T) {
	m := opDiscover(t)
	tokenURL := m.mtlsURL("token_endpoint", "")
	introURL := m.mtlsURL("introspection_endpoint", "")
	if !strings.HasPrefix(tokenURL, "https://127.0.0.1:") || introURL == "" || !m.TLSClientCertificateBoundAccessTokens {
		t.Fatalf("mTLS metadata: aliases %v, bound %v", m.MTLSEndpointAliases, m.TLSClientCertificateBoundAccessTokens)
	}
	for _, tt := range []struct{ clientID, cert string }{
		{testenv.MTLSClientID, "client"},
		{testenv.MTLSSelfSignedClientID, "selfsigned"},
	} {
		t.Run(tt.clientID, func(t *testing.T) {
			hc, thumb := mtlsClient(t, tt.cert)
			v := url.Values{"grant_type": {"client_credentials"}, "client_id": {tt.clientID}, "scope": {"api:read"}}
			Resource(testenv.ResourceOpaque).setParam(v)
			st, raw := mtlsPost(t, hc, tokenURL, v)
			if st != http.StatusOK {
				t.Fatalf("token: HTTP %d %s", st, raw)
			}
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			_ = jsonUnmarshal(raw, &tok)
			st, raw = mtlsPost(t, hc, introURL, url.Values{"token": {tok.AccessToken}, "client_id": {tt.clientID}})
			in, err := parseIntrospection(raw)
			if st != http.StatusOK || err != nil {
				t.Fatalf("introspection: HTTP %d %s %v", st, raw, err)
			}
			cnf, _ := in.Extra["cnf"].(map[string]any)
			if !in.Active || cnf["x5t#S256"] != thumb {
				t.Errorf("introspection %+v; want active and bound to %s", in, thumb)
			}
		})
	}
	// The wrong certificate for the client is refused.
	hc, _ := mtlsClient(t, "selfsigned")
	if st, _ := mtlsPost(t, hc, tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {testenv.MTLSClientID}}); st != http.StatusUnauthorized {
		t.Errorf("self-signed certificate for the tls_client_auth client: HTTP %d; want 401", st)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
