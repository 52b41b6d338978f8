package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/oauth2test"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a fresh headless Chromium (no network beyond
// loopback is needed: background networking is off) and returns a
// chromedp context for one tab. A missing Chromium fails the test under
// CI and skips it otherwise.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else if testenv.UnderCI() {
			t.Fatal("chromium not installed: it must be under CI (scripts/test.sh installs it)")
		} else {
			t.Skip("chromium not installed: skipping; apt-get install chromium, or run ./scripts/test.sh")
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser now, without a timeout
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// within runs actions on the tab with a timeout.
func within(t *testing.T, ctx context.Context, d time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("browser at %s: %v", loc, err)
	}
}

// signInOAuth2Test fills and submits the oauth2test login form.
func signInOAuth2Test(t *testing.T, ctx context.Context, authURL string) {
	t.Helper()
	within(t, ctx, 15*time.Second,
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("username"), oauth2test.DefaultUsername),
		chromedp.SendKeys(chromedp.ID("password"), oauth2test.DefaultPassword),
		chromedp.Click(chromedp.ID("submit")),
	)
}

// waitSignedIn waits until the loopback listener's page says "Signed in".
// Evaluation errors while a navigation is in flight are retried.
func waitSignedIn(t *testing.T, ctx context.Context) {
	t.Helper()
	const js = `(() => { const h = document.getElementById("result"); return !!h && h.textContent === "Signed in"; })()`
	deadline := time.Now().Add(15 * time.Second)
	for {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(tctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("no success page (browser at %s): %v", loc, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBrowserLoginAuthorizationCode(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "cli-pub", AuthStyle: oauth2test.AuthNone, RequirePKCE: true, IssueRefreshToken: true,
		Grants: []string{oauth2test.GrantAuthorizationCode, oauth2test.GrantRefreshToken},
	}}})
	browser := newBrowser(t)
	c.run("", "profile", "add", "e2e-code", "--issuer", srv.URL, "--client-id", "cli-pub",
		"--grant", "authorization_code", "--no-client-secret", "--scope", "read")

	l := c.start("login", "-p", "e2e-code", "--no-browser", "--timeout", "60s")
	authURL := l.authURL(t)
	// The CLI prints (and would hand the opener) a one-time loopback start
	// URL, never the state or the PKCE challenge; the server requires PKCE.
	if !strings.HasPrefix(authURL, "http://127.0.0.1:") || !strings.Contains(authURL, "/start/") || strings.Contains(authURL, "state=") {
		t.Fatalf("start URL %s", authURL)
	}
	signInOAuth2Test(t, browser, authURL)
	waitSignedIn(t, browser)
	if out := l.wait(t); !strings.Contains(out, `Logged in: profile "e2e-code"`) {
		t.Fatalf("login output:\n%s", out)
	}
	if srv.GrantRequests(oauth2test.GrantAuthorizationCode) != 1 {
		t.Fatalf("code exchanges: %d", srv.GrantRequests(oauth2test.GrantAuthorizationCode))
	}

	// The token is in the keychain: a new process prints it without the network.
	hits := srv.TokenRequests()
	tok := strings.TrimSpace(c.run("", "token", "-p", "e2e-code"))
	if tok == "" || srv.TokenRequests() != hits {
		t.Fatalf("token %q; token endpoint hits %d -> %d", tok, hits, srv.TokenRequests())
	}
	if hdr := c.run("", "header", "-p", "e2e-code"); hdr != "Authorization: Bearer "+tok+"\n" {
		t.Fatalf("header %q", hdr)
	}
	if st := c.run("", "status"); !strings.Contains(st, "valid, renewable") || strings.Contains(st, tok) {
		t.Fatalf("status:\n%s", st)
	}
	if out := c.run("", "logout", "-p", "e2e-code"); !strings.Contains(out, "revoked") {
		t.Fatalf("logout: %s", out)
	}
}

func TestBrowserLoginImplicit(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	// Seed 002 shape: JSON bodies with the credentials in them, implicit allowed.
	srv := oauth2test.NewServer(t, &oauth2test.Options{Clients: []oauth2test.Client{{
		ID: "seed002", Secret: "seed002-secret", AuthStyle: oauth2test.AuthBody, BodyFormat: oauth2test.JSONOnly,
		Grants:            []string{oauth2test.GrantImplicit, oauth2test.GrantAuthorizationCode, oauth2test.GrantRefreshToken},
		IssueRefreshToken: true, RotateRefreshTokens: true,
	}}})
	browser := newBrowser(t)
	c.run("seed002-secret\n", "profile", "add", "e2e-implicit", "--preset", "json-rotating", "--domain", "api.example.com",
		"--auth-url", srv.AuthURL(), "--token-url", srv.TokenURL(), "--grant", "implicit",
		"--client-id", "seed002", "--client-secret-stdin")

	l := c.start("login", "-p", "e2e-implicit", "--no-browser", "--timeout", "60s")
	authURL := l.authURL(t)
	if !strings.Contains(authURL, "/start/") {
		t.Fatalf("start URL %s", authURL)
	}
	signInOAuth2Test(t, browser, authURL)
	waitSignedIn(t, browser)
	l.wait(t)
	// The fragment was taken off the address bar.
	if loc, _ := chromedp.Run(browser, chromedp.Location()); strings.Contains(loc, "access_token") {
		t.Fatalf("token left in the address bar: %s", loc)
	}
	tok := strings.TrimSpace(c.run("", "token", "-p", "e2e-implicit"))
	if tok == "" || srv.TokenRequests() != 0 {
		t.Fatalf("token %q; token endpoint hits %d", tok, srv.TokenRequests())
	}
}

func TestBrowserLoginOIDCProvider(t *testing.T) {
	t.Parallel()
	iss := testenv.OIDCProvider(t)
	c := newCLI(t)
	browser := newBrowser(t)
	c.run("", "profile", "add", "e2e-oidc", "--issuer", iss, "--client-id", testenv.CLIClientID,
		"--grant", "authorization_code", "--no-client-secret", "--scope", testenv.CLIScope)

	l := c.start("login", "-p", "e2e-oidc", "--no-browser", "--timeout", "60s")
	authURL := l.authURL(t)
	within(t, browser, 15*time.Second,
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="login"]`), "e2e-user"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testenv.Password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
	)
	// The consent page (for the cli client), then the loopback listener.
	deadline := time.Now().Add(20 * time.Second)
	for {
		loc, _ := chromedp.Run(browser, chromedp.Location())
		if strings.HasPrefix(loc, "http://127.0.0.1:") && strings.Contains(loc, "/callback") && !strings.HasPrefix(loc, iss) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("browser never reached the loopback listener; at %s\nCLI: %s", loc, l.output())
		}
		if strings.HasPrefix(loc, iss+"/interaction/") {
			tctx, cancel := context.WithTimeout(browser, 2*time.Second)
			chromedp.Do(tctx, chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
			cancel()
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitSignedIn(t, browser)
	l.wait(t)
	tok := strings.TrimSpace(c.run("", "token", "-p", "e2e-oidc"))
	if strings.Count(tok, ".") != 2 {
		t.Fatalf("want a JWT access token from oidc-provider, got %q", tok)
	}
	if js := c.run("", "token", "-p", "e2e-oidc", "--json"); strings.Contains(js, tok) || !strings.Contains(js, "api:read") {
		t.Fatalf("--json:\n%s", js)
	}
	if out := c.run("", "logout", "-p", "e2e-oidc"); !strings.Contains(out, "Logged out") {
		t.Fatalf("logout: %s", out)
	}
}
