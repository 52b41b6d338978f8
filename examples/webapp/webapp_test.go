package main

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tokenward/tokenward/cache/sqlcache"
	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/oauth2test"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// running is the app served on a loopback port with its authorization
// server and store.
type running struct {
	app   *App
	as    *oauth2test.Server
	store *sqlcache.Store
	url   string
}

// start serves the app on the database db.
func start(t *testing.T, db *sql.DB) *running {
	t.Helper()
	store, err := sqlcache.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	sealedStore, err := sealed(store, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	as := newAuthServer()
	t.Cleanup(as.Close)
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	app := newApp(as, sealedStore, base, slog.New(slog.DiscardHandler))
	ts.Config.Handler = app.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	return &running{app: app, as: as, store: store, url: base}
}

func sqliteDB(t *testing.T) *sql.DB {
	db, err := openDB(filepath.Join(t.TempDir(), "tokens.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func postgresDB(t *testing.T) *sql.DB {
	db, err := openDB("", testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newBrowser starts a headless Chromium and returns two tabs in two
// browser contexts, which share no cookies: two people at two browsers.
func newBrowser(t *testing.T) (a, b context.Context) {
	t.Helper()
	path := "/usr/bin/chromium"
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else if testenv.UnderCI() {
			t.Fatal("chromium not installed: it must be under CI (scripts/test.sh installs it)")
		} else {
			t.Skip("chromium not installed; apt-get install chromium, or run ./scripts/test.sh")
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
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("password-store", "basic"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(actx)
	if err := chromedp.Do(browser); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("starting chromium: %v", err)
	}
	a, cancelA := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	b, cancelB := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(func() { cancelA(); cancelB(); cancelBrowser(); cancelAlloc() })
	// Open the tabs now, without a timeout: a tab lives as long as the
	// context of the first call on it.
	for _, tab := range []context.Context{a, b} {
		if err := chromedp.Do(tab); err != nil {
			t.Fatalf("opening a tab: %v", err)
		}
	}
	return a, b
}

// do runs steps in tab with a timeout.
func do(t *testing.T, tab context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser at %s: %v", location(tab), err)
	}
}

// location is the tab's URL, for failure messages.
func location(tab context.Context) string {
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return loc
}

// text returns the text of the element with the given ID.
func text(t *testing.T, tab context.Context, id string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		t.Fatalf("reading #%s at %s: %v", id, location(tab), err)
	}
	return s
}

// pageHTML returns the whole page.
func pageHTML(t *testing.T, tab context.Context) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signInAs signs user in from tab through the authorization server's page.
func signInAs(t *testing.T, tab context.Context, app, user string) {
	t.Helper()
	do(t, tab,
		chromedp.Navigate(app+"/signin"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), users[user]),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("user")),
	)
	if got := text(t, tab, "user"); got != user {
		t.Fatalf("signed in as %q; want %q", got, user)
	}
}

// callAPI opens the profile page in tab and returns what the API said.
func callAPI(t *testing.T, tab context.Context, app string) string {
	t.Helper()
	do(t, tab, chromedp.Navigate(app+"/profile"), chromedp.WaitVisible(chromedp.ID("api")))
	return text(t, tab, "api")
}

// Two users in two browsers sign in, call the API as themselves, never
// see each other's data, and sign out; on SQLite and on PostgreSQL.
func TestTwoUsersInTwoBrowsers(t *testing.T) {
	for _, db := range []struct {
		name string
		open func(*testing.T) *sql.DB
	}{{"SQLite", sqliteDB}, {"Postgres", postgresDB}} {
		t.Run(db.name, func(t *testing.T) {
			r := start(t, db.open(t))
			alice, bob := newBrowser(t)

			signInAs(t, alice, r.url, "alice")
			signInAs(t, bob, r.url, "bob")
			for range 2 {
				if got := callAPI(t, alice, r.url); !strings.Contains(got, `"sub": "alice"`) {
					t.Errorf("alice's API page: %s", got)
				}
				if got := callAPI(t, bob, r.url); !strings.Contains(got, `"sub": "bob"`) {
					t.Errorf("bob's API page: %s", got)
				}
			}
			if page := pageHTML(t, alice); strings.Contains(page, "bob") {
				t.Errorf("alice's page mentions bob:\n%s", page)
			}
			if page := pageHTML(t, bob); strings.Contains(page, "alice") {
				t.Errorf("bob's page mentions alice:\n%s", page)
			}
			for _, u := range []string{"alice", "bob"} {
				data, err := r.store.Load(context.Background(), r.app.users.Key(u))
				if err != nil || data == nil {
					t.Errorf("%s's token in the store: %v, %v", u, data != nil, err)
				}
				if strings.Contains(string(data), "token") {
					t.Errorf("%s's row is not sealed: it shows the record's fields", u)
				}
			}

			// alice signs out: her token is revoked and deleted; bob is
			// unaffected.
			do(t, alice, chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("anonymous")))
			if data, err := r.store.Load(context.Background(), r.app.users.Key("alice")); err != nil || data != nil {
				t.Errorf("alice's token after sign-out: stored %v, %v", data != nil, err)
			}
			do(t, alice, chromedp.Navigate(r.url+"/profile"), chromedp.WaitVisible(chromedp.ID("login")))
			if got := callAPI(t, bob, r.url); !strings.Contains(got, `"sub": "bob"`) {
				t.Errorf("bob's API page after alice signed out: %s", got)
			}
		})
	}
}

// The session and sign-in cookies are HttpOnly and SameSite; a callback
// with the wrong state is refused; a cross-site sign-out is refused.
func TestCookiesStateAndCSRF(t *testing.T) {
	r := start(t, sqliteDB(t))
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(r.url + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var login *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == loginCookie {
			login = c
		}
	}
	if login == nil || !login.HttpOnly || login.SameSite != http.SameSiteLaxMode {
		t.Fatalf("sign-in cookie: %+v; want HttpOnly, SameSite=Lax", login)
	}
	loc := resp.Header.Get("Location")
	if !strings.Contains(loc, "code_challenge_method=S256") || !strings.Contains(loc, "state=") {
		t.Fatalf("authorization URL %s: want PKCE S256 and a state", loc)
	}

	req, _ := http.NewRequest(http.MethodGet, r.url+"/callback?code=x&state=forged", nil)
	req.AddCookie(login)
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || len(resp.Cookies()) == 0 || resp.Cookies()[0].Name != loginCookie {
		t.Errorf("callback with a forged state: got %s; want 400 and the sign-in cookie cleared", resp.Status)
	}
	if n := r.as.GrantRequests(oauth2test.GrantAuthorizationCode); n != 0 {
		t.Errorf("code exchanges after a forged state: got %d; want 0", n)
	}

	req, _ = http.NewRequest(http.MethodPost, r.url+"/signout", nil)
	req.Header.Set("Origin", "http://evil.example")
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign-out: got %s; want 403", resp.Status)
	}
}
