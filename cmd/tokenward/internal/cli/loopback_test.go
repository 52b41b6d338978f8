package cli

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// testAuthURL is where the start URL redirects in these tests.
const testAuthURL = "https://as.example.com/authorize?state=st4te"

// newLoopback starts a listener and returns it with a browser (a client
// with a cookie jar) that went through its start URL.
func newLoopback(t *testing.T, implicit bool) (*Loopback, *http.Client) {
	t.Helper()
	l, err := NewLoopback(0, "st4te", implicit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	b := newBrowserClient()
	resp, err := b.Get(l.Start(testAuthURL))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != testAuthURL {
		t.Fatalf("start URL: %d to %q; want 302 to %s", resp.StatusCode, resp.Header.Get("Location"), testAuthURL)
	}
	return l, b
}

// newBrowserClient is a browser: a cookie jar, redirects not followed.
func newBrowserClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, b *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestLoopbackOneCallback(t *testing.T) {
	l, b := newLoopback(t, false)
	if host, _, _ := net.SplitHostPort(l.Addr().String()); host != "127.0.0.1" {
		t.Fatalf("listening on %s, want 127.0.0.1 only", l.Addr())
	}
	if !strings.HasPrefix(l.RedirectURL(), "http://127.0.0.1:") || !strings.HasSuffix(l.RedirectURL(), "/callback") {
		t.Fatalf("redirect URL %s", l.RedirectURL())
	}
	status, body := get(t, b, l.RedirectURL()+"?code=c0de&state=st4te")
	if status != http.StatusOK || !strings.Contains(body, "Signed in") {
		t.Fatalf("first callback: %d %s", status, body)
	}
	if status, _ := get(t, b, l.RedirectURL()+"?code=other&state=st4te"); status != http.StatusGone {
		t.Fatalf("second callback: %d, want 410", status)
	}
	code, _, err := l.Wait(context.Background(), time.Second)
	if err != nil || code != "c0de" {
		t.Fatalf("Wait = %q, %v", code, err)
	}
	if status, _ := get(t, b, strings.TrimSuffix(l.RedirectURL(), "/callback")+"/other"); status != http.StatusNotFound {
		t.Fatalf("other path: %d", status)
	}
}

func TestLoopbackStartURLOneTime(t *testing.T) {
	l, _ := newLoopback(t, false)
	startURL := l.Start(testAuthURL)
	if strings.Contains(startURL, "st4te") || !strings.HasPrefix(startURL, "http://127.0.0.1:") {
		t.Fatalf("start URL %s", startURL)
	}
	if status, _ := get(t, newBrowserClient(), startURL); status != http.StatusGone {
		t.Fatalf("start URL used twice: %d, want 410", status)
	}
	if status, _ := get(t, newBrowserClient(), startURL+"x"); status != http.StatusNotFound {
		t.Fatalf("guessed start URL: %d, want 404", status)
	}
}

// TestLoopbackUnboundCallbackIgnored: another local user who read the
// authorization URL finishes it with their own account; the callback
// lacks the start URL's cookie and the listener keeps waiting.
func TestLoopbackUnboundCallbackIgnored(t *testing.T) {
	l, b := newLoopback(t, false)
	if status, _ := get(t, newBrowserClient(), l.RedirectURL()+"?code=attacker&state=st4te"); status != http.StatusForbidden {
		t.Fatalf("callback without the cookie: %d, want 403", status)
	}
	if _, _, err := l.Wait(context.Background(), 50*time.Millisecond); !errors.Is(err, errLoginTimeout) {
		t.Fatalf("Wait after an unbound callback = %v; want it still waiting", err)
	}
	get(t, b, l.RedirectURL()+"?code=c0de&state=st4te")
	if code, _, err := l.Wait(context.Background(), time.Second); err != nil || code != "c0de" {
		t.Fatalf("Wait = %q, %v; want the bound browser's code", code, err)
	}
}

func TestLoopbackStateMismatchKeepsWaiting(t *testing.T) {
	l, b := newLoopback(t, false)
	status, body := get(t, b, l.RedirectURL()+"?code=forged&state=forged")
	if status != http.StatusBadRequest || !strings.Contains(body, "state") {
		t.Fatalf("forged callback: %d %s", status, body)
	}
	if _, _, err := l.Wait(context.Background(), 50*time.Millisecond); !errors.Is(err, errLoginTimeout) {
		t.Fatalf("Wait after a wrong state = %v; want it still waiting", err)
	}
	get(t, b, l.RedirectURL()+"?code=c0de&state=st4te")
	if code, _, err := l.Wait(context.Background(), time.Second); err != nil || code != "c0de" {
		t.Fatalf("Wait = %q, %v", code, err)
	}
}

func TestLoopbackServerError(t *testing.T) {
	l, b := newLoopback(t, false)
	status, _ := get(t, b, l.RedirectURL()+"?error=access_denied&state=st4te")
	if status != http.StatusBadRequest {
		t.Fatalf("status %d", status)
	}
	_, _, err := l.Wait(context.Background(), time.Second)
	if e := Classify("acme", err); e.Code != ExitAuth || !strings.Contains(e.Error(), "access_denied") {
		t.Fatalf("error %v (%d)", e, e.Code)
	}
}

func TestLoopbackTimeout(t *testing.T) {
	l, _ := newLoopback(t, false)
	start := time.Now()
	_, _, err := l.Wait(context.Background(), 50*time.Millisecond)
	if !errors.Is(err, errLoginTimeout) || time.Since(start) > 2*time.Second {
		t.Fatalf("Wait err = %v after %s", err, time.Since(start))
	}
	if e := Classify("acme", err); e.Code != ExitAuth || !strings.Contains(e.Hint, "--timeout") {
		t.Fatalf("classified %v", e)
	}
}

func TestLoopbackFixedPortInUse(t *testing.T) {
	l, _ := newLoopback(t, false)
	p := l.Addr().(*net.TCPAddr).Port
	if _, err := NewLoopback(p, "x", false); err == nil {
		t.Fatal("second listener on a used port succeeded")
	}
}

func TestLoopbackImplicit(t *testing.T) {
	l, b := newLoopback(t, true)
	status, body := get(t, b, l.RedirectURL())
	if status != http.StatusOK || !strings.Contains(body, "location.hash") {
		t.Fatalf("fragment page: %d %s", status, body)
	}
	frag := url.Values{"access_token": {"at-123"}, "token_type": {"bearer"}, "expires_in": {"60"}, "state": {"st4te"}}.Encode()
	if resp, err := newBrowserClient().Post(l.RedirectURL(), "text/plain", strings.NewReader("#"+frag)); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST without the cookie: %v %v; want 403", resp, err)
	}
	resp, err := b.Post(l.RedirectURL(), "text/plain", strings.NewReader("#"+frag))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	_, tok, err := l.Wait(context.Background(), time.Second)
	if err != nil || tok.AccessToken != "at-123" {
		t.Fatalf("Wait = %v, %v", tok, err)
	}
	resp, err = b.Post(l.RedirectURL(), "text/plain", strings.NewReader("#"+frag))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone {
		t.Fatalf("second POST: %d, want 410", resp.StatusCode)
	}
}
