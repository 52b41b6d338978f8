package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tokenward/tokenward/client"
)

// TestIntrospectionOutputIsSanitised: every string of an introspection
// answer (member names of extras included) reaches the terminal without
// control characters, in both output forms.
func TestIntrospectionOutputIsSanitised(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	in := &client.Introspection{
		Active: true, Scope: "read\x1b]52;c;ZXZpbA==\x07", ClientID: "svc\r\nforged: line", Subject: "u\x1b[2J",
		Audience: []string{"https://api.example.com", "b\x00"}, Expiry: now.Add(time.Hour), IssuedAt: now.Add(-time.Minute),
		Extra: map[string]any{"vendor\x1b[31m": "x\x9b31m", "cnf": map[string]any{"jkt": "abc"}},
	}
	var out bytes.Buffer
	if err := writeIntrospection(&out, in, now); err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(introspectionJSON(in), "", "  ")
	for name, text := range map[string]string{"text": out.String(), "json": safeJSON(b)} {
		for _, c := range []string{"\x1b", "\x07", "\x00", "\x9b", "\r"} {
			if strings.Contains(text, c) {
				t.Errorf("%s output holds %q:\n%s", name, c, text)
			}
		}
		if strings.Contains(text, "\nforged: line") {
			t.Errorf("%s output: a server string started a line:\n%s", name, text)
		}
	}
	for _, want := range []string{"active:", "true", "exp:", "(1h0m0s from now)", "iat:", "(1m0s ago)", `{"jkt":"abc"}`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, out.String())
		}
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil || got["exp"] != float64(now.Add(time.Hour).Unix()) || got["active"] != true {
		t.Errorf("json output: %v %v", got, err)
	}
	// Inactive is a value.
	out.Reset()
	writeIntrospection(&out, &client.Introspection{}, now)
	if strings.TrimSpace(out.String()) != "active: false" {
		t.Errorf("inactive: %q", out.String())
	}
}

func TestIntrospectReadsTheTokenFromStdin(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("", "profile", "add", "i", "--token-url", "https://as.example.com/token", "--grant", "client_credentials",
		"--client-id", "c", "--client-secret-env", "HOME")
	// No introspection endpoint: the token was read (no usage error) and
	// the profile is what is missing.
	for _, args := range [][]string{{"introspect", "-p", "i"}, {"introspect", "-p", "i", "-"}} {
		code, _, errs := e.run("opaque-token\n", args...)
		if code != ExitConfig || !strings.Contains(errs, "no introspection endpoint") || strings.Contains(errs, "opaque-token") {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
	if code, _, errs := e.run("", "introspect", "-p", "i"); code != ExitUsage || !strings.Contains(errs, "no token on stdin") {
		t.Errorf("empty stdin: exit %d, %q", code, errs)
	}
	code, _, errs := e.run("", "introspect", "-p", "i", "argv-token")
	if code != ExitConfig || !strings.Contains(errs, "visible in the process list") || strings.Contains(errs, "argv-token") {
		t.Errorf("token in argv: exit %d, %q", code, errs)
	}
}
