package cli

import (
	"encoding/json"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/internal/testlog"
	"github.com/tokenward/tokenward/oauth2test"
)

// TestVerboseOutputHasNoSecrets runs a whole password-grant session with
// --verbose and known secret values: no secret may appear in stderr (the
// HTTP exchange log and messages) or in the config file; the access token
// appears only where it was asked for, on stdout of 'token' and 'header'.
func TestVerboseOutputHasNoSecrets(t *testing.T) {
	const (
		clientSecret = "cli-client-secret-7f3a9c"
		password     = "cli-user-password-2b8e1d"
	)
	e := newTestEnv(t)
	srv := oauth2test.NewServer(t, &oauth2test.Options{
		Users: map[string]string{"jsmith": password},
		Clients: []oauth2test.Client{{
			ID: "p1", Secret: clientSecret, AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.JSONOnly,
			TokenType: "bearer", IssueRefreshToken: true, RotateRefreshTokens: true,
		}},
	})
	u, _ := url.Parse(srv.URL)
	var stderr strings.Builder
	run := func(stdin string, args ...string) string {
		code, out, errs := e.run(stdin, append(args, "--verbose")...)
		stderr.WriteString(errs)
		if code != 0 {
			t.Fatalf("tokenward %v: exit %d: %s", args, code, errs)
		}
		return out
	}
	run(clientSecret+"\n", "profile", "add", "legacy", "--preset", "json-rotating", "--domain", u.Host,
		"--token-url", srv.TokenURL(), "--revocation-url", srv.RevocationURL(), "--grant", "password",
		"--client-id", "p1", "--client-secret-stdin")
	run(password+"\n", "login", "-p", "legacy", "--username", "jsmith", "--password-stdin")
	access := strings.TrimSpace(run("", "token", "-p", "legacy"))
	data, _ := e.store.Load(t.Context(), tokenKey("legacy"))
	refresh := jsonField(t, data, "refresh_token")
	e.expireStored("legacy")
	access2 := strings.TrimSpace(run("", "token", "-p", "legacy"))
	header := run("", "header", "-p", "legacy")
	status := run("", "status", "-p", "legacy")
	jsonOut := run("", "token", "-p", "legacy", "--json")
	run("", "logout", "-p", "legacy")

	if !strings.Contains(stderr.String(), "POST") || !strings.Contains(stderr.String(), "[REDACTED]") {
		t.Fatalf("--verbose logged no HTTP exchange:\n%s", stderr.String())
	}
	if !strings.Contains(header, access2) {
		t.Errorf("header output %q lacks the access token", header)
	}
	cfg, _ := os.ReadFile(e.cfg)
	secrets := map[string]string{"client secret": clientSecret, "password": password, "access token": access,
		"new access token": access2, "refresh token": refresh}
	for where, text := range map[string]string{"stderr": stderr.String(), "status": status, "token --json": jsonOut, "config file": string(cfg)} {
		testlog.NoSecrets(t, where, text, slices.Collect(maps.Values(secrets))...)
	}
}

// jsonField returns a string member of a JSON object.
func jsonField(t *testing.T, data []byte, key string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	s, _ := m[key].(string)
	if s == "" {
		t.Fatalf("no %s in the stored record", key)
	}
	return s
}
