package testenv_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/internal/testenv"
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
		if r.URL.Path != testenv.PathDiscovery {
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

func TestOIDCProviderFromEnv(t *testing.T) {
	good := discoveryServer(t, "", http.StatusOK)
	tests := []struct {
		name     string
		ci       string
		issuer   string
		want     string // returned issuer
		outcome  string
		inReason string // substring of the fatal/skip message
	}{
		{name: "reachable", ci: "true", issuer: good, want: good, outcome: "ok"},
		{name: "reachable trailing slash", ci: "", issuer: good + "/", want: good, outcome: "ok"},
		{name: "unreachable local", ci: "", issuer: deadURL(t), outcome: "skip", inReason: "not usable"},
		{name: "unreachable CI", ci: "true", issuer: deadURL(t), outcome: "fatal", inReason: "not usable"},
		{name: "wrong issuer CI", ci: "true", issuer: discoveryServer(t, "http://elsewhere", http.StatusOK), outcome: "fatal", inReason: `"http://elsewhere"`},
		{name: "HTTP 500 CI", ci: "true", issuer: discoveryServer(t, "", http.StatusInternalServerError), outcome: "fatal", inReason: "HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(testenv.EnvCI, tt.ci)
			t.Setenv(testenv.EnvIssuer, tt.issuer)
			f := &fakeTB{TB: t}
			got := testenv.OIDCProvider(f)
			if got != tt.want {
				t.Errorf("OIDCProvider() = %q; want %q", got, tt.want)
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

// TestOIDCProviderStarts starts the fixture on a port of its own: the issuer it prints answers
// discovery.
func TestOIDCProviderStarts(t *testing.T) {
	t.Setenv(testenv.EnvIssuer, "")
	iss := testenv.OIDCProvider(t)
	if !strings.HasPrefix(iss, "http://127.0.0.1:") || strings.HasSuffix(iss, ":9400") {
		t.Errorf("issuer: got %q; want http://127.0.0.1:<ephemeral port>", iss)
	}
	if again := testenv.OIDCProvider(t); again != iss {
		t.Errorf("second call: got %q; want the shared %q", again, iss)
	}
}

func TestEndpointsFor(t *testing.T) {
	got := testenv.EndpointsFor("http://127.0.0.1:9400/")
	want := testenv.Endpoints{
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
	if got, want := testenv.CLIRedirectURIPort(53123), "http://127.0.0.1:53123/callback"; got != want {
		t.Errorf("CLIRedirectURIPort: got %q; want %q", got, want)
	}
}
