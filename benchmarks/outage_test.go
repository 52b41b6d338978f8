package benchmarks

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Scenario 6: an outage of the token endpoint, scaled down 10×. Tokens
// live 12 s and every library renews 5.5 s before expiry. With 6 s left
// (the real-world case: 60 s), the endpoint goes down for 3 s (30 s):
// every connection is reset, and every library's first renewal falls in
// the outage. Then it answers 503 with "Retry-After: 1"
// for 6 s, across the tokens' expiry, and recovers for the last 5 s.
// API requests arrive at 50/s per library throughout.
//
// Targets: 100% of API requests succeed while the endpoint is down (the
// tokens are valid throughout); and no request storm: during the 503
// phase, about one token request per Retry-After, not one per API
// request. Success is also reported for the other phases: "503-valid"
// still has a valid token (on the server's clock), "503-expired" has none.
//
// tokenward runs twice, with its default synchronous renewal and with
// AsyncRefresh. The four runs go at the same time, each with its own
// authorization server and gate.

// Timeline, from the moment the first token was obtained.
const (
	outageLife       = 12 * time.Second
	outageWindow     = 5500 * time.Millisecond
	outageDownAt     = 6 * time.Second
	outageDownFor    = 3 * time.Second
	outageUnavailFor = 6 * time.Second
	outageRecoverFor = 5 * time.Second
	outageRetryAfter = 1 // seconds
	outageRate       = 50
	// outageLoadFrom is when the API load starts: the first seconds of
	// the token's life are uneventful.
	outageLoadFrom = 5 * time.Second
)

// gate modes.
const (
	gateUp          = iota // forward to the authorization server
	gateDown               // reset every connection
	gateUnavailable        // 503 with Retry-After
	gateModes
)

// gate stands in front of a token endpoint and can take it down.
type gate struct {
	mode     atomic.Int32
	requests [gateModes]atomic.Int64 // token requests (down: connections) per mode
	start    time.Time               // of the timeline
	mu       sync.Mutex
	log      []string // what reached the gate, when
	proxy    *httputil.ReverseProxy
	srv      *http.Server
	url      string
}

func newGate(tb testing.TB, target string) *gate {
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	g := &gate{proxy: httputil.NewSingleHostReverseProxy(u), url: "http://" + ln.Addr().String(), start: time.Now()}
	g.srv = &http.Server{Handler: g}
	go g.srv.Serve(resetListener{ln, g})
	tb.Cleanup(func() { g.srv.Close() })
	return g
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := g.mode.Load()
	g.count(m)
	switch m {
	case gateUp:
		g.proxy.ServeHTTP(w, r)
	case gateUnavailable:
		w.Header().Set("Retry-After", strconv.Itoa(outageRetryAfter))
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
	default: // a kept-alive connection while down
		reset(w)
	}
}

// count records a token request (or, while down, a connection).
func (g *gate) count(mode int32) {
	g.requests[mode].Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.log = append(g.log, fmt.Sprintf("%.2fs:%s", time.Since(g.start).Seconds(), [...]string{"up", "down", "503"}[mode]))
}

// reset drops the connection under w with a TCP reset.
func reset(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// resetListener resets new connections while its gate is down.
type resetListener struct {
	net.Listener
	g *gate
}

func (l resetListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || l.g.mode.Load() != gateDown {
			return c, err
		}
		l.g.count(gateDown)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		c.Close()
	}
}

// outagePhases name the parts of the timeline for the report.
var outagePhases = []struct {
	name     string
	from, to time.Duration // since the first token
}{
	{"before", outageLoadFrom, outageDownAt},
	{"down", outageDownAt, outageDownAt + outageDownFor},
	{"503-valid", outageDownAt + outageDownFor, outageLife},
	{"503-expired", outageLife, outageDownAt + outageDownFor + outageUnavailFor},
	{"recovered", outageDownAt + outageDownFor + outageUnavailFor, outageDownAt + outageDownFor + outageUnavailFor + outageRecoverFor},
}

// outageResult is one library's run.
type outageResult struct {
	ok, total [5]int           // API requests per phase of outagePhases
	slowest   [5]time.Duration // the slowest API request per phase
	recovery  time.Duration    // from the endpoint's recovery to the first API success after it
	down      int64            // connections to the token endpoint while it was down
	unavail   int64            // token requests answered 503
}

func BenchmarkOutage(b *testing.B) {
	impls := []string{implTokenward, implTokenwardAsync, implXOAuth2, implGoogle}
	results := make([]outageResult, len(impls))
	var wg sync.WaitGroup
	for i, impl := range impls {
		wg.Go(func() { results[i] = outage(b, impl) })
	}
	wg.Wait()
	for i, impl := range impls {
		r := results[i]
		b.Run("impl="+impl, func(b *testing.B) {
			// The runs went together above: nothing to repeat here.
			b.ReportMetric(0, "ns/op")
			for p, ph := range outagePhases {
				b.ReportMetric(100*float64(r.ok[p])/float64(max(r.total[p], 1)), "%ok-"+ph.name)
				b.ReportMetric(ms(r.slowest[p]), "max-ms-"+ph.name)
			}
			b.ReportMetric(ms(r.recovery), "recovery-ms")
			b.ReportMetric(float64(r.down), "conns-while-down")
			b.ReportMetric(float64(r.unavail), "requests-503")
		})
	}
}

// outage runs the timeline for one library.
func outage(b *testing.B, impl string) outageResult {
	srv := newAS(b, outageLife)
	g := newGate(b, srv.URL)
	l := newLib(libConfig{impl: impl, tokenURL: g.url + "/token", window: outageWindow})
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 64
	defer base.CloseIdleConnections()
	rt := l.transport(base)
	if !apiGet(rt, srv.ResourceURL()) {
		b.Error(impl + ": first request failed")
		return outageResult{}
	}
	t0 := time.Now()
	g.mu.Lock()
	g.start = t0
	g.mu.Unlock()
	at := func(d time.Duration) { time.Sleep(time.Until(t0.Add(d))) }
	go func() {
		at(outageDownAt)
		g.mode.Store(gateDown)
		at(outageDownAt + outageDownFor)
		g.mode.Store(gateUnavailable)
		at(outageDownAt + outageDownFor + outageUnavailFor)
		g.mode.Store(gateUp)
	}()
	at(outageLoadFrom)
	end := outagePhases[len(outagePhases)-1].to
	samples := openLoop(rt, srv.ResourceURL(), outageRate, end-outageLoadFrom)
	recoverAt := outageDownAt + outageDownFor + outageUnavailFor
	r := outageResult{recovery: end - recoverAt} // no success at all: the whole phase
	for _, s := range samples {
		t := outageLoadFrom + s.at
		if done := t + s.lat; s.ok && done >= recoverAt {
			r.recovery = min(r.recovery, done-recoverAt)
		}
		for p, ph := range outagePhases {
			if t >= ph.from && t < ph.to {
				r.total[p]++
				r.slowest[p] = max(r.slowest[p], s.lat)
				if s.ok {
					r.ok[p]++
				}
			}
		}
	}
	r.down = g.requests[gateDown].Load()
	r.unavail = g.requests[gateUnavailable].Load()
	if testing.Verbose() {
		g.mu.Lock()
		b.Logf("%s: token endpoint timeline: %s", impl, strings.Join(g.log, " "))
		g.mu.Unlock()
	}
	return r
}
