package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestRun runs the example against its embedded server and checks what it
// prints (the user code and the number of polls vary, so this is not an
// Example).
func TestRun(t *testing.T) {
	var buf strings.Builder
	if err := run(context.Background(), &buf); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, buf.String())
	}
	out := buf.String()
	for _, want := range []string{
		`(?m)^On your phone, visit http://127\.0\.0\.1:\d+/device and enter [A-Z]{4}-[A-Z]{4}$`,
		`(?m)^approved after \d+ polls?: Bearer token, scope "profile", expires in 3600 s$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}
