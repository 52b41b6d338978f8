package tokensource

import (
	"context"
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
