package record

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

func encode(tok *oauth2.Token) ([]byte, error) { return Encode(Record{Token: tok}) }

func TestRoundTrip(t *testing.T) {
	exp := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	saved := exp.Add(-time.Hour)
	in := (&oauth2.Token{AccessToken: "a%3d", TokenType: "bearer", RefreshToken: "r+/=", Expiry: exp}).
		WithExtra(map[string]any{"scope": "read write", "id_token": "x.y.z", "other": "dropped"})
	data, err := Encode(Record{Token: in, Saved: saved, Version: 42, Identity: "iss sub"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	out := r.Token
	if out.AccessToken != "a%3d" || out.TokenType != "bearer" || out.RefreshToken != "r+/=" || !out.Expiry.Equal(exp) {
		t.Errorf("got %+v; want the encoded token", out)
	}
	if !r.Saved.Equal(saved) || r.Version != 42 || r.Identity != "iss sub" {
		t.Errorf("got saved %v, version %d, identity %q; want %v, 42, %q", r.Saved, r.Version, r.Identity, saved, "iss sub")
	}
	for k, want := range map[string]string{"scope": "read write", "id_token": "x.y.z"} {
		if got := out.Extra(k); got != want {
			t.Errorf("Extra(%q) = %v; want %q", k, got, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, in := range []string{"", "{", "null", `{"v":2,"access_token":"a"}`, `{"v":1}`, `[]`, `{"v":"1"}`, "\x00\xff"} {
		if _, err := Decode([]byte(in)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Decode(%q) = %v; want ErrCorrupt", in, err)
		}
	}
	if _, err := Encode(Record{}); err == nil {
		t.Error("Encode of no token succeeded; want an error")
	}
}

func TestNextVersion(t *testing.T) {
	now := time.Unix(100, 0)
	tests := []struct {
		held uint64
		want uint64
	}{
		{0, 100e9},
		{100e9, 100e9 + 1}, // same nanosecond: still newer
		{200e9, 200e9 + 1}, // clock went backwards: still newer
		{99e9, 100e9},      // older: the clock
	}
	for _, tt := range tests {
		if got := NextVersion(tt.held, now); got != tt.want {
			t.Errorf("NextVersion(%d) = %d; want %d", tt.held, got, tt.want)
		}
	}
}

func TestIdentityOf(t *testing.T) {
	jwt := func(claims string) *oauth2.Token {
		p := strings.TrimRight(b64(claims), "=")
		return (&oauth2.Token{AccessToken: "a"}).WithExtra(map[string]any{"id_token": "h." + p + ".s"})
	}
	tests := []struct {
		name string
		tok  *oauth2.Token
		want string
	}{
		{"nil", nil, ""},
		{"no id_token", &oauth2.Token{AccessToken: "a"}, ""},
		{"subject", jwt(`{"iss":"https://idp","sub":"alice"}`), "https://idp alice"},
		{"no subject", jwt(`{"iss":"https://idp"}`), ""},
		{"garbage", (&oauth2.Token{}).WithExtra(map[string]any{"id_token": "a.%%%.b"}), ""},
	}
	for _, tt := range tests {
		if got := IdentityOf(tt.tok); got != tt.want {
			t.Errorf("%s: IdentityOf = %q; want %q", tt.name, got, tt.want)
		}
	}
}

func b64(s string) string {
	const enc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var b strings.Builder
	for i := 0; i < len(s); i += 3 {
		var n uint32
		k := min(3, len(s)-i)
		for j := 0; j < 3; j++ {
			n <<= 8
			if j < k {
				n |= uint32(s[i+j])
			}
		}
		for j := 0; j <= k; j++ {
			b.WriteByte(enc[(n>>(18-6*j))&63])
		}
	}
	return b.String()
}
func TestExpiry(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	exp := now.Add(time.Hour)
	tests := []struct {
		name string
		tok  *oauth2.Token
		want time.Time
	}{
		{"no refresh token", &oauth2.Token{AccessToken: "a", Expiry: exp}, exp},
		{"refresh token", &oauth2.Token{AccessToken: "a", RefreshToken: "r", Expiry: exp}, time.Time{}},
		{"refresh lifetime", (&oauth2.Token{AccessToken: "a", RefreshToken: "r", Expiry: exp}).WithExtra(map[string]any{"refresh_token_expires_in": float64(86400)}), now.Add(24 * time.Hour)},
		{"refresh lifetime shorter than access", (&oauth2.Token{AccessToken: "a", RefreshToken: "r", Expiry: exp}).WithExtra(map[string]any{"refresh_expires_in": "60"}), exp},
		{"bad refresh lifetime", (&oauth2.Token{AccessToken: "a", RefreshToken: "r", Expiry: exp}).WithExtra(map[string]any{"refresh_expires_in": "-5"}), time.Time{}},
	}
	for _, tt := range tests {
		if got := Expiry(tt.tok, now); !got.Equal(tt.want) {
			t.Errorf("%s: Expiry = %v; want %v", tt.name, got, tt.want)
		}
	}
}

// FuzzDecode feeds arbitrary bytes to the cache record decoder, as a
// corrupt or hostile cache would.
//
// Properties: a record decodes to a token with an access or refresh
// token; any failure matches ErrCorrupt; an error message never
// quotes a string value of the input (which may be a token); a decoded
// record encodes and decodes again to the same token.
func FuzzDecode(f *testing.F) {
	good, _ := encode(&oauth2.Token{AccessToken: "a", RefreshToken: "r"})
	f.Add(good)
	full, _ := Encode(Record{Token: (&oauth2.Token{AccessToken: "accessValue0123", TokenType: "bearer", RefreshToken: "refreshValue0123",
		Expiry: time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)}).WithExtra(map[string]any{"scope": "a b", "id_token": "x.y.z"}),
		Saved: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), Version: 7, Identity: "iss sub"})
	f.Add(full)
	f.Add([]byte(`{"v":1,"access_token":"a","extra":{"scope":"x"}}`))
	f.Add([]byte(`{"v":1,"access_token":"accessValue0123","extra":{"scope":5}}`))
	f.Add([]byte(`{"v":1,"access_token":"accessValue0123","expiry":"accessValue0123"}`))
	f.Add([]byte(`{"v":2,"access_token":"a"}`))
	f.Add([]byte(`{"v":1,"refresh_token":"r","expiry":"0001-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"v":1,"access_token":"a\ud800"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data)
		tok := r.Token
		if err != nil {
			if tok != nil {
				t.Fatal("token and error")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not match ErrCorrupt", err)
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
		again, err := Encode(r)
		if err != nil {
			return // e.g. a year json cannot write; Save is skipped with a warning
		}
		r2, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		assertSameToken(t, tok, r2.Token)
		if !r.Saved.Equal(r2.Saved) || r.Version != r2.Version || r.Identity != r2.Identity {
			t.Fatalf("record %+v became %+v", r, r2)
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
		data, err := encode(tok)
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
		assertSameToken(t, tok, got.Token)
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
