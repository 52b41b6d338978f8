package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"
)

// TestRun runs the quick start and checks that every step passed and that
// the report shows no secret, password or whole token.
func TestRun(t *testing.T) {
	var (
		mu     sync.Mutex
		tokens []string
	)
	onToken := func(tok *oauth2.Token) {
		mu.Lock()
		defer mu.Unlock()
		tokens = append(tokens, tok.AccessToken)
		if tok.RefreshToken != "" {
			tokens = append(tokens, tok.RefreshToken)
		}
	}
	var out bytes.Buffer
	err := run(context.Background(), &out, onToken)
	report := out.String()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, report)
	}

	steps := 0
	for line := range strings.Lines(report) {
		switch {
		case strings.HasPrefix(line, "  ✗"):
			t.Errorf("failed step: %s", line)
		case strings.HasPrefix(line, "  ✓"):
			steps++
		}
	}
	if !strings.Contains(report, "✓ all ") || strings.Contains(report, "✗") {
		t.Errorf("report does not end with every step passed:\n%s", report)
	}
	for _, p := range providers {
		if !strings.Contains(report, "── "+p.name+" ") {
			t.Errorf("report has no section %q", p.name)
		}
	}
	for _, step := range []string{"401 → renew → retry", "reuse detection", "ask for write", "implicit", "device_code"} {
		if !strings.Contains(report, "✓ "+step+" ") {
			t.Errorf("report has no passed step %q", step)
		}
	}
	if steps < 30 {
		t.Errorf("%d steps passed; want at least 30", steps)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(tokens) < 20 {
		t.Errorf("saw %d token values; want every access and refresh token obtained (at least 20)", len(tokens))
	}
	for _, s := range secrets() {
		if strings.Contains(report, s) {
			t.Errorf("report shows the secret or password %q", s)
		}
	}
	for _, tok := range tokens {
		if strings.Contains(report, tok) {
			t.Errorf("report shows a whole token (%s)", redact(tok))
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "(none)"},
		{"abc", "…(3 chars)"},
		{"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9", "eyJhbGciO…(36 chars)"},
		{strings.Repeat("x", 412), strings.Repeat("x", 10) + "…(412 chars)"},
	}
	for _, tt := range tests {
		if got := redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestChallengeParams(t *testing.T) {
	got := challengeParams(`Bearer realm="oauth2test", error="invalid_token", error_description="access token expired"`)
	if got["error"] != "invalid_token" || got["error_description"] != "access token expired" || got["realm"] != "oauth2test" {
		t.Errorf("got %v", got)
	}
}

func TestReportMarksFailures(t *testing.T) {
	var out bytes.Buffer
	r := &report{w: &out}
	r.ok("good", "fine")
	if err := r.fail("bad", errors.New("boom")); err == nil || err.Error() != "boom" {
		t.Errorf("fail returned %v; want its error", err)
	}
	r.summary()
	got := out.String()
	for _, want := range []string{"  ✓ good ", "  ✗ bad ", "boom", "✗ 1 of 2 steps failed"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
}
