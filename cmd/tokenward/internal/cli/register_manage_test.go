package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
)

// TestRegisterReadDelete runs RFC 7592 'register --read' and 'register
// --delete' against oauth2test: the metadata is printed without the
// secrets, and delete removes the client at the server, then the stored
// secrets.
func TestRegisterReadDelete(t *testing.T) {
	srv := oauth2test.NewServer(t, nil)
	e := newTestEnv(t)
	e.mustRun("", "register", "reg", "--registration-url", srv.RegistrationURL(), "--grant", "client_credentials",
		"--token-url", srv.TokenURL(), "--scope", "read", "--client-name", "cli test")
	p := e.loadProfile("reg")
	secret, _ := e.store.Load(t.Context(), secretKey("reg"))
	regTok, _ := e.store.Load(t.Context(), registrationTokenKey("reg"))
	if len(secret) == 0 || len(regTok) == 0 {
		t.Fatal("register stored no secrets")
	}
	e.mustRun("", "token", "-p", "reg")

	out := e.mustRun("", "register", "--read", "reg")
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("register --read printed %q: %v", out, err)
	}
	if got["client_id"] != p.ClientID || got["client_name"] != "cli test" {
		t.Errorf("register --read = %s; want client_id %s and client_name", out, p.ClientID)
	}
	for _, s := range []string{string(secret), string(regTok), "client_secret\"", "registration_access_token"} {
		if strings.Contains(out, s) {
			t.Errorf("register --read printed a secret (%q):\n%s", s, out)
		}
	}

	// Only a profile name goes with --read and --delete.
	for name, c := range map[string]struct {
		args []string
		code int
		want string
	}{
		"other flags":     {[]string{"--read", "reg", "--grant", "password"}, ExitUsage, "--grant"},
		"both":            {[]string{"--read", "--delete", "reg"}, ExitUsage, "read"},
		"no such profile": {[]string{"--read", "nobody"}, ExitConfig, "no such profile"},
		"not registered":  {[]string{"--delete", "plain"}, ExitConfig, "registration_client_uri"},
	} {
		if name == "not registered" {
			e.mustRun("", "profile", "add", "plain", "--token-url", srv.TokenURL(), "--grant", "client_credentials", "--client-id", "x", "--client-secret-env", "HOME")
		}
		code, _, errs := e.run("", append([]string{"register"}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, %q; want exit %d with %q", name, code, errs, c.code, c.want)
		}
	}

	out = e.mustRun("", "register", "--delete", "reg")
	if !strings.Contains(out, p.ClientID) {
		t.Errorf("register --delete printed %q", out)
	}
	// The server no longer knows the client or its registration token.
	reg := &client.Registration{ClientID: p.ClientID, RegistrationClientURI: p.RegistrationClientURI, RegistrationAccessToken: string(regTok)}
	if _, err := reg.Read(t.Context(), nil); err == nil {
		t.Error("the registration still exists at the server")
	}
	for _, k := range []string{secretKey("reg"), registrationTokenKey("reg"), tokenKey("reg")} {
		if v, _ := e.store.Load(t.Context(), k); v != nil {
			t.Errorf("register --delete left %s in the store", k)
		}
	}
	if q := e.loadProfile("reg"); q.HasSecret || q.RegistrationClientURI != "" {
		t.Errorf("profile after delete: %+v", q)
	}
	if code, _, errs := e.run("", "register", "--read", "reg"); code != ExitConfig {
		t.Errorf("read after delete: exit %d, %q; want exit %d", code, errs, ExitConfig)
	}
}

// TestRegisterReadRotatesAndSanitises: a read answer's new registration
// access token and client secret replace the stored ones (RFC 7592
// §2.1) and are never printed, even echoed in another member; control
// characters from the server do not reach the terminal.
func TestRegisterReadRotatesAndSanitises(t *testing.T) {
	var srvURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/reg":
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"client_id":"c1","client_secret":"old-secret%%3d+/","registration_access_token":"old-regtok%%3d+/","registration_client_uri":%q,"grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_basic"}`, srvURL+"/reg/c1")
		case r.Method == http.MethodGet && r.URL.Path == "/reg/c1" && r.Header.Get("Authorization") == "Bearer old-regtok%3d+/":
			fmt.Fprint(w, `{"client_id":"c1","client_secret":"new-secret%3d+/","registration_access_token":"new-regtok%3d+/","client_name":"evil\u009b31m\u001b]0;x","client_uri":"https://x/new-secret%3d+/","grant_types":["client_credentials"]}`)
		default:
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(srv.Close)
	srvURL = srv.URL
	e := newTestEnv(t)
	e.mustRun("", "register", "r", "--registration-url", srv.URL+"/reg", "--grant", "client_credentials", "--token-url", srv.URL+"/token")
	out := e.mustRun("", "register", "--read", "r")
	for _, bad := range []string{"new-secret", "new-regtok", "old-secret", "old-regtok", "\u009b", "\x1b"} {
		if strings.Contains(out, bad) {
			t.Errorf("register --read printed %q:\n%s", bad, out)
		}
	}
	for key, want := range map[string]string{secretKey("r"): "new-secret%3d+/", registrationTokenKey("r"): "new-regtok%3d+/"} {
		if got, _ := e.store.Load(t.Context(), key); string(got) != want {
			t.Errorf("store %s = %q; want %q", key, got, want)
		}
	}
}
