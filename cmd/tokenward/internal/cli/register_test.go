package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/oauth2test"
)

// checkRegistered checks a profile made by 'tokenward register': the
// client ID the server issued, its secret and registration access token
// in the store and nowhere in the output or the config file; then the
// profile gets a token.
func checkRegistered(t *testing.T, e *testEnv, name, out string) {
	t.Helper()
	p := e.loadProfile(name)
	if p.ClientID == "" || p.ClientID == "registering" || !p.HasSecret || p.RegistrationClientURI == "" {
		t.Fatalf("registered profile: %+v", p)
	}
	secret, _ := e.store.Load(t.Context(), secretKey(name))
	regTok, _ := e.store.Load(t.Context(), registrationTokenKey(name))
	if len(secret) == 0 || len(regTok) == 0 {
		t.Fatalf("store: secret %d bytes, registration token %d bytes", len(secret), len(regTok))
	}
	if !strings.Contains(out, p.ClientID) {
		t.Errorf("register output %q does not name the client", out)
	}
	cfg, _ := os.ReadFile(e.cfg)
	show := e.mustRun("", "profile", "show", name)
	for what, text := range map[string]string{"output": out, "config file": string(cfg), "profile show": show} {
		for _, s := range []string{string(secret), string(regTok)} {
			if strings.Contains(text, s) {
				t.Errorf("a registration secret is in the %s", what)
			}
		}
	}
	if tok := strings.TrimSpace(e.mustRun("", "token", "-p", name)); tok == "" {
		t.Error("no token for the registered client")
	}
	e.mustRun("", "profile", "remove", name)
	for _, k := range profileStoreKeys(name) {
		if v, _ := e.store.Load(t.Context(), k); v != nil {
			t.Errorf("profile remove left %s", k)
		}
	}
}

func TestRegisterOAuth2Test(t *testing.T) {
	srv := oauth2test.NewServer(t, nil)
	e := newTestEnv(t)
	code, out, verbose := e.run("", "register", "reg", "--registration-url", srv.RegistrationURL(), "--grant", "client_credentials",
		"--token-url", srv.TokenURL(), "--scope", "read", "--client-name", "cli test", "--verbose")
	if code != 0 || !strings.Contains(verbose, "POST") {
		t.Fatalf("register --verbose: exit %d, %s", code, verbose)
	}
	// The verbose log shows the exchange with both secrets redacted.
	secret, _ := e.store.Load(t.Context(), secretKey("reg"))
	regTok, _ := e.store.Load(t.Context(), registrationTokenKey("reg"))
	if strings.Contains(verbose, string(secret)) || strings.Contains(verbose, string(regTok)) {
		t.Errorf("--verbose logged a registration secret:\n%s", verbose)
	}
	checkRegistered(t, e, "reg", out)

	// By issuer: the registration endpoint is discovered.
	out = e.mustRun("", "register", "byissuer", "--issuer", srv.URL, "--grant", "client_credentials")
	checkRegistered(t, e, "byissuer", out)

	// A refused registration, an http URL and an existing profile.
	e.mustRun("", "profile", "add", "taken", "--token-url", srv.TokenURL(), "--grant", "client_credentials", "--client-id", "x", "--client-secret-env", "HOME")
	for name, c := range map[string]struct {
		args []string
		code int
		want string
	}{
		"refused":      {[]string{"fresh", "--registration-url", srv.RegistrationURL(), "--grant", "client_credentials", "--token-url", srv.TokenURL(), "--auth-method", "tls_client_auth"}, ExitAuth, "invalid_client_metadata"},
		"http":         {[]string{"fresh", "--registration-url", "http://as.example.com/reg", "--grant", "client_credentials", "--token-url", srv.TokenURL()}, ExitConfig, "plain http"},
		"no URL":       {[]string{"fresh", "--grant", "client_credentials", "--token-url", srv.TokenURL()}, ExitUsage, "--registration-url"},
		"exists":       {[]string{"taken", "--registration-url", srv.RegistrationURL(), "--grant", "client_credentials", "--token-url", srv.TokenURL()}, ExitConfig, "profile exists"},
		"no client ID": {[]string{"fresh", "--client-id", "x"}, ExitUsage, "unknown flag"},
	} {
		code, _, errs := e.run("", append([]string{"register"}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, %q; want exit %d with %q", name, code, errs, c.code, c.want)
		}
	}
}

func TestRegisterOIDCProvider(t *testing.T) {
	iss := testenv.OIDCProvider(t)
	e := newTestEnv(t)
	out := e.mustRun("", "register", "dyn", "--issuer", iss, "--grant", "client_credentials", "--scope", "api:read")
	checkRegistered(t, e, "dyn", out)
}

// TestRegisterPrivateKeyJWKS: a profile with --private-key registers for
// private_key_jwt with its public key (kid, alg) and never the private
// half.
func TestRegisterPrivateKeyJWKS(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	path := writeKey(t, "PRIVATE KEY", mustPKCS8(t, ec), 0o600)
	md, err := registrationMetadata(&Profile{Grant: GrantClientCredentials, PrivateKey: path, KeyID: "k9"}, &registerFlags{})
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(md.JWKS, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks %s: %v", md.JWKS, err)
	}
	k := set.Keys[0]
	if md.TokenEndpointAuthMethod != "private_key_jwt" || k["kid"] != "k9" || k["alg"] != "ES384" || k["kty"] != "EC" || k["crv"] != "P-384" {
		t.Errorf("metadata %s, jwks %s", md.TokenEndpointAuthMethod, md.JWKS)
	}
	if _, ok := k["d"]; ok {
		t.Error("the private key is in the registration")
	}
}
