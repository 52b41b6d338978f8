package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// evil is what a hostile server puts in its strings: OSC 52 (write the
// clipboard), OSC 0 (set the title), a screen clear, an 8-bit CSI and a
// right-to-left override.
const evil = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;owned\x07\x1b[2J\u009b31m\u202e"

// hostileServer is an authorization and resource server whose every string is evil.
func hostileServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("/device", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"device_code": "dc", "user_code": "ABCD" + evil,
			"verification_uri": "https://example.com/device" + evil, "verification_uri_complete": "https://example.com/d?c=1" + evil,
			"expires_in": 60, "interval": 1})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("grant_type") == "client_credentials" {
			writeJSON(w, 200, map[string]any{"access_token": "at-1" + evil, "token_type": "Bearer" + evil, "expires_in": 3600, "scope": "read" + evil})
			return
		}
		writeJSON(w, 400, map[string]any{"error": "access_denied" + evil, "error_description": "denied" + evil})
	})
	mux.HandleFunc("/api", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Evil", "v"+strings.ReplaceAll(evil, "\x07", ""))
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte("body\n"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// runAny runs tokenward and returns stdout and stderr whatever its exit code.
func (c *runner) runAny(args ...string) (string, string) {
	c.t.Helper()
	return c.runAnyIn("", args...)
}

// runAnyIn is runAny with stdin.
func (c *runner) runAnyIn(stdin string, args ...string) (string, string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = c.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Run()
	return out.String(), errb.String()
}

// assertSafe fails when s holds a byte or rune that drives a terminal.
func assertSafe(t *testing.T, what, s string) {
	t.Helper()
	if i := strings.IndexFunc(s, func(r rune) bool {
		return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x202e
	}); i >= 0 {
		t.Errorf("%s holds control character %q at %d:\n%q", what, s[i:min(i+8, len(s))], i, s)
	}
}

func TestHostileServerStringsAreEscaped(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	srv := hostileServer(t)
	c.run("s3cret\n", "profile", "add", "evil-device", "--grant", "device", "--token-url", srv.URL+"/token",
		"--device-auth-url", srv.URL+"/device", "--client-id", "c", "--auth-style", "body", "--client-secret-stdin", "--scope", "read")
	out, errs := c.runAny("login", "-p", "evil-device", "--no-browser", "--timeout", "10s", "-v")
	if !strings.Contains(out, `ABCD\x1b]52;c;`) || !strings.Contains(errs, `access_denied\x1b]52`) {
		t.Fatalf("want escaped user code and error code:\nstdout %q\nstderr %q", out, errs)
	}
	assertSafe(t, "login stdout", out)
	assertSafe(t, "login stderr (with -v)", errs)

	c.run("s3cret\n", "profile", "add", "evil-cc", "--grant", "client_credentials", "--token-url", srv.URL+"/token",
		"--client-id", "c", "--auth-style", "body", "--client-secret-stdin")
	for _, args := range [][]string{
		{"token", "-p", "evil-cc", "--json"},
		{"status"},
		{"header", "-p", "evil-cc"},
		{"token", "-p", "evil-cc"},
		{"curl", "-p", "evil-cc", "-i", srv.URL + "/api"},
	} {
		out, errs := c.runAny(args...)
		assertSafe(t, strings.Join(args, " ")+" stdout", out)
		assertSafe(t, strings.Join(args, " ")+" stderr", errs)
	}
}
