package cli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/oauth2test"
)

// browserVia returns an OpenBrowser that signs in at srv as the default
// user (without a real browser): it opens the one-time start URL (its
// cookie binds the callback to this browser), signs in, and follows the
// redirect to the loopback listener. implicit posts the fragment as the
// listener's page script would. The opener must never see the state or
// the PKCE challenge: its argv is readable by every local user.
func browserVia(t *testing.T, srv *oauth2test.Server, implicit bool) func(string) error {
	return func(startURL string) error {
		if strings.Contains(startURL, "state=") || strings.Contains(startURL, "code_challenge") || !strings.HasPrefix(startURL, "http://127.0.0.1:") {
			t.Errorf("the browser opener got %s: want the loopback start URL only", startURL)
		}
		go func() {
			b := newBrowserClient()
			resp, err := b.Get(startURL)
			if err != nil {
				t.Errorf("start URL: %v", err)
				return
			}
			resp.Body.Close()
			u, err := srv.Authorize(resp.Header.Get("Location"), oauth2test.DefaultUsername, oauth2test.DefaultPassword)
			if err != nil {
				t.Errorf("Authorize: %v", err)
				return
			}
			if implicit {
				frag := u.Fragment
				u.Fragment = ""
				resp, err = b.Post(u.String(), "text/plain", strings.NewReader("#"+frag))
			} else {
				resp, err = b.Get(u.String())
			}
			if err != nil {
				t.Errorf("redirect to the listener: %v", err)
				return
			}
			resp.Body.Close()
		}()
		return nil
	}
}

func TestLoginAuthorizationCode(t *testing.T) {
	e := newTestEnv(t)
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "pub", AuthStyle: oauth2test.AuthNone, RequirePKCE: true, IssueRefreshToken: true,
	}}})
	// Endpoints by discovery (RFC 8414), at use time.
	e.mustRun("", "profile", "add", "web", "--issuer", srv.URL, "--client-id", "pub", "--grant", "authorization_code", "--no-client-secret")
	e.open = browserVia(t, srv, false)
	out := e.mustRun("", "login", "-p", "web", "--timeout", "10s")
	if !strings.Contains(out, "Logged in") || strings.Contains(out, "code_challenge") {
		t.Fatalf("login output:\n%s", out)
	}
	if got := srv.LastTokenRequest().Params["code_verifier"]; got == "" || srv.LastTokenRequest().Params["redirect_uri"] == "" {
		t.Fatal("no code_verifier sent")
	}
	n := srv.TokenRequests()
	tok := strings.TrimSpace(e.mustRun("", "token", "-p", "web"))
	if tok == "" || srv.TokenRequests() != n {
		t.Fatalf("token %q, token requests %d -> %d", tok, n, srv.TokenRequests())
	}
	// Logout revokes at the discovered revocation endpoint.
	if out := e.mustRun("", "logout", "-p", "web"); !strings.Contains(out, "revoked") {
		t.Fatalf("logout: %s", out)
	}
}

func TestLoginImplicit(t *testing.T) {
	e := newTestEnv(t)
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "spa", Secret: "spa-secret", AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.JSONOnly,
		Grants: []string{oauth2test.GrantImplicit, oauth2test.GrantPassword},
	}}})
	e.mustRun("spa-secret\n", "profile", "add", "spa", "--preset", "json-rotating", "--domain", "unused.example",
		"--auth-url", srv.AuthURL(), "--token-url", srv.TokenURL(), "--grant", "implicit", "--client-id", "spa", "--client-secret-stdin")
	e.open = browserVia(t, srv, true)
	out := e.mustRun("", "login", "-p", "spa", "--timeout", "10s")
	if !strings.Contains(out, "Logged in") {
		t.Fatalf("login output:\n%s", out)
	}
	if tok := strings.TrimSpace(e.mustRun("", "token", "-p", "spa")); tok == "" || srv.TokenRequests() != 0 {
		t.Fatalf("token %q after %d token requests", tok, srv.TokenRequests())
	}
}

func TestLoginDeviceNonTerminal(t *testing.T) {
	e := newTestEnv(t)
	srv := oauth2test.NewServer(t, &oauth2test.Options{DeviceInterval: 1})
	e.mustRun(oauth2test.DefaultClientSecret+"\n", "profile", "add", "tv", "--issuer", srv.URL, "--client-id", oauth2test.DefaultClientID,
		"--grant", "device", "--client-secret-stdin")

	var out, errb bytes.Buffer
	pr := &syncWriter{w: &out}
	app := &App{IO: IO{In: strings.NewReader(""), Out: pr, Err: &errb}, Store: e.store}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan int)
	go func() { done <- app.Run(ctx, []string{"login", "-p", "tv"}) }()
	re := regexp.MustCompile(`enter the code:\s+(\S+)`)
	var code string
	for code == "" {
		select {
		case c := <-done:
			t.Fatalf("login ended early: %d\n%s\n%s", c, pr.String(), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := re.FindStringSubmatch(pr.String()); m != nil {
			code = m[1]
		}
	}
	if err := srv.ApproveDevice(code, oauth2test.DefaultUsername); err != nil {
		t.Fatal(err)
	}
	if c := <-done; c != 0 {
		t.Fatalf("exit %d\n%s\n%s", c, pr.String(), errb.String())
	}
	s := pr.String()
	if !strings.Contains(s, "Waiting for approval") || !strings.Contains(s, "Logged in") || strings.Contains(s, "▀") {
		t.Fatalf("output (no QR or spinner off a terminal):\n%s", s)
	}
}

// A server whose metadata requires pushed authorization requests (RFC
// 9126): login pushes, and the browser sees only client_id and
// request_uri.
func TestLoginPushedAuthorizationRequest(t *testing.T) {
	e := newTestEnv(t)
	srv := oauth2test.NewServer(t, &oauth2test.Options{RequirePAR: true, Clients: []oauth2test.Client{{
		ID: "pub", AuthStyle: oauth2test.AuthNone, RequirePKCE: true,
	}}})
	e.mustRun("", "profile", "add", "par", "--issuer", srv.URL, "--client-id", "pub", "--grant", "authorization_code", "--no-client-secret")
	e.open = browserVia(t, srv, false)
	out := e.mustRun("", "login", "-p", "par", "--timeout", "10s")
	if !strings.Contains(out, "Logged in") {
		t.Fatalf("login output:\n%s", out)
	}
	if got := srv.LastTokenRequest().Params["code_verifier"]; got == "" {
		t.Fatal("no code_verifier sent")
	}
}
