package tokensource

import (
	"reflect"
	"strings"
	"testing"
)

// Fuzz targets for what this package parses: WWW-Authenticate headers
// from resource servers and cache records from any Cache. Seed corpora
// live in testdata/fuzz/<FuzzName>/ and run as part of go test.

// FuzzParseChallenges checks that parseChallenges never fails and that
// what it returns is well formed and stable: every scheme and parameter
// name is a non-empty token, names are lower-case, and serializing the
// result and parsing it again gives the same challenges.
func FuzzParseChallenges(f *testing.F) {
	for _, s := range []string{
		`Bearer realm="api", error="invalid_token"`,
		`Basic realm="x", Bearer`,
		`Negotiate abc==`,
		`"`,
		`a=b=c,,,="`,
		`Bearer realm="a \"quoted\" realm", error_description="x\\y"`,
		`Bearer error=invalid_token, Basic realm=x charset="UTF-8"`,
		"Bearer\terror=\"insufficient_scope\",scope=\"read write\"",
		`Digest username="u", realm="r", nonce="n", uri="/", response="abc"`,
		`BEARER ERROR="invalid_token"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		chs := parseChallenges(s)
		for _, ch := range chs {
			if ch.scheme == "" || !isToken(ch.scheme) {
				t.Fatalf("scheme %q from %q", ch.scheme, s)
			}
			if ch.params == nil {
				t.Fatalf("nil Params from %q", s)
			}
			for name := range ch.params {
				if name == "" || !isToken(name) || name != strings.ToLower(name) {
					t.Fatalf("parameter name %q from %q", name, s)
				}
			}
		}
		again := parseChallenges(formatChallenges(chs))
		if len(chs) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(chs, again) {
			t.Fatalf("round trip of %q:\n got %q\nthen %q", s, chs, again)
		}
	})
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// formatChallenges writes challenges as a WWW-Authenticate value with
// every parameter value quoted.
func formatChallenges(chs []challenge) string {
	var b strings.Builder
	for i, ch := range chs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(ch.scheme)
		first := true
		for name, val := range ch.params {
			if first {
				b.WriteByte(' ')
				first = false
			} else {
				b.WriteString(", ")
			}
			b.WriteString(name + `="`)
			for j := 0; j < len(val); j++ {
				if val[j] == '"' || val[j] == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(val[j])
			}
			b.WriteByte('"')
		}
	}
	return b.String()
}
