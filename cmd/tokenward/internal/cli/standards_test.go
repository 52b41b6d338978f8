package cli

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/oauth2test"
)

// signAssertion signs an ES256 client assertion for clientID with aud,
// as a workload identity system would mint it.
func signAssertion(t *testing.T, key *ecdsa.PrivateKey, clientID, aud string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{"iss": clientID, "sub": clientID, "aud": aud, "jti": rand.Text(),
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
	input := enc.EncodeToString([]byte(`{"alg":"ES256","typ":"JWT"}`)) + "." + enc.EncodeToString(claims)
	h := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + enc.EncodeToString(sig)
}

// standardsServer is an oauth2test server with a private_key_jwt
// client, a token exchange client and a secret client.
func standardsServer(t *testing.T, pub crypto.PublicKey) *oauth2test.Server {
	return oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{
		{ID: "pk", AuthStyle: oauth2test.AuthPrivateKeyJWT, PublicKey: pub, Grants: []string{oauth2test.GrantClientCredentials}},
		{ID: "svc", Secret: "svc-secret-3e7a", Grants: []string{oauth2test.GrantClientCredentials}, TokenLifetime: 10 * time.Minute},
		{ID: "tx", Secret: "tx-secret-91bd", Grants: []string{oauth2test.GrantTokenExchange}},
	}})
}

// TestStandardsOAuth2Test runs private_key_jwt, an assertion file, token
// exchange (subject from a profile and from a file) and introspection
// against oauth2test with --verbose, and checks that no key material,
// assertion or token reaches stderr, the config file or an error.
func TestStandardsOAuth2Test(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keyPath := writeKey(t, "PRIVATE KEY", mustPKCS8(t, ec), 0o600)
	keyPEM, _ := os.ReadFile(keyPath)
	srv := standardsServer(t, &ec.PublicKey)
	e := newTestEnv(t)
	t.Setenv("SVC_SECRET", "svc-secret-3e7a")
	t.Setenv("TX_SECRET", "tx-secret-91bd")
	var stderr strings.Builder
	run := func(stdin string, args ...string) string {
		t.Helper()
		code, out, errs := e.run(stdin, append(args, "--verbose")...)
		stderr.WriteString(errs)
		if code != 0 {
			t.Fatalf("tokenward %v: exit %d: %s", args, code, errs)
		}
		return out
	}
	cc := []string{"--issuer", srv.URL, "--grant", "client_credentials"}

	// private_key_jwt.
	run("", append([]string{"profile", "add", "pk", "--client-id", "pk", "--private-key", keyPath, "--key-id", "k1"}, cc...)...)
	pkTok := strings.TrimSpace(run("", "token", "-p", "pk"))
	if pkTok == "" {
		t.Fatal("no token with private_key_jwt")
	}
	// Introspection of the client's own token, from stdin.
	intro := run(pkTok+"\n", "introspect", "-p", "pk")
	if !strings.Contains(intro, "active:") || !strings.Contains(intro, "true") || !strings.Contains(intro, "client_id:  pk") {
		t.Errorf("introspect:\n%s", intro)
	}
	introJSON := run(pkTok+"\n", "introspect", "-p", "pk", "--json")
	var in map[string]any
	if err := json.Unmarshal([]byte(introJSON), &in); err != nil || in["active"] != true || in["client_id"] != "pk" {
		t.Errorf("introspect --json: %s (%v)", introJSON, err)
	}
	if out := run("not-a-token\n", "introspect", "-p", "pk"); strings.TrimSpace(out) != "active: false" {
		t.Errorf("an unknown token: %q", out)
	}

	// An assertion file, re-read for every request.
	assertionPath := filepath.Join(t.TempDir(), "token")
	assertion := signAssertion(t, ec, "pk", srv.TokenURL())
	os.WriteFile(assertionPath, []byte(assertion+"\n"), 0o644)
	run("", append([]string{"profile", "add", "wl", "--client-id", "pk", "--assertion-file", assertionPath}, cc...)...)
	if tok := strings.TrimSpace(run("", "token", "-p", "wl")); tok == "" {
		t.Fatal("no token with an assertion file")
	}
	// The same assertion again is a replay: refused, without the
	// assertion in the error.
	e.expireStored("wl")
	code, _, errs := e.run("", "token", "-p", "wl")
	if code != ExitAuth || strings.Contains(errs, assertion) {
		t.Errorf("replayed assertion: exit %d, %q", code, errs)
	}
	stderr.WriteString(errs)
	assertion2 := signAssertion(t, ec, "pk", srv.TokenURL())
	os.WriteFile(assertionPath, []byte(assertion2), 0o644)
	run("", "token", "-p", "wl") // the rotated file is read
	os.Remove(assertionPath)
	e.expireStored("wl")
	code, _, errs = e.run("", "token", "-p", "wl")
	if code != ExitConfig || !strings.Contains(errs, "assertion file") {
		t.Errorf("a missing assertion file: exit %d, %q", code, errs)
	}
	stderr.WriteString(errs)

	// Token exchange: the subject is another profile's token, or a file.
	run("", append([]string{"profile", "add", "svc", "--client-id", "svc", "--client-secret-env", "SVC_SECRET"}, cc...)...)
	run("", "profile", "add", "tx", "--issuer", srv.URL, "--client-id", "tx", "--client-secret-env", "TX_SECRET",
		"--subject-profile", "svc", "--requested-token-type", "access_token")
	txTok := strings.TrimSpace(run("", "token", "-p", "tx"))
	svcTok := strings.TrimSpace(run("", "token", "-p", "svc"))
	if txTok == "" || txTok == svcTok {
		t.Fatalf("exchanged token %q (subject %q)", txTok, svcTok)
	}
	// The exchanged token (an hour at the server) is not used past its
	// subject's expiry (ten minutes).
	txRec, _ := decodeRecord(mustLoad(t, e, tokenKey("tx")))
	svcRec, _ := decodeRecord(mustLoad(t, e, tokenKey("svc")))
	if d := txRec.Expiry.Sub(svcRec.Expiry); d > 2*time.Second || d < -2*time.Second {
		t.Errorf("exchanged token expires %v, subject %v", txRec.Expiry, svcRec.Expiry)
	}
	// login of an exchange profile exchanges too (not client_credentials).
	n := srv.GrantRequests(oauth2test.GrantTokenExchange)
	run("", "login", "-p", "tx")
	if srv.GrantRequests(oauth2test.GrantTokenExchange) != n+1 {
		t.Error("login of a token_exchange profile did not exchange")
	}
	txJSON := run("", "token", "-p", "tx", "--json")
	if !strings.Contains(txJSON, `"token_type": "Bearer"`) {
		t.Errorf("exchanged token: %s", txJSON)
	}
	subjectPath := filepath.Join(t.TempDir(), "subject")
	os.WriteFile(subjectPath, []byte(svcTok), 0o600)
	run("", "profile", "add", "txfile", "--issuer", srv.URL, "--client-id", "tx", "--client-secret-env", "TX_SECRET",
		"--subject-token-file", subjectPath, "--subject-token-type", "access_token")
	txFileTok := strings.TrimSpace(run("", "token", "-p", "txfile"))
	if txFileTok == "" {
		t.Fatal("no token from a subject file")
	}
	os.WriteFile(subjectPath, []byte("revoked-subject"), 0o600)
	e.expireStored("txfile")
	code, _, errs = e.run("", "token", "-p", "txfile")
	if code != ExitAuth || strings.Contains(errs, "revoked-subject") {
		t.Errorf("a bad subject: exit %d, %q", code, errs)
	}
	stderr.WriteString(errs)

	cfg, _ := os.ReadFile(e.cfg)
	log := stderr.String()
	if !strings.Contains(log, "[REDACTED]") {
		t.Fatalf("--verbose logged no exchange:\n%s", log)
	}
	for where, text := range map[string]string{"stderr": log, "config file": string(cfg)} {
		assertNoKeyMaterial(t, where, text, keyPEM)
		for name, secret := range map[string]string{"assertion": assertion, "second assertion": assertion2, "pk token": pkTok,
			"tx token": txTok, "svc token": svcTok, "subject file token": txFileTok, "svc secret": "svc-secret-3e7a", "tx secret": "tx-secret-91bd"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s leaked in %s", name, where)
			}
		}
		// A JWT's header starts with eyJ: no assertion, whole or cut.
		if strings.Contains(text, "eyJ") {
			t.Errorf("a JWT in %s", where)
		}
	}
}

// opProfiles adds, against oidc-provider, the svc profile (opaque,
// introspectable tokens) and the pkjwt profile with the provider's test key.
func opProfiles(t *testing.T, e *testEnv, iss string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "client", "testdata", "private_key_jwt.pem"))
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(t.TempDir(), "pkjwt.pem")
	if err := os.WriteFile(keyPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SVC_SECRET", testenv.SvcClientSecret)
	e.mustRun("", "profile", "add", "svc", "--issuer", iss, "--grant", "client_credentials", "--client-id", testenv.SvcClientID,
		"--client-secret-env", "SVC_SECRET", "--scope", "api:read", "--param", "resource="+testenv.ResourceOpaque)
	e.mustRun("", "profile", "add", "pk", "--issuer", iss, "--grant", "client_credentials", "--client-id", testenv.PKJWTClientID,
		"--private-key", keyPath, "--key-id", testenv.PKJWTKeyID, "--scope", "api:read", "--param", "resource="+testenv.ResourceOpaque)
}

// repoRoot returns the repository root, three directories above this
// package's module.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	return filepath.Join(wd, "..", "..", "..", "..")
}

func TestStandardsOIDCProvider(t *testing.T) {
	iss := testenv.OIDCProvider(t)
	e := newTestEnv(t)
	opProfiles(t, e, iss)

	// private_key_jwt, then introspection authenticated with it.
	pkTok := strings.TrimSpace(e.mustRun("", "token", "-p", "pk"))
	svcTok := strings.TrimSpace(e.mustRun("", "token", "-p", "svc"))
	out := e.mustRun(svcTok+"\n", "introspect", "-p", "pk", "--json")
	var in map[string]any
	if err := json.Unmarshal([]byte(out), &in); err != nil || in["active"] != true || in["client_id"] != testenv.SvcClientID {
		t.Errorf("introspect (as pkjwt) svc's token: %s %v", out, err)
	}
	out = e.mustRun(pkTok+"\n", "introspect", "-p", "svc")
	if !strings.Contains(out, testenv.PKJWTClientID) {
		t.Errorf("introspect (as svc) pkjwt's token:\n%s", out)
	}

	// Token exchange with svc's token as the subject.
	t.Setenv("TX_SECRET", testenv.TokenExchangeClientSecret)
	e.mustRun("", "profile", "add", "tx", "--issuer", iss, "--client-id", testenv.TokenExchangeClientID, "--client-secret-env", "TX_SECRET",
		"--subject-profile", "svc", "--requested-token-type", "access_token", "--scope", "api:read")
	txTok := strings.TrimSpace(e.mustRun("", "token", "-p", "tx"))
	out = e.mustRun(txTok+"\n", "introspect", "-p", "svc", "--json")
	if err := json.Unmarshal([]byte(out), &in); err != nil || in["active"] != true || in["subject_client_id"] != testenv.SvcClientID ||
		in["client_id"] != testenv.TokenExchangeClientID {
		t.Errorf("introspect the exchanged token: %s %v", out, err)
	}
	// The private key and the tokens stay out of argv-free output and the
	// config file.
	cfg, _ := os.ReadFile(e.cfg)
	for _, s := range []string{pkTok, svcTok, txTok, testenv.SvcClientSecret, testenv.TokenExchangeClientSecret} {
		if strings.Contains(string(cfg), s) {
			t.Error("a secret in the config file")
		}
	}
}

// mustLoad returns a store entry.
func mustLoad(t *testing.T, e *testEnv, key string) []byte {
	t.Helper()
	data, err := e.store.Load(t.Context(), key)
	if err != nil || data == nil {
		t.Fatalf("no %s in the store (%v)", key, err)
	}
	return data
}

// TestLoginPushesWhenTheServerRequiresPAR: against a server whose
// metadata requires pushed authorization requests, the browser is sent
// to an authorization URL with only client_id and request_uri.
func TestLoginPushesWhenTheServerRequiresPAR(t *testing.T) {
	e := newTestEnv(t)
	srv := oauth2test.NewServer(t, &oauth2test.Options{RequirePAR: true, Clients: []oauth2test.Client{{
		ID: "web", Secret: "web-secret-77", RequirePKCE: true, IssueRefreshToken: true,
	}}})
	t.Setenv("WEB_SECRET", "web-secret-77")
	e.mustRun("", "profile", "add", "par", "--issuer", srv.URL, "--client-id", "web", "--client-secret-env", "WEB_SECRET",
		"--grant", "authorization_code")
	var authURL string
	done := make(chan struct{})
	e.open = func(start string) error {
		go func() { // as browserVia, keeping the authorization URL
			defer close(done)
			b := newBrowserClient()
			resp, err := b.Get(start)
			if err != nil {
				t.Errorf("start URL: %v", err)
				return
			}
			resp.Body.Close()
			authURL = resp.Header.Get("Location")
			u, err := srv.Authorize(authURL, oauth2test.DefaultUsername, oauth2test.DefaultPassword)
			if err != nil {
				t.Errorf("Authorize: %v", err)
				return
			}
			if resp, err = b.Get(u.String()); err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
	out := e.mustRun("", "login", "-p", "par", "--timeout", "10s")
	if !strings.Contains(out, "Logged in") {
		t.Fatalf("login output:\n%s", out)
	}
	<-done
	u, err := url.Parse(authURL)
	if err != nil || u.Query().Get("request_uri") == "" || u.Query().Get("client_id") != "web" || len(u.Query()) != 2 {
		t.Errorf("authorization URL %q: want client_id and request_uri only", authURL)
	}
}

// TestRegisterPrivateKeyJWTOIDCProvider: register a private_key_jwt
// client with the profile's key, then get a token with it.
func TestRegisterPrivateKeyJWTOIDCProvider(t *testing.T) {
	iss := testenv.OIDCProvider(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keyPath := writeKey(t, "PRIVATE KEY", mustPKCS8(t, ec), 0o600)
	e := newTestEnv(t)
	out := e.mustRun("", "register", "dynpk", "--issuer", iss, "--grant", "client_credentials", "--scope", "api:read",
		"--private-key", keyPath, "--key-id", "dyn-1")
	p := e.loadProfile("dynpk")
	if p.HasSecret || p.PrivateKey != keyPath || !strings.Contains(out, "private_key_jwt") {
		t.Fatalf("registered profile %+v (%s)", p, out)
	}
	if tok := strings.TrimSpace(e.mustRun("", "token", "-p", "dynpk")); tok == "" {
		t.Error("no token")
	}
}
