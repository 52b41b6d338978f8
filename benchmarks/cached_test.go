package benchmarks

import (
	"context"
	"net/http"
	"testing"
	"time"

	"cloud.google.com/go/auth"
	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/tokensource"
)

// Scenario 1: reading a cached, valid token, serial and parallel.
// Target: tokenward at least 10× faster than x/oauth2's ReuseTokenSource,
// with 0 allocations.

const benchAccessToken = "access-token-value"

func validToken() *oauth2.Token {
	return &oauth2.Token{AccessToken: benchAccessToken, TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
}

// staticProvider is an auth.TokenProvider that returns an hour-long token.
type staticProvider struct{}

func (staticProvider) Token(context.Context) (*auth.Token, error) {
	return &auth.Token{Value: benchAccessToken, Type: "Bearer", Expiry: time.Now().Add(time.Hour)}, nil
}

// newStaticCached returns each library's cache, primed with an hour-long
// token.
func newStaticCached(tb testing.TB) (*tokensource.Cached, oauth2.TokenSource, auth.TokenProvider) {
	ctx := context.Background()
	tw := tokensource.New(tokensource.FromOAuth2(oauth2.StaticTokenSource(validToken())), nil)
	xo := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(validToken()))
	ga := auth.NewCachedTokenProvider(staticProvider{}, &auth.CachedTokenProviderOptions{})
	if _, err := tw.TokenContext(ctx); err != nil {
		tb.Fatal(err)
	}
	if _, err := xo.Token(); err != nil {
		tb.Fatal(err)
	}
	if _, err := ga.Token(ctx); err != nil {
		tb.Fatal(err)
	}
	return tw, xo, ga
}

// BenchmarkCachedToken reads a cached token. Each library is called
// directly (no function value in between), as an application would.
func BenchmarkCachedToken(b *testing.B) {
	ctx := context.Background()
	tw, xo, ga := newStaticCached(b)
	impls := []struct {
		name     string
		serial   func(b *testing.B)
		parallel func(pb *testing.PB)
	}{
		{
			name: implTokenward,
			serial: func(b *testing.B) {
				for b.Loop() {
					if _, err := tw.TokenContext(ctx); err != nil {
						b.Fatal(err)
					}
				}
			},
			parallel: func(pb *testing.PB) {
				for pb.Next() {
					tw.TokenContext(ctx)
				}
			},
		},
		{
			name: implXOAuth2,
			serial: func(b *testing.B) {
				for b.Loop() {
					if _, err := xo.Token(); err != nil {
						b.Fatal(err)
					}
				}
			},
			parallel: func(pb *testing.PB) {
				for pb.Next() {
					xo.Token()
				}
			},
		},
		{
			name: implGoogle,
			serial: func(b *testing.B) {
				for b.Loop() {
					if _, err := ga.Token(ctx); err != nil {
						b.Fatal(err)
					}
				}
			},
			parallel: func(pb *testing.PB) {
				for pb.Next() {
					ga.Token(ctx)
				}
			},
		},
	}
	for _, impl := range impls {
		b.Run("mode=serial/impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			impl.serial(b)
		})
	}
	for _, impl := range impls {
		b.Run("mode=parallel/impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(impl.parallel)
		})
	}
}

// noopRT answers every request with the same response, without I/O.
type noopRT struct{ resp *http.Response }

func (n noopRT) RoundTrip(*http.Request) (*http.Response, error) { return n.resp, nil }
