package oidctest_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/internal/oidctest"
)

// fakeTB records Fatal and Skip instead of stopping the goroutine.
type fakeTB struct {
	testing.TB
	fatal, skip string
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Fatal(args ...any)              { f.fatal = fmt.Sprint(args...) }
func (f *fakeTB) Fatalf(format string, a ...any) { f.fatal = fmt.Sprintf(format, a...) }
func (f *fakeTB) Skip(args ...any)               { f.skip = fmt.Sprint(args...) }
func (f *fakeTB) Skipf(format string, a ...any)  { f.skip = fmt.Sprintf(format, a...) }

// outcome is what a helper did to the test: "ok", "fatal" or "skip".
func (f *fakeTB) outcome() string {
	switch {
	case f.fatal != "" && f.skip != "":
		return "fatal+skip"
	case f.fatal != "":
		return "fatal"
	case f.skip != "":
		return "skip"
	}
	return "ok"
}

// discoveryServer serves a discovery document naming issuer ("" = the server's own URL).
func discoveryServer(t *testing.T, issuer string, status int) string {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != oidctest.PathDiscovery {
			http.NotFound(w, r)
			return
		}
		iss := issuer
		if iss == "" {
			iss = srv.URL
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"issuer": iss})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// deadURL is a loopback URL nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

func TestIssuer(t *testing.T) {
	good := discoveryServer(t, "", http.StatusOK)
	tests := []struct {
		name     string
		ci       string
		issuer   string
		want     string // returned issuer
		outcome  string
		inReason string // substring of the fatal/skip message
	}{
		{name: "unset local", ci: "", issuer: "", outcome: "skip", inReason: "scripts/test.sh"},
		{name: "unset CI", ci: "true", issuer: "", outcome: "fatal", inReason: "OIDC_ISSUER not set: oidc-provider must run under CI (scripts/test.sh starts it)"},
		{name: "unset CI=false", ci: "false", issuer: "", outcome: "skip", inReason: "OIDC_ISSUER not set"},
		{name: "reachable", ci: "true", issuer: good, want: good, outcome: "ok"},
		{name: "reachable trailing slash", ci: "", issuer: good + "/", want: good, outcome: "ok"},
		{name: "unreachable local", ci: "", issuer: deadURL(t), outcome: "skip", inReason: "not usable"},
		{name: "unreachable CI", ci: "true", issuer: deadURL(t), outcome: "fatal", inReason: "not usable"},
		{name: "wrong issuer CI", ci: "true", issuer: discoveryServer(t, "http://elsewhere", http.StatusOK), outcome: "fatal", inReason: `"http://elsewhere"`},
		{name: "HTTP 500 CI", ci: "true", issuer: discoveryServer(t, "", http.StatusInternalServerError), outcome: "fatal", inReason: "HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(oidctest.EnvCI, tt.ci)
			t.Setenv(oidctest.EnvIssuer, tt.issuer)
			f := &fakeTB{TB: t}
			got := oidctest.Issuer(f)
			if got != tt.want {
				t.Errorf("Issuer() = %q; want %q", got, tt.want)
			}
			if got := f.outcome(); got != tt.outcome {
				t.Errorf("outcome: got %s (fatal=%q skip=%q); want %s", got, f.fatal, f.skip, tt.outcome)
			}
			if reason := f.fatal + f.skip; !strings.Contains(reason, tt.inReason) {
				t.Errorf("message: got %q; want it to contain %q", reason, tt.inReason)
			}
		})
	}
}

func TestRequireEnv(t *testing.T) {
	const name = "OIDCTEST_SOME_VAR"
	tests := []struct {
		name, ci, value string
		want, outcome   string
	}{
		{name: "set", ci: "true", value: "127.0.0.1:1", want: "127.0.0.1:1", outcome: "ok"},
		{name: "set local", ci: "", value: "x", want: "x", outcome: "ok"},
		{name: "unset local", ci: "", value: "", outcome: "skip"},
		{name: "unset CI", ci: "true", value: "", outcome: "fatal"},
		{name: "unset CI=1", ci: "1", value: "", outcome: "fatal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(oidctest.EnvCI, tt.ci)
			t.Setenv(name, tt.value)
			f := &fakeTB{TB: t}
			if got := oidctest.RequireEnv(f, name); got != tt.want {
				t.Errorf("RequireEnv() = %q; want %q", got, tt.want)
			}
			if got := f.outcome(); got != tt.outcome {
				t.Errorf("outcome: got %s (fatal=%q skip=%q); want %s", got, f.fatal, f.skip, tt.outcome)
			}
			if tt.outcome != "ok" && !strings.Contains(f.fatal+f.skip, name) {
				t.Errorf("message: got %q; want it to name %s", f.fatal+f.skip, name)
			}
		})
	}
}

func TestEndpointsFor(t *testing.T) {
	got := oidctest.EndpointsFor("http://127.0.0.1:9400/")
	want := oidctest.Endpoints{
		Issuer:        "http://127.0.0.1:9400",
		Auth:          "http://127.0.0.1:9400/auth",
		Token:         "http://127.0.0.1:9400/token",
		DeviceAuth:    "http://127.0.0.1:9400/device/auth",
		Device:        "http://127.0.0.1:9400/device",
		Introspection: "http://127.0.0.1:9400/token/introspection",
		Revocation:    "http://127.0.0.1:9400/token/revocation",
		JWKS:          "http://127.0.0.1:9400/jwks",
		UserInfo:      "http://127.0.0.1:9400/me",
	}
	if got != want {
		t.Errorf("EndpointsFor: got %+v; want %+v", got, want)
	}
	if got, want := oidctest.CLIRedirectURIPort(53123), "http://127.0.0.1:53123/callback"; got != want {
		t.Errorf("CLIRedirectURIPort: got %q; want %q", got, want)
	}
}
