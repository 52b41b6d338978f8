package testlog_test

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/tokenward/tokenward/internal/testlog"
)

func TestLeak(t *testing.T) {
	const secret = "tok%3dA+b/c-0123456789" // 22 bytes, as the seeds' tokens: %3d, + and /
	tests := []struct {
		name, text string
		want       bool
	}{
		{"as is", "Bearer " + secret, true},
		{"url-encoded", "q=" + url.QueryEscape(secret), true},
		{"hex", hex.EncodeToString([]byte(secret)), true},
		{"byte slice", fmt.Sprint([]byte(secret)), true},
		{"base64 prefix", base64.StdEncoding.EncodeToString([]byte(secret)), true},
		{"base64url prefix", base64.RawURLEncoding.EncodeToString([]byte(secret)), true},
		{"cut short", "token " + secret[:12] + "…", true},
		{"eleven characters", "token " + secret[:11], false},
		{"redacted", "Bearer [REDACTED]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, got := testlog.Leak(tt.text, "", secret)
			if got != tt.want {
				t.Errorf("Leak(%q): got %t; want %t", tt.text, got, tt.want)
			}
		})
	}
}

// fakeTB records Errorf.
type fakeTB struct {
	testing.TB
	errs []string
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Errorf(format string, a ...any) { f.errs = append(f.errs, fmt.Sprintf(format, a...)) }

// TestNewCapturesTextAndJSON logs a secret at debug level: both renderings land in the buffer,
// and NoSecrets reports the text once.
func TestNewCapturesTextAndJSON(t *testing.T) {
	log, buf := testlog.New()
	log.Debug("refreshed", "token", "s3cret-value-xyz")
	out := buf.String()
	if !strings.Contains(out, `level=DEBUG msg=refreshed token=s3cret-value-xyz`) || !strings.Contains(out, `"token":"s3cret-value-xyz"`) {
		t.Fatalf("buffer lacks the text or JSON record:\n%s", out)
	}
	f := &fakeTB{TB: t}
	testlog.NoSecrets(f, "logs", out, "s3cret-value-xyz")
	if len(f.errs) != 1 || !strings.Contains(f.errs[0], "logs: secret") {
		t.Errorf("NoSecrets reported %q; want one error naming the text", f.errs)
	}
}
