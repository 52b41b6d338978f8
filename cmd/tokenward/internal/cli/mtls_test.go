package cli

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/internal/testca"
)

// selfSignedCert writes a self-signed client certificate (testca) and
// its key (mode 0600) and returns their paths and the certificate.
func selfSignedCert(t *testing.T) (certPath, keyPath string, cert *x509.Certificate) {
	t.Helper()
	tc := testca.SelfSigned(t, "tokenward-cli-test")
	dir := t.TempDir()
	certPath = filepath.Join(dir, "client.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tc.Certificate[0]}), 0o644)
	keyPath = writeKey(t, "PRIVATE KEY", mustPKCS8(t, tc.PrivateKey), 0o600)
	return certPath, keyPath, tc.Leaf
}

// TestProfileTransportPresentsTheClientCertificate: a profile with
// --client-cert and --client-key presents that certificate, a
// self-signed one included (sent through GetClientCertificate, which
// does not depend on the server's list of acceptable CAs).
func TestProfileTransportPresentsTheClientCertificate(t *testing.T) {
	certPath, keyPath, cert := selfSignedCert(t)
	var got []*x509.Certificate
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.TLS.PeerCertificates
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	e := newTestEnv(t)
	e.mustRun("", "profile", "add", "m", "--token-url", srv.URL+"/token", "--grant", "client_credentials", "--client-id", "mtls",
		"--client-cert", certPath, "--client-key", keyPath)
	p := e.loadProfile("m")
	if p.ClientCert != certPath || p.ClientKey != keyPath || p.HasSecret {
		t.Fatalf("profile: %+v", p)
	}
	rt, err := (&App{}).profileTransport("m", p)
	if err != nil {
		t.Fatal(err)
	}
	tr := rt.(*http.Transport)
	tr.TLSClientConfig.RootCAs = x509.NewCertPool()
	tr.TLSClientConfig.RootCAs.AddCert(srv.Certificate())
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(got) != 1 || !got[0].Equal(cert) {
		t.Errorf("server saw %d certificates; want the profile's", len(got))
	}
	// A key that does not match the certificate is refused at profile add.
	_, otherKey, _ := selfSignedCert(t)
	code, _, errs := e.run("", "profile", "add", "m2", "--token-url", srv.URL+"/token", "--grant", "client_credentials",
		"--client-id", "mtls", "--client-cert", certPath, "--client-key", otherKey)
	if code != ExitConfig || !strings.Contains(errs, "does not match") {
		t.Errorf("mismatched key: exit %d, %q", code, errs)
	}
}
