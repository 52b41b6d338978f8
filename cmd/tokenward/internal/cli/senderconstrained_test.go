package cli

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/oauth2test"
)

// TestDPoPOAuth2Test: a --dpop profile gets DPoP-bound tokens from a
// server that requires DPoP and nonces, and 'tokenward curl' sends them
// with a fresh proof that the resource accepts.
func TestDPoPOAuth2Test(t *testing.T) {
	srv := oauth2test.NewServer(t, &oauth2test.Options{RequireDPoP: true, DPoPNonce: true, Clients: []oauth2test.Client{
		{ID: "d", Secret: "d-secret-5c1f", Grants: []string{oauth2test.GrantClientCredentials}},
	}})
	e := newTestEnv(t)
	t.Setenv("D_SECRET", "d-secret-5c1f")
	e.mustRun("", "profile", "add", "d", "--token-url", srv.TokenURL(), "--grant", "client_credentials", "--client-id", "d",
		"--client-secret-env", "D_SECRET", "--dpop")
	out := e.mustRun("", "token", "-p", "d", "--json")
	if !strings.Contains(out, `"token_type": "DPoP"`) {
		t.Fatalf("token: %s", out)
	}
	for range 2 { // a fresh proof each time; the second uses the remembered nonce
		if out := e.mustRun("", "curl", "-p", "d", "-f", srv.ResourceURL()); out == "" {
			t.Error("curl: empty body")
		}
	}
	// --verbose logs the exchange without the token or the proof (a JWT:
	// its header starts with eyJ).
	code, _, verbose := e.run("", "curl", "-p", "d", "-f", "-v", srv.ResourceURL())
	if code != 0 || !strings.Contains(verbose, "GET") || strings.Contains(verbose, "eyJ") {
		t.Errorf("curl -v: exit %d, a proof or token in the log:\n%s", code, verbose)
	}
	code, _, errs := e.run("", "header", "-p", "d")
	if code != 0 || !strings.Contains(errs, "needs a fresh proof") {
		t.Errorf("header for a DPoP token: exit %d, %q", code, errs)
	}
	if n := srv.ResourceRequests(); n < 2 {
		t.Errorf("%d resource requests", n)
	}
	// Without its key the profile cannot use its DPoP token.
	e.store.Delete(t.Context(), dpopKeyKey("d"))
	code, _, errs = e.run("", "curl", "-p", "d", srv.ResourceURL())
	if code != ExitConfig || !strings.Contains(errs, "DPoP key is missing") {
		t.Errorf("no key: exit %d, %q", code, errs)
	}
}

// TestDPoPOIDCProvider: oidc-provider (nonces required) binds the token
// to the profile's stored key; a resource server checks each proof.
func TestDPoPOIDCProvider(t *testing.T) {
	iss := testenv.OIDCProvider(t)
	e := newTestEnv(t)
	t.Setenv("SVC_SECRET", testenv.SvcClientSecret)
	e.mustRun("", "profile", "add", "d", "--issuer", iss, "--grant", "client_credentials", "--client-id", testenv.SvcClientID,
		"--client-secret-env", "SVC_SECRET", "--scope", "api:read", "--param", "resource="+testenv.ResourceOpaque, "--dpop")
	out := e.mustRun("", "token", "-p", "d", "--json")
	if !strings.Contains(out, `"token_type": "DPoP"`) {
		t.Fatalf("token: %s", out)
	}
	k, err := (&App{Store: e.store}).dpopKey(t.Context(), "d", e.loadProfile("d"))
	if err != nil {
		t.Fatal(err)
	}
	// The provider bound the token to the stored key (cnf.jkt).
	e.mustRun("", "profile", "add", "svc", "--issuer", iss, "--grant", "client_credentials", "--client-id", testenv.SvcClientID,
		"--client-secret-env", "SVC_SECRET")
	tok := strings.TrimSpace(e.mustRun("", "token", "-p", "d"))
	var in map[string]any
	json.Unmarshal([]byte(e.mustRun(tok+"\n", "introspect", "-p", "svc", "--json")), &in)
	if cnf, _ := in["cnf"].(map[string]any); in["active"] != true || cnf["jkt"] != k.Thumbprint() {
		t.Errorf("introspection %v; want cnf.jkt %s", in, k.Thumbprint())
	}
	var verifier oauth2test.DPoPVerifier
	var good atomic.Int32
	rs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, at, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if jkt, err := verifier.Verify(r, at, "", time.Now()); scheme != "DPoP" || err != nil || jkt != k.Thumbprint() {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		good.Add(1)
	}))
	t.Cleanup(rs.Close)
	for range 2 {
		e.mustRun("", "curl", "-p", "d", "-f", rs.URL+"/v1/items?page=2")
	}
	if good.Load() != 2 {
		t.Errorf("%d proofs accepted; want 2", good.Load())
	}
}

// TestMTLSOIDCProvider: profiles with --client-cert and --client-key
// (a CA-issued and a self-signed certificate) authenticate at the
// provider's mTLS aliases and get certificate-bound tokens.
func TestMTLSOIDCProvider(t *testing.T) {
	iss := testenv.OIDCProvider(t)
	dir := filepath.Join(repoRoot(t), testenv.TLSDir)
	ca, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	// A resource server that, as RFC 8705 §3 says, takes a bound token
	// only with the certificate it is bound to.
	var presented atomic.Value
	rs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 1 && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
			presented.Store(base64.RawURLEncoding.EncodeToString(sum[:]))
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	rs.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	rs.StartTLS()
	t.Cleanup(rs.Close)
	e := newTestEnv(t)
	e.roots = x509.NewCertPool()
	e.roots.AppendCertsFromPEM(ca)
	e.roots.AddCert(rs.Certificate())
	t.Setenv("SVC_SECRET", testenv.SvcClientSecret)
	e.mustRun("", "profile", "add", "svc", "--issuer", iss, "--grant", "client_credentials", "--client-id", testenv.SvcClientID,
		"--client-secret-env", "SVC_SECRET")
	for _, tt := range []struct{ client, cert string }{{testenv.MTLSClientID, "client"}, {testenv.MTLSSelfSignedClientID, "selfsigned"}} {
		key, _ := os.ReadFile(filepath.Join(dir, tt.cert+".key"))
		keyPath := filepath.Join(t.TempDir(), "key.pem")
		os.WriteFile(keyPath, key, 0o600)
		e.mustRun("", "profile", "add", tt.client, "--issuer", iss, "--grant", "client_credentials", "--client-id", tt.client,
			"--client-cert", filepath.Join(dir, tt.cert+".pem"), "--client-key", keyPath, "--scope", "api:read",
			"--param", "resource="+testenv.ResourceOpaque)
		out := e.mustRun("", "token", "-p", tt.client, "--json")
		var ti map[string]any
		if err := json.Unmarshal([]byte(out), &ti); err != nil || ti["token_type"] != "Bearer" {
			t.Errorf("%s: token %s (%v)", tt.client, out, err)
		}
		if p := e.loadProfile(tt.client); p.HasSecret {
			t.Errorf("%s: a secret was stored", tt.client)
		}
		// The token is bound to the certificate (cnf x5t#S256).
		tok := strings.TrimSpace(e.mustRun("", "token", "-p", tt.client))
		var in map[string]any
		json.Unmarshal([]byte(e.mustRun(tok+"\n", "introspect", "-p", "svc", "--json")), &in)
		certPEM, _ := os.ReadFile(filepath.Join(dir, tt.cert+".pem"))
		block, _ := pem.Decode(certPEM)
		sum := sha256.Sum256(block.Bytes)
		if cnf, _ := in["cnf"].(map[string]any); in["active"] != true || cnf["x5t#S256"] != base64.RawURLEncoding.EncodeToString(sum[:]) {
			t.Errorf("%s: introspection %v; want bound to the certificate", tt.client, in)
		}
		// 'tokenward curl' presents the certificate with the token.
		e.mustRun("", "curl", "-p", tt.client, "-f", rs.URL+"/v1/items")
		if got := presented.Load(); got != base64.RawURLEncoding.EncodeToString(sum[:]) {
			t.Errorf("%s: the resource saw certificate %v", tt.client, got)
		}
	}
	// A certificate the provider does not know for the client: refused.
	key, _ := os.ReadFile(filepath.Join(dir, "selfsigned.key"))
	keyPath := filepath.Join(t.TempDir(), "key.pem")
	os.WriteFile(keyPath, key, 0o600)
	e.mustRun("", "profile", "add", "wrong", "--issuer", iss, "--grant", "client_credentials", "--client-id", testenv.MTLSClientID,
		"--client-cert", filepath.Join(dir, "selfsigned.pem"), "--client-key", keyPath)
	if code, _, errs := e.run("", "token", "-p", "wrong"); code != ExitAuth || !strings.Contains(errs, "invalid_client") {
		t.Errorf("wrong certificate: exit %d, %q", code, errs)
	}
}
