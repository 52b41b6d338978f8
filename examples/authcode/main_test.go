package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestRun runs the example against its embedded server and checks what it
// prints (the authorization URL holds a random state and port, so this is
// not an Example).
func TestRun(t *testing.T) {
	var buf strings.Builder
	if err := run(context.Background(), &buf); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, buf.String())
	}
	out := buf.String()
	for _, want := range []string{
		`(?m)^send the user to: http://127\.0\.0\.1:\d+/authorize\?.*code_challenge_method=S256.*&state=\w+$`,
		`(?m)^redirected to:    https://app\.example\.com/oauth/callback\?code=…&state=…$`,
		`(?m)^token:            Bearer, scope "profile", refresh token: true$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}
