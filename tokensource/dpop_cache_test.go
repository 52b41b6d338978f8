package tokensource

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/internal/record"
)

// boundSource issues DPoP tokens (or Bearer ones when typ says so).
type boundSource struct {
	typ   string
	calls atomic.Int32
}

func (s *boundSource) TokenContext(context.Context) (*oauth2.Token, error) {
	n := s.calls.Add(1)
	return &oauth2.Token{AccessToken: "at-" + itoa(int(n)), TokenType: s.typ, Expiry: time.Now().Add(time.Hour)}, nil
}

func TestCachedRecordKeepsBinding(t *testing.T) {
	keyA, keyB := genKey(t), genKey(t)
	tests := []struct {
		name      string
		writer    Options
		reader    Options
		typ       string
		wantReuse bool
	}{
		{"same DPoP key", Options{DPoP: keyA}, Options{DPoP: keyA}, "DPoP", true},
		{"another DPoP key", Options{DPoP: keyA}, Options{DPoP: keyB}, "DPoP", false},
		{"no DPoP key", Options{DPoP: keyA}, Options{}, "DPoP", false},
		{"Bearer token, any key", Options{DPoP: keyA}, Options{DPoP: keyB}, "Bearer", true},
		{"same certificate", Options{CertThumbprint: "c1"}, Options{CertThumbprint: "c1"}, "Bearer", true},
		{"another certificate", Options{CertThumbprint: "c1"}, Options{CertThumbprint: "c2"}, "Bearer", false},
		{"certificate unknown to the reader", Options{CertThumbprint: "c1"}, Options{}, "Bearer", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := newMemCache()
			w, r := tt.writer, tt.reader
			w.Cache, w.CacheKey = cache, "k"
			r.Cache, r.CacheKey = cache, "k"
			src := &boundSource{typ: tt.typ}
			first := mustToken(t, newTestCached(t, src, newFakeClock(), &w))
			got := mustToken(t, newTestCached(t, src, newFakeClock(), &r))
			if reused := got.AccessToken == first.AccessToken; reused != tt.wantReuse {
				t.Errorf("cached token reused: %v; want %v", reused, tt.wantReuse)
			}
			rec, err := record.Decode(cache.data["k"])
			if err != nil {
				t.Fatal(err)
			}
			if tt.typ == "DPoP" && rec.JKT == "" && r.DPoP != nil {
				t.Error("the record of a DPoP token has no jkt")
			}
		})
	}
}

// dpopFakeSource is fakeSource issuing DPoP tokens.
type dpopFakeSource struct{ *fakeSource }

func (s dpopFakeSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	tok, err := s.issue(ctx, nil)
	if tok != nil {
		tok.TokenType = "DPoP"
	}
	return tok, err
}

func TestTransportDPoPAsyncRefreshWithLock(t *testing.T) {
	clk := newFakeClock()
	src := dpopFakeSource{&fakeSource{clk: clk, life: time.Hour}}
	key := genKey(t)
	cache := lockingCache{newMemCache()}
	c := newTestCached(t, src, clk, &Options{AsyncRefresh: true, ExpiryWindow: 10 * time.Minute, JitterFrac: -1,
		Cache: cache, CacheKey: "k", DPoP: key})
	base := &dpopBase{}
	tr := &Transport{Source: c, Base: base}
	get := func() {
		t.Helper()
		req, _ := http.NewRequest("GET", "https://api.example/x", nil)
		if _, err := tr.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
	}
	get()
	clk.Advance(55 * time.Minute) // into the window: renewed in the background
	get()
	waitFor(t, func() bool { return c.cur.Load().tok.AccessToken == "at-2" })
	get()
	last := len(base.proofs) - 1
	if base.auth[last] != "DPoP at-2" || claimsOf(t, base.proofs[last])["ath"] != athOf("at-2") {
		t.Errorf("after the background refresh: Authorization %q, ath %v; want DPoP at-2 with its ath", base.auth[last], claimsOf(t, base.proofs[last])["ath"])
	}
	if cache.locks == 0 {
		t.Error("the background refresh did not take the cache's lock")
	}
	rec, err := record.Decode(cache.data["k"])
	if err != nil || rec.JKT != key.Thumbprint() || rec.Token.AccessToken != "at-2" {
		t.Errorf("cache record %+v, %v; want at-2 bound to the key", rec, err)
	}
}

func athOf(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
