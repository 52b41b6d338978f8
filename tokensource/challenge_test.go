package tokensource

import (
	"reflect"
	"testing"
)

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		in   string
		want []Challenge
	}{
		{`Bearer realm="api", error="invalid_token", error_description="The access token expired"`,
			[]Challenge{{"Bearer", map[string]string{"realm": "api", "error": "invalid_token", "error_description": "The access token expired"}}}},
		{`Bearer error=invalid_token`, []Challenge{{"Bearer", map[string]string{"error": "invalid_token"}}}},
		{`Basic realm="x", Bearer error="invalid_token"`,
			[]Challenge{{"Basic", map[string]string{"realm": "x"}}, {"Bearer", map[string]string{"error": "invalid_token"}}}},
		{`Bearer`, []Challenge{{"Bearer", map[string]string{}}}},
		{`Bearer realm="a \"quoted\" realm"`, []Challenge{{"Bearer", map[string]string{"realm": `a "quoted" realm`}}}},
		{`BEARER ERROR="invalid_token"`, []Challenge{{"BEARER", map[string]string{"error": "invalid_token"}}}},
		{``, nil},
		{`"unterminated`, []Challenge{{"unterminated", map[string]string{}}}},
		{`Bearer realm="unterminated`, []Challenge{{"Bearer", map[string]string{"realm": "unterminated"}}}},
	}
	for _, tt := range tests {
		got := ParseChallenges(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseChallenges(%q) = %v; want %v", tt.in, got, tt.want)
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
