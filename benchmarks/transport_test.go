package benchmarks

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/tokenward/tokenward/tokensource"
)

// Scenario 2: per-request overhead of each library's token-injecting
// http.RoundTripper over a no-op one. Target: tokenward at most 0.8× of
// x/oauth2, and within 10% of the floor.

// floorTransport is the least work a RoundTripper that injects a cached
// token can do without modifying the caller's request: one atomic load of
// a prebuilt header value, a shallow copy of the request with a copied
// header map, and one header set.
type floorTransport struct {
	hdr  atomic.Pointer[[]string]
	base http.RoundTripper
}

func newFloorTransport(token string, base http.RoundTripper) *floorTransport {
	t := &floorTransport{base: base}
	hdr := []string{"Bearer " + token}
	t.hdr.Store(&hdr)
	return t
}

func (t *floorTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	hdr := *t.hdr.Load()
	r2 := new(http.Request)
	*r2 = *req
	h := make(http.Header, len(req.Header)+1)
	for k, v := range req.Header {
		h[k] = v
	}
	h["Authorization"] = hdr
	r2.Header = h
	return t.base.RoundTrip(r2)
}

// benchRequest is a typical API request: a GET with two headers.
func benchRequest(tb testing.TB) *http.Request {
	req, err := http.NewRequest(http.MethodGet, "https://api.example.com/v1/things?id=1", nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "bench")
	return req
}

// rtFunc adapts a function to http.RoundTripper.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// transports returns each implementation over base, with a cached
// hour-long token.
func transports(tb testing.TB, base http.RoundTripper) []struct {
	name string
	rt   http.RoundTripper
} {
	tw, xo, ga := newStaticCached(tb)
	return []struct {
		name string
		rt   http.RoundTripper
	}{
		{implFloor, newFloorTransport(benchAccessToken, base)},
		{implTokenward, &tokensource.Transport{Source: tw, Base: base}},
		{implXOAuth2, xoauth2Lib(xo).transport(base)},
		{implGoogle, googleLib(implGoogle, ga).transport(base)},
	}
}

func BenchmarkTransport(b *testing.B) {
	base := noopRT{&http.Response{StatusCode: 200, Body: http.NoBody}}
	req := benchRequest(b)
	impls := transports(b, base)
	for _, mode := range []string{"serial", "parallel"} {
		for _, impl := range impls {
			b.Run("mode="+mode+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				if mode == "serial" {
					for b.Loop() {
						if _, err := impl.rt.RoundTrip(req); err != nil {
							b.Fatal(err)
						}
					}
					return
				}
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						impl.rt.RoundTrip(req)
					}
				})
			})
		}
	}
}

// TestTransports checks that every benchmarked RoundTripper sends
// "Authorization: Bearer <token>" and leaves the caller's request alone,
// so that the floor does the same work as the libraries.
func TestTransports(t *testing.T) {
	var got *http.Request
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		got = r
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	})
	for _, impl := range transports(t, base) {
		req := benchRequest(t)
		got = nil
		if _, err := impl.rt.RoundTrip(req); err != nil {
			t.Fatalf("%s: %v", impl.name, err)
		}
		if got == nil || got.Header.Get("Authorization") != "Bearer "+benchAccessToken {
			t.Errorf("%s: sent Authorization %q", impl.name, got.Header.Get("Authorization"))
		}
		if req.Header.Get("Authorization") != "" {
			t.Errorf("%s modified the caller's request", impl.name)
		}
		if got.Header.Get("Accept") != "application/json" {
			t.Errorf("%s dropped a header", impl.name)
		}
	}
}
