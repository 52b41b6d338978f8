package tokensource

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		in   string
		want []challenge
	}{
		{`Bearer realm="api", error="invalid_token", error_description="The access token expired"`,
			[]challenge{{"Bearer", map[string]string{"realm": "api", "error": "invalid_token", "error_description": "The access token expired"}}}},
		{`Bearer error=invalid_token`, []challenge{{"Bearer", map[string]string{"error": "invalid_token"}}}},
		{`Basic realm="x", Bearer error="invalid_token"`,
			[]challenge{{"Basic", map[string]string{"realm": "x"}}, {"Bearer", map[string]string{"error": "invalid_token"}}}},
		{`Bearer`, []challenge{{"Bearer", map[string]string{}}}},
		{`Bearer realm="a \"quoted\" realm"`, []challenge{{"Bearer", map[string]string{"realm": `a "quoted" realm`}}}},
		{`BEARER ERROR="invalid_token"`, []challenge{{"BEARER", map[string]string{"error": "invalid_token"}}}},
		{``, nil},
		{`"unterminated`, []challenge{{"unterminated", map[string]string{}}}},
		{`Bearer realm="unterminated`, []challenge{{"Bearer", map[string]string{"realm": "unterminated"}}}},
	}
	for _, tt := range tests {
		got := parseChallenges(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseChallenges(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestInvalidTokenChallenge(t *testing.T) {
	tests := []struct {
		values []string
		want   bool
	}{
		{[]string{`Bearer error="invalid_token"`}, true},
		{[]string{`Basic realm="x"`, `Bearer error="invalid_token"`}, true},
		{[]string{`Bearer error="insufficient_scope"`}, false},
		{[]string{`Basic error="invalid_token"`}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := invalidTokenChallenge(tt.values); got != tt.want {
			t.Errorf("invalidTokenChallenge(%q) = %v; want %v", tt.values, got, tt.want)
		}
	}
}

// A hostile WWW-Authenticate header is parsed in linear time, capped.
func TestParseChallengesHostileHeaderIsQuick(t *testing.T) {
	const size = 2 << 20
	tests := map[string]string{
		"padding":    "Bearer error=" + strings.Repeat("=", size),
		"schemes":    strings.Repeat("a ", size/2),
		"params":     "Bearer " + strings.Repeat("a=b,", size/4),
		"challenges": strings.Repeat("Bearer a=b, ", size/12),
		"quoted":     `Bearer error="` + strings.Repeat(`\"`, size/2),
	}
	for name, h := range tests {
		start := time.Now()
		got := parseChallenges(h)
		ok := invalidTokenChallenge([]string{h, h, h})
		d := time.Since(start)
		t.Logf("%s: 2 MiB header parsed in %v", name, d)
		// A generous bound that only a quadratic parser misses (it took
		// over 20 s on such a header); the cap is checked exactly below.
		if d > time.Second {
			t.Errorf("%s: took %v; want linear and capped (well under 1s)", name, d)
		}
		if want := parseChallenges(h[:maxChallengeBytes]); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: parsed past the %d-byte cap", name, maxChallengeBytes)
		}
		if len(got) > maxChallenges || ok {
			t.Errorf("%s: %d challenges, invalid_token %v; want at most %d and false", name, len(got), ok, maxChallenges)
		}
		for _, ch := range got {
			if len(ch.params) > maxChallengeParams {
				t.Errorf("%s: %d params; want at most %d", name, len(ch.params), maxChallengeParams)
			}
		}
	}
}
