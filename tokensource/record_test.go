package tokensource

import (
	"context"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

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
