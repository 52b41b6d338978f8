package cli

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/client"
)

func newLoopback(t *testing.T, implicit bool) *Loopback {
	t.Helper()
	l, err := NewLoopback(0, "st4te", implicit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestLoopbackOneCallback(t *testing.T) {
	l := newLoopback(t, false)
	if host, _, _ := net.SplitHostPort(l.Addr().String()); host != "127.0.0.1" {
		t.Fatalf("listening on %s, want 127.0.0.1 only", l.Addr())
	}
	if !strings.HasPrefix(l.RedirectURL(), "http://127.0.0.1:") || !strings.HasSuffix(l.RedirectURL(), "/callback") {
		t.Fatalf("redirect URL %s", l.RedirectURL())
	}
	status, body := get(t, l.RedirectURL()+"?code=c0de&state=st4te")
	if status != http.StatusOK || !strings.Contains(body, "Signed in") {
		t.Fatalf("first callback: %d %s", status, body)
	}
	if status, _ := get(t, l.RedirectURL()+"?code=other&state=st4te"); status != http.StatusGone {
		t.Fatalf("second callback: %d, want 410", status)
	}
	code, _, err := l.Wait(context.Background(), time.Second)
	if err != nil || code != "c0de" {
		t.Fatalf("Wait = %q, %v", code, err)
	}
	if status, _ := get(t, strings.TrimSuffix(l.RedirectURL(), "/callback")+"/other"); status != http.StatusNotFound {
		t.Fatalf("other path: %d", status)
	}
}

func TestLoopbackStateMismatch(t *testing.T) {
	l := newLoopback(t, false)
	status, body := get(t, l.RedirectURL()+"?code=c0de&state=forged")
	if status != http.StatusBadRequest || !strings.Contains(body, "state") {
		t.Fatalf("forged callback: %d %s", status, body)
	}
	_, _, err := l.Wait(context.Background(), time.Second)
	if !errors.Is(err, client.ErrStateMismatch) {
		t.Fatalf("Wait err = %v", err)
	}
	if e := Classify("acme", err); e.Code != ExitAuth {
		t.Fatalf("exit code %d", e.Code)
	}
}

func TestLoopbackServerError(t *testing.T) {
	l := newLoopback(t, false)
	status, _ := get(t, l.RedirectURL()+"?error=access_denied&state=st4te")
	if status != http.StatusBadRequest {
		t.Fatalf("status %d", status)
	}
	_, _, err := l.Wait(context.Background(), time.Second)
	if e := Classify("acme", err); e.Code != ExitAuth || !strings.Contains(e.Error(), "access_denied") {
		t.Fatalf("error %v (%d)", e, e.Code)
	}
}

func TestLoopbackTimeout(t *testing.T) {
	l := newLoopback(t, false)
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
	l := newLoopback(t, false)
	_, port, _ := net.SplitHostPort(l.Addr().String())
	var p int
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	if _, err := NewLoopback(p, "x", false); err == nil {
		t.Fatal("second listener on a used port succeeded")
	}
}

func TestLoopbackImplicit(t *testing.T) {
	l := newLoopback(t, true)
	status, body := get(t, l.RedirectURL())
	if status != http.StatusOK || !strings.Contains(body, "location.hash") {
		t.Fatalf("fragment page: %d %s", status, body)
	}
	frag := url.Values{"access_token": {"at-123"}, "token_type": {"bearer"}, "expires_in": {"60"}, "state": {"st4te"}}.Encode()
	resp, err := http.Post(l.RedirectURL(), "text/plain", strings.NewReader("#"+frag))
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
	resp, err = http.Post(l.RedirectURL(), "text/plain", strings.NewReader("#"+frag))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone {
		t.Fatalf("second POST: %d, want 410", resp.StatusCode)
	}
}
