package main

import (
	"context"
	"regexp"
	"testing"

	"github.com/tokenward/tokenward/internal/stdoutcapture"
)

// TestRun runs the example against its embedded server and checks what it
// prints (the user code and the number of polls vary, so this is not an
// Example).
func TestRun(t *testing.T) {
	out := stdoutcapture.Run(t, func() error { return run(context.Background()) })
	for _, want := range []string{
		`(?m)^On your phone, visit http://127\.0\.0\.1:\d+/device and enter [A-Z]{4}-[A-Z]{4}$`,
		`(?m)^approved after \d+ polls?: Bearer token, scope "profile", expires in 3600 s$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}
