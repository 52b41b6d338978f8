package cli

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/oauth2test"
)

// addCC adds a client_credentials profile for srv's default client.
func addCC(e *testEnv, srv *oauth2test.Server, name string, extra ...string) {
	e.t.Helper()
	args := append([]string{"profile", "add", name, "--grant", "client_credentials", "--token-url", srv.TokenURL(),
		"--revocation-url", srv.RevocationURL(), "--client-id", oauth2test.DefaultClientID, "--auth-style", "basic",
		"--client-secret-stdin", "--scope", "read write"}, extra...)
	e.mustRun(oauth2test.DefaultClientSecret+"\n", args...)
}

func TestTokenCachedSecondRunNoNetwork(t *testing.T) {
	e := newTestEnv(t)
	srv := oauth2test.NewServer(t, nil)
	addCC(e, srv, "acme")

	tok1 := strings.TrimSpace(e.mustRun("", "token", "-p", "acme"))
	tok2 := strings.TrimSpace(e.mustRun("", "token"))
	if tok1 == "" || tok1 != tok2 {
		t.Fatalf("tokens %q, %q: want the same cached token", tok1, tok2)
	}
	if n := srv.TokenRequests(); n != 1 {
		t.Fatalf("token endpoint hit %d times, want 1", n)
	}
	hdr := e.mustRun("", "header", "-p", "acme")
	if hdr != "Authorization: Bearer "+tok1+"\n" {
		t.Fatalf("header = %q", hdr)
	}

	out := e.mustRun("", "token", "--json")
	if strings.Contains(out, tok1) {
		t.Fatalf("--json leaked the access token: %s", out)
	}
	var ti tokenInfo
	if err := json.Unmarshal([]byte(out), &ti); err != nil {
		t.Fatal(err)
	}
	if ti.AccessToken != redactedValue || ti.Profile != "acme" || ti.Scope != "read write" || ti.ExpiresIn <= 0 {
		t.Fatalf("--json = %+v", ti)
	}
	if out := e.mustRun("", "token", "--json", "--show-secrets"); !strings.Contains(out, tok1) {
		t.Fatalf("--show-secrets lacks the token: %s", out)
	}

	// The config file holds no secret and is private.
	data, err := os.ReadFile(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), oauth2test.DefaultClientSecret) || strings.Contains(string(data), tok1) {
		t.Fatalf("config file holds a secret:\n%s", data)
	}
	if fi, _ := os.Stat(e.cfg); fi.Mode().Perm() != 0o600 {
		t.Fatalf("config mode %v, want 0600", fi.Mode().Perm())
	}

	status := e.mustRun("", "status")
	if !strings.Contains(status, "acme (default)") || !strings.Contains(status, "valid") || strings.Contains(status, tok1) {
		t.Fatalf("status:\n%s", status)
	}

	// Expiry: the next run fetches a new token.
	e.expireStored("acme")
	e.mustRun("", "token")
	if n := srv.TokenRequests(); n != 2 {
		t.Fatalf("after expiry: %d token requests, want 2", n)
	}
}

func TestCurlAndLogout(t *testing.T) {
	e := newTestEnv(t)
	srv := oauth2test.NewServer(t, nil)
	addCC(e, srv, "acme")
	out := e.mustRun("", "curl", "-p", "acme", "-i", srv.ResourceURL())
	if !strings.Contains(out, "200 OK") || !strings.Contains(out, oauth2test.DefaultClientID) {
		t.Fatalf("curl output:\n%s", out)
	}
	if srv.ResourceRequests() != 1 {
		t.Fatalf("resource requests = %d", srv.ResourceRequests())
	}
	tok := strings.TrimSpace(e.mustRun("", "token", "-p", "acme"))

	out = e.mustRun("", "logout", "-p", "acme")
	if !strings.Contains(out, "revoked") {
		t.Fatalf("logout: %s", out)
	}
	// The revoked token no longer opens the resource.
	req, _ := http.NewRequest(http.MethodGet, srv.ResourceURL(), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked token: resource answered %d", resp.StatusCode)
	}
	if out := e.mustRun("", "status", "-p", "acme"); !strings.Contains(out, "none") {
		t.Fatalf("status after logout:\n%s", out)
	}
}

func TestInvalidClientErrorLine(t *testing.T) {
	e := newTestEnv(t)
	srv := oauth2test.NewServer(t, nil)
	e.mustRun("wrong-secret\n", "profile", "add", "acme", "--grant", "client_credentials", "--token-url", srv.TokenURL(),
		"--client-id", oauth2test.DefaultClientID, "--auth-style", "basic", "--client-secret-stdin")
	code, out, errs := e.run("", "token", "-p", "acme")
	if code != ExitAuth || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if !strings.HasPrefix(errs, `tokenward: profile "acme": invalid_client`) ||
		!strings.HasSuffix(errs, "with 'tokenward profile show acme'\n") || strings.Count(errs, "\n") != 1 {
		t.Fatalf("stderr = %q", errs)
	}
	if strings.Contains(errs, "wrong-secret") {
		t.Fatalf("stderr leaks the secret: %q", errs)
	}
}

func TestPasswordLoginAndRefresh(t *testing.T) {
	e := newTestEnv(t)
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "p1", Secret: "p1-secret", AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.JSONOnly,
		TokenType: "bearer", IssueRefreshToken: true, RotateRefreshTokens: true,
	}}})
	u, _ := url.Parse(srv.URL)
	e.mustRun("p1-secret\n", "profile", "add", "legacy", "--preset", "json-rotating", "--domain", u.Host,
		"--token-url", srv.TokenURL(), "--revocation-url", srv.RevocationURL(), "--grant", "password", "--client-id", "p1", "--client-secret-stdin")

	code, _, errs := e.run("", "token", "-p", "legacy")
	if code != ExitAuth || !strings.Contains(errs, "not logged in: run 'tokenward login -p legacy'") {
		t.Fatalf("before login: exit %d, %q", code, errs)
	}
	out := e.mustRun(oauth2test.DefaultPassword+"\n", "login", "-p", "legacy", "--username", oauth2test.DefaultUsername, "--password-stdin")
	if !strings.Contains(out, "Logged in") {
		t.Fatalf("login: %s", out)
	}
	tok1 := strings.TrimSpace(e.mustRun("", "token", "-p", "legacy"))
	e.expireStored("legacy")
	tok2 := strings.TrimSpace(e.mustRun("", "token", "-p", "legacy"))
	if tok1 == tok2 || srv.GrantRequests(oauth2test.GrantRefreshToken) != 1 {
		t.Fatalf("no refresh: %q %q, %d refreshes", tok1, tok2, srv.GrantRequests(oauth2test.GrantRefreshToken))
	}
	if out := e.mustRun("", "logout", "-p", "legacy"); !strings.Contains(out, "revoked") {
		t.Fatalf("logout: %s", out)
	}
	// A new login works after a logout.
	e.mustRun(oauth2test.DefaultPassword+"\n", "login", "-p", "legacy", "--username", oauth2test.DefaultUsername, "--password-stdin")
}

func TestProfileCommands(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("", "profile", "add", "g", "--preset", "google", "--client-id", "gid", "--no-client-secret")
	e.mustRun("s3cret\n", "profile", "add", "k", "--preset", "keycloak", "--domain", "sso.example.com", "--realm", "dev",
		"--client-id", "kid", "--client-secret-stdin", "--param", "audience=api", "--default")
	out := e.mustRun("", "profile", "list")
	if !strings.Contains(out, "k (default)") || !strings.Contains(out, "https://sso.example.com/realms/dev/protocol/openid-connect/token") {
		t.Fatalf("list:\n%s", out)
	}
	out = e.mustRun("", "profile", "show", "k")
	if strings.Contains(out, "s3cret") || !strings.Contains(out, "stored in the OS keychain") || !strings.Contains(out, `"audience": "api"`) {
		t.Fatalf("show:\n%s", out)
	}
	if code, _, errs := e.run("x\n", "profile", "add", "k", "--preset", "google", "--client-id", "x", "--client-secret-stdin"); code != ExitConfig || !strings.Contains(errs, "--force") {
		t.Fatalf("re-add without --force: %d %q", code, errs)
	}
	if code, _, errs := e.run("", "profile", "add", "bad", "--preset", "auth0", "--client-id", "x"); code != ExitConfig || !strings.Contains(errs, "needs --domain") {
		t.Fatalf("auth0 without domain: %d %q", code, errs)
	}
	if code, _, errs := e.run("", "profile", "add", "bad", "--grant", "client_credentials", "--token-url", "https://x/t", "--client-id", "x", "--param", "client_secret=oops"); code != ExitConfig || !strings.Contains(errs, "secret") {
		t.Fatalf("secret param: %d %q", code, errs)
	}
	e.mustRun("", "profile", "remove", "k")
	if data, _ := e.store.Load(t.Context(), secretKey("k")); data != nil {
		t.Fatal("secret left in the store after remove")
	}
	if code, _, errs := e.run("", "token", "-p", "k"); code != ExitConfig || errs != "tokenward: profile \"k\": no such profile: see 'tokenward profile list'\n" {
		t.Fatalf("removed profile: %d %q", code, errs)
	}
}

func TestUsageErrors(t *testing.T) {
	e := newTestEnv(t)
	for _, args := range [][]string{{"tokne"}, {"token", "--bogus"}, {"curl"}, {"profile", "add"}} {
		if code, _, errs := e.run("", args...); code != ExitUsage || !strings.HasPrefix(errs, "tokenward: ") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
	if code, _, errs := e.run("", "token"); code != ExitConfig || !strings.Contains(errs, "no profiles configured") {
		t.Errorf("no profiles: %d %q", code, errs)
	}
	_, out, _ := e.run("", "--help")
	for _, want := range []string{"Exit codes:", "130", "keychain"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	if out := e.mustRun("", "config", "path"); out != e.cfg+"\n" {
		t.Errorf("config path = %q", out)
	}
}
