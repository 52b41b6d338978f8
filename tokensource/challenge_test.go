package tokensource

import (
	"reflect"
	"testing"
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
