package benchmarks

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Scenario 3: a stampede. 500 goroutines ask for a token at the same
// instant, when the cached token needs renewal; the token endpoint (a
// real HTTP oauth2test server) answers after 50 ms. Target: 1 token
// endpoint request; with AsyncRefresh, no caller waits.
//
// Two moments are measured:
//   - phase=window: the token is in its renewal window but still valid
//     (600 ms left). An asynchronous library can serve it while it renews.
//   - phase=expired: the token has expired; every library must wait.

const (
	stampedeCallers = 500
	stampedeLatency = 50 * time.Millisecond
	// tokenward serves every new token for at least 1 s (minFresh), so the
	// lifetime must exceed 1 s + the window for the window to matter.
	stampedeLife   = 2 * time.Second
	stampedeWindow = 800 * time.Millisecond
)

func BenchmarkStampede(b *testing.B) {
	phases := []struct {
		name  string
		at    time.Duration // when the callers ask, after the token was obtained
		impls []string
	}{
		{"window", stampedeLife - stampedeWindow + 200*time.Millisecond,
			[]string{implTokenward, implTokenwardAsync, implXOAuth2, implGoogle, implGoogleSync}},
		// With no valid token, asynchronous and synchronous modes are alike.
		{"expired", stampedeLife + 50*time.Millisecond,
			[]string{implTokenward, implXOAuth2, implGoogle}},
	}
	for _, ph := range phases {
		for _, impl := range ph.impls {
			b.Run("phase="+ph.name+"/impl="+impl, func(b *testing.B) {
				var hits, errs, runs int
				var maxWait, p50 time.Duration
				for b.Loop() {
					r := stampede(b, impl, ph.at)
					runs++
					hits += r.hits
					errs += r.errors
					maxWait = max(maxWait, r.waits.max)
					p50 = max(p50, r.waits.p50)
				}
				b.ReportMetric(0, "ns/op") // the wall time of a scenario says nothing
				b.ReportMetric(float64(hits)/float64(runs), "endpoint-hits")
				b.ReportMetric(ms(maxWait), "max-wait-ms")
				b.ReportMetric(ms(p50), "p50-wait-ms")
				b.ReportMetric(float64(errs)/float64(runs), "errors")
			})
		}
	}
}

type stampedeResult struct {
	hits, errors int
	waits        latencyStats
}

// stampede primes impl with a token, waits until at after it was
// obtained, and lets stampedeCallers goroutines ask at once.
func stampede(b *testing.B, impl string, at time.Duration) stampedeResult {
	srv := newAS(b, stampedeLife)
	srv.SetLatency(stampedeLatency)
	l := newLib(libConfig{impl: impl, tokenURL: srv.TokenURL(), window: stampedeWindow})
	ctx := context.Background()
	if _, err := l.token(ctx); err != nil {
		b.Fatal(err)
	}
	obtained := time.Now()
	before := srv.TokenRequests()

	start := make(chan struct{})
	waits := make([]time.Duration, stampedeCallers)
	errs := make([]error, stampedeCallers)
	var ready, done sync.WaitGroup
	for i := range stampedeCallers {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			t := time.Now()
			_, errs[i] = l.token(ctx)
			waits[i] = time.Since(t)
		}()
	}
	ready.Wait()
	time.Sleep(time.Until(obtained.Add(at)))
	close(start)
	done.Wait()
	// A background renewal may still be on its way to the server.
	time.Sleep(2 * stampedeLatency)

	r := stampedeResult{hits: srv.TokenRequests() - before, waits: summarize(waits)}
	for _, err := range errs {
		if err != nil {
			r.errors++
		}
	}
	srv.Close()
	return r
}
