package cli

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/oauth2test"
)

func TestSameOrigin(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"https://api.example.com/a", "https://api.example.com/b?x", true},
		{"https://api.example.com/", "https://API.example.com:443/", true},
		{"http://h/", "http://h:80/", true},
		{"https://h/", "http://h/", false},
		{"https://h:8443/", "http://h:8443/", false},
		{"https://h/", "https://h:8443/", false},
		{"https://h/", "https://evil.h/", false},
	} {
		a, _ := url.Parse(c.a)
		b, _ := url.Parse(c.b)
		if got := sameOrigin(a, b); got != c.want {
			t.Errorf("sameOrigin(%s, %s) = %v; want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestCurlRedirectPolicy(t *testing.T) {
	req := func(u string) *http.Request { r, _ := http.NewRequest("GET", u, nil); return r }
	first := req("https://api.example.com:8443/start")
	for _, c := range []struct {
		to     string
		follow bool
	}{
		{"https://api.example.com:8443/next", true},
		{"http://api.example.com:8443/next", false}, // https → http on the same host and port
		{"https://api.example.com/next", false},
		{"https://other.example.com:8443/next", false},
	} {
		err := curlRedirect(req(c.to), []*http.Request{first})
		if got := err == nil; got != c.follow {
			t.Errorf("redirect %s → %s: follow %v; want %v", first.URL, c.to, got, c.follow)
		}
	}
}

func TestCurlFail(t *testing.T) {
	e := newTestEnv(t)
	as := oauth2test.NewServer(t, nil)
	addCC(e, as, "acme")
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "secret body of the error page", http.StatusForbidden)
	}))
	t.Cleanup(api.Close)

	code, out, errs := e.run("", "curl", "-p", "acme", "--fail", api.URL+"/x?q=1")
	if code != ExitHTTP || out != "" || errs != `tokenward: profile "acme": `+api.URL+" answered 403 Forbidden\n" {
		t.Fatalf("--fail: exit %d, stdout %q, stderr %q; want exit %d, no body", code, out, errs, ExitHTTP)
	}
	code, out, _ = e.run("", "curl", "-p", "acme", api.URL+"/x")
	if code != ExitOK || !strings.Contains(out, "secret body") {
		t.Fatalf("without --fail: exit %d, stdout %q", code, out)
	}
}
