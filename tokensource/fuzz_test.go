package tokensource

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// Fuzz targets for what this package parses: WWW-Authenticate headers
// from resource servers and cache records from any Cache. Seed corpora
// live in testdata/fuzz/<FuzzName>/ and run as part of go test.

// FuzzParseChallenges checks that ParseChallenges never fails and that
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
		chs := ParseChallenges(s)
		for _, ch := range chs {
			if ch.Scheme == "" || !isToken(ch.Scheme) {
				t.Fatalf("scheme %q from %q", ch.Scheme, s)
			}
			if ch.Params == nil {
				t.Fatalf("nil Params from %q", s)
			}
			for name := range ch.Params {
				if name == "" || !isToken(name) || name != strings.ToLower(name) {
					t.Fatalf("parameter name %q from %q", name, s)
				}
			}
		}
		again := ParseChallenges(formatChallenges(chs))
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
func formatChallenges(chs []Challenge) string {
	var b strings.Builder
	for i, ch := range chs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(ch.Scheme)
		first := true
		for name, val := range ch.Params {
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

// FuzzDecode feeds arbitrary bytes to the cache record decoder, as a
// corrupt or hostile cache would.
//
// Properties: a record decodes to a token with an access or refresh
// token; any failure matches ErrCorruptRecord; an error message never
// quotes a string value of the input (which may be a token); a decoded
// record encodes and decodes again to the same token.
func FuzzDecode(f *testing.F) {
	good, _ := Encode(&oauth2.Token{AccessToken: "a", RefreshToken: "r"})
	f.Add(good)
	full, _ := encodeAt((&oauth2.Token{AccessToken: "accessValue0123", TokenType: "bearer", RefreshToken: "refreshValue0123",
		Expiry: time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)}).WithExtra(map[string]any{"scope": "a b", "id_token": "x.y.z"}),
		time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	f.Add(full)
	f.Add([]byte(`{"v":1,"access_token":"a","extra":{"scope":"x"}}`))
	f.Add([]byte(`{"v":1,"access_token":"accessValue0123","extra":{"scope":5}}`))
	f.Add([]byte(`{"v":1,"access_token":"accessValue0123","expiry":"accessValue0123"}`))
	f.Add([]byte(`{"v":2,"access_token":"a"}`))
	f.Add([]byte(`{"v":1,"refresh_token":"r","expiry":"0001-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"v":1,"access_token":"a\ud800"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, saved, err := decodeRecord(data)
		if err != nil {
			if tok != nil {
				t.Fatal("token and error")
			}
			if !errors.Is(err, ErrCorruptRecord) {
				t.Fatalf("error %v does not match ErrCorruptRecord", err)
			}
			for _, v := range stringValues(data) {
				if len(v) >= 8 && strings.Contains(err.Error(), v) {
					t.Fatalf("error %q quotes input value %q", err, v)
				}
			}
			return
		}
		if tok == nil || tok.AccessToken == "" && tok.RefreshToken == "" {
			t.Fatalf("decoded an empty token from %q", data)
		}
		again, err := encodeAt(tok, saved)
		if err != nil {
			return // e.g. a year json cannot write; Save is skipped with a warning
		}
		tok2, saved2, err := decodeRecord(again)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		assertSameToken(t, tok, tok2)
		if !saved.Equal(saved2) {
			t.Fatalf("saved %v became %v", saved, saved2)
		}
	})
}

// stringValues returns every string in data that is a JSON string value,
// when data is valid JSON.
func stringValues(data []byte) []string {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// FuzzRecordRoundTrip checks that Encode then Decode gives back every
// field the record keeps: the access, refresh and ID tokens, token type,
// expiry and scope. Encode refuses what it cannot keep (rather than
// storing a different token).
func FuzzRecordRoundTrip(f *testing.F) {
	f.Add("accessValue", "bearer", "refreshValue", int64(1795435200), int64(5), "read write", "x.y.z")
	f.Add("", "", "r", int64(0), int64(0), "", "")
	f.Add("a", "Bearer", "", int64(-62135596800), int64(0), "", "")
	f.Add("a\xff", "", "r\xfe", int64(1), int64(0), "s\xff", "")
	f.Add("a", "", "", int64(253402300800), int64(0), "", "")
	f.Fuzz(func(t *testing.T, at, tt, rt string, sec, nsec int64, scope, idToken string) {
		tok := &oauth2.Token{AccessToken: at, TokenType: tt, RefreshToken: rt}
		if sec != 0 || nsec != 0 {
			tok.Expiry = time.Unix(sec, nsec%1e9)
		}
		extra := map[string]any{}
		if scope != "" {
			extra["scope"] = scope
		}
		if idToken != "" {
			extra["id_token"] = idToken
		}
		tok = tok.WithExtra(extra)
		data, err := Encode(tok)
		if err != nil {
			if at != "" || rt != "" {
				valid := utf8.ValidString(at) && utf8.ValidString(tt) && utf8.ValidString(rt) &&
					utf8.ValidString(scope) && utf8.ValidString(idToken)
				if valid && tok.Expiry.Year() >= 0 && tok.Expiry.Year() <= 9999 {
					t.Fatalf("Encode refused a valid token: %v", err)
				}
			}
			return
		}
		if at == "" && rt == "" {
			t.Fatal("Encode accepted an empty token")
		}
		got, err := Decode(data)
		if err != nil {
			t.Fatalf("Decode(Encode(tok)): %v", err)
		}
		assertSameToken(t, tok, got)
	})
}

func assertSameToken(t *testing.T, want, got *oauth2.Token) {
	t.Helper()
	if got.AccessToken != want.AccessToken || got.TokenType != want.TokenType || got.RefreshToken != want.RefreshToken {
		t.Fatalf("got %q/%q/%q; want %q/%q/%q", got.AccessToken, got.TokenType, got.RefreshToken,
			want.AccessToken, want.TokenType, want.RefreshToken)
	}
	if !got.Expiry.Equal(want.Expiry) {
		t.Fatalf("expiry %v; want %v", got.Expiry, want.Expiry)
	}
	for _, k := range []string{"scope", "id_token"} {
		if extraString(got, k) != extraString(want, k) {
			t.Fatalf("Extra(%q) = %q; want %q", k, extraString(got, k), extraString(want, k))
		}
	}
}
