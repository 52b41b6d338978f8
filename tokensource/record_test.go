package tokensource

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestRecordRoundTrip(t *testing.T) {
	exp := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	in := (&oauth2.Token{AccessToken: "a", TokenType: "bearer", RefreshToken: "r", Expiry: exp}).
		WithExtra(map[string]any{"scope": "read write", "id_token": "x.y.z", "other": "dropped"})
	data, err := Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if out.AccessToken != "a" || out.TokenType != "bearer" || out.RefreshToken != "r" || !out.Expiry.Equal(exp) {
		t.Errorf("got %+v; want the encoded token", out)
	}
	for k, want := range map[string]string{"scope": "read write", "id_token": "x.y.z"} {
		if got := out.Extra(k); got != want {
			t.Errorf("Extra(%q) = %v; want %q", k, got, want)
		}
	}
}

func TestRecordDecodeErrors(t *testing.T) {
	for _, in := range []string{"", "{", "null", `{"v":2,"access_token":"a"}`, `{"v":1}`, `[]`, `{"v":"1"}`, "\x00\xff"} {
		if _, err := Decode([]byte(in)); !errors.Is(err, ErrCorruptRecord) {
			t.Errorf("Decode(%q) = %v; want ErrCorruptRecord", in, err)
		}
	}
	if _, err := Encode(nil); err == nil {
		t.Error("Encode(nil) succeeded; want an error")
	}
}

func TestCacheExpiry(t *testing.T) {
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
		if got := cacheExpiry(tt.tok, now); !got.Equal(tt.want) {
			t.Errorf("%s: cacheExpiry = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestSaveIsFoundByCached(t *testing.T) {
	cache := newMemCache()
	tok := &oauth2.Token{AccessToken: "from-login", RefreshToken: "rt", Expiry: time.Now().Add(time.Hour)}
	if err := Save(context.Background(), cache, "profile", tok); err != nil {
		t.Fatal(err)
	}
	if exp := cache.expiry["profile"]; !exp.IsZero() {
		t.Errorf("expiry with a refresh token = %v; want zero (keep)", exp)
	}
	src := &fakeSource{clk: newFakeClock(), life: time.Hour}
	c := New(src, &Options{Cache: cache, CacheKey: "profile"})
	got, err := c.TokenContext(context.Background())
	if err != nil || got.AccessToken != "from-login" || src.calls.Load() != 0 {
		t.Fatalf("got %v, %v after %d source calls; want the saved token and no source call", got, err, src.calls.Load())
	}
}
