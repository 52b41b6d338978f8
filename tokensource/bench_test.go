package tokensource

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// These benchmarks run tokenward side by side with golang.org/x/oauth2:
//
//	go test -run '^$' -bench . -benchmem ./tokensource/

func validToken() *oauth2.Token {
	return &oauth2.Token{AccessToken: "access-token-value", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
}

func BenchmarkCachedToken(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=tokenward/serial", func(b *testing.B) {
		c := New(FromOAuth2(oauth2.StaticTokenSource(validToken())), nil)
		c.TokenContext(ctx)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.TokenContext(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=x-oauth2/serial", func(b *testing.B) {
		ts := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(validToken()))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ts.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=tokenward/parallel", func(b *testing.B) {
		c := New(FromOAuth2(oauth2.StaticTokenSource(validToken())), nil)
		c.TokenContext(ctx)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.TokenContext(ctx)
			}
		})
	})
	b.Run("impl=x-oauth2/parallel", func(b *testing.B) {
		ts := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(validToken()))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				ts.Token()
			}
		})
	})
}

// noopRT answers every request without I/O.
type noopRT struct{ resp *http.Response }

func (n noopRT) RoundTrip(*http.Request) (*http.Response, error) { return n.resp, nil }

func BenchmarkTransport(b *testing.B) {
	base := noopRT{&http.Response{StatusCode: 200, Body: http.NoBody}}
	req, _ := http.NewRequest("GET", "https://api.example.com/v1/things?id=1", nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "bench")
	tw := &Transport{Source: New(FromOAuth2(oauth2.StaticTokenSource(validToken())), nil), Base: base}
	xo := &oauth2.Transport{Source: oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(validToken())), Base: base}
	for _, impl := range []struct {
		name string
		rt   http.RoundTripper
	}{{"tokenward", tw}, {"x-oauth2", xo}} {
		b.Run("impl="+impl.name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := impl.rt.RoundTrip(req); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("impl="+impl.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					impl.rt.RoundTrip(req)
				}
			})
		})
	}
}

// slowSource issues tokens of a fixed lifetime after a fixed latency, like
// a remote token endpoint.
type slowSource struct {
	life, latency time.Duration
}

func (s slowSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	return s.Token()
}

func (s slowSource) Token() (*oauth2.Token, error) {
	time.Sleep(s.latency)
	return &oauth2.Token{AccessToken: "t", Expiry: time.Now().Add(s.life)}, nil
}

// BenchmarkRefreshBoundary sends a steady stream of token requests that
// crosses several token renewals (lifetime 1s, endpoint latency 100ms) and
// reports the p99 and max latency of getting a token, for tokenward with
// AsyncRefresh, x/oauth2's ReuseTokenSource, and a static token (the
// floor).
func BenchmarkRefreshBoundary(b *testing.B) {
	src := slowSource{life: time.Second, latency: 100 * time.Millisecond}
	static := New(FromOAuth2(oauth2.StaticTokenSource(validToken())), nil)
	async := New(src, &Options{AsyncRefresh: true, ExpiryWindow: 300 * time.Millisecond})
	reuse := oauth2.ReuseTokenSource(nil, src)
	impls := []struct {
		name string
		get  func() error
	}{
		{"static", func() error { _, err := static.TokenContext(context.Background()); return err }},
		{"tokenward-async", func() error { _, err := async.TokenContext(context.Background()); return err }},
		{"x-oauth2", func() error { _, err := reuse.Token(); return err }},
	}
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			if err := impl.get(); err != nil { // the first token is not a renewal
				b.Fatal(err)
			}
			var lat []time.Duration
			for b.Loop() {
				lat = lat[:0]
				// 3s at one request per 2ms: 1500 requests, three renewals.
				tick := time.NewTicker(2 * time.Millisecond)
				end := time.Now().Add(3 * time.Second)
				for now := range tick.C {
					if now.After(end) {
						break
					}
					start := time.Now()
					if err := impl.get(); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
				}
				tick.Stop()
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(lat[len(lat)*999/1000].Microseconds()), "p99.9-µs")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
		})
	}
}
