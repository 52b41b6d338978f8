package testlog

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// Leak reports whether text holds one of the secrets, and which one in which form: as is; for
// secrets of 8 or more bytes also URL-encoded, hex-encoded or printed as a []byte; for 12 or
// more the first 12 characters of its standard and URL-safe base64; for 16 or more its first 12
// characters (a token cut short is still a leak). Empty secrets are ignored.
func Leak(text string, secrets ...string) (secret, form string, ok bool) {
	for _, s := range secrets {
		for _, f := range forms(s) {
			if strings.Contains(text, f) {
				return s, f, true
			}
		}
	}
	return "", "", false
}

// forms returns the ways s could show up in a text.
func forms(s string) []string {
	if s == "" {
		return nil
	}
	out := []string{s}
	if len(s) >= 8 {
		out = append(out, url.QueryEscape(s), hex.EncodeToString([]byte(s)), strings.Trim(fmt.Sprint([]byte(s)), "[]"))
	}
	if len(s) >= 12 {
		out = append(out, base64.StdEncoding.EncodeToString([]byte(s))[:12], base64.RawURLEncoding.EncodeToString([]byte(s))[:12])
	}
	if len(s) >= 16 {
		out = append(out, s[:12])
	}
	return out
}

// NoSecrets reports an error on tb (once per text) when text holds one of the secrets in a
// form [Leak] finds; what names the text in the message.
func NoSecrets(tb testing.TB, what, text string, secrets ...string) {
	tb.Helper()
	if s, f, ok := Leak(text, secrets...); ok {
		tb.Errorf("%s: secret %.20q… (as %.20q…) leaked in %q", what, s, f, truncate(text))
	}
}

func truncate(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}
