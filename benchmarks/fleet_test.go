package benchmarks

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/tokenward/tokenward/cache/rediscache"
	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/internal/fleet"
	"github.com/tokenward/tokenward/internal/testenv"
	"github.com/tokenward/tokenward/tokensource"
)

// Scenario 5: a fleet. 8 OS processes (re-executions of this test binary,
// the pattern of internal/fleet) share one client identity; tokenward's
// share a Redis cache too. Target: 1 token endpoint request per token
// lifetime for the whole fleet. x/oauth2 and cloud.google.com/go/auth
// have no shared cache, so each process renews alone: 8 per lifetime.
//
// Redis: REDIS_ADDR if set, else a redis-server started for the run (it
// must be on PATH; the benchmark is skipped otherwise).

// Environment of a child process.
const (
	envFleetRole     = "TOKENWARD_BENCH_FLEET_ROLE" // an impl name
	envFleetTokenURL = "TOKENWARD_BENCH_FLEET_TOKEN_URL"
	envFleetRedis    = "TOKENWARD_BENCH_FLEET_REDIS" // ADDR|PREFIX
	envFleetDuration = "TOKENWARD_BENCH_FLEET_DURATION"
)

const (
	fleetProcesses = 8
	fleetLife      = 2 * time.Second
	fleetWindow    = 300 * time.Millisecond
	fleetRun       = 6500 * time.Millisecond
)

// fleetReport is the last line a child prints, after "REPORT ".
type fleetReport struct {
	Calls  int      `json:"calls"`
	Errors int      `json:"errors"`
	Tokens []string `json:"tokens"` // distinct access tokens seen, in order
}

func BenchmarkFleet(b *testing.B) {
	addr := redisAddr(b)
	for _, impl := range []string{implTokenward, implXOAuth2, implGoogle} {
		b.Run("impl="+impl, func(b *testing.B) {
			var requests, lifetimes, calls, errs int
			tokens := map[string]bool{}
			for b.Loop() {
				srv := newAS(b, fleetLife)
				prefix := fmt.Sprintf("tokenward-bench-%d:", rand.Int64())
				reports := runFleet(b, fleetProcesses,
					envFleetRole+"="+impl,
					envFleetTokenURL+"="+srv.TokenURL(),
					envFleetRedis+"="+addr+"|"+prefix,
					envFleetDuration+"="+fleetRun.String())
				requests += srv.TokenRequests()
				// The first token, then one renewal every life − window
				// (a little less with tokenward's jitter).
				lifetimes += 1 + int(fleetRun/(fleetLife-fleetWindow))
				for _, r := range reports {
					calls += r.Calls
					errs += r.Errors
					for _, t := range r.Tokens {
						tokens[t] = true
					}
				}
				srv.Close()
			}
			b.ReportMetric(0, "ns/op") // the wall time of a scenario says nothing
			b.ReportMetric(float64(requests)/float64(lifetimes), "requests/lifetime")
			b.ReportMetric(float64(requests)/float64(b.N), "endpoint-requests")
			b.ReportMetric(float64(len(tokens))/float64(b.N), "distinct-tokens")
			b.ReportMetric(float64(errs)/float64(b.N), "errors")
			b.ReportMetric(float64(calls)/float64(b.N), "calls")
		})
	}
}

// runFleet starts n children with env, waits for them, and returns their
// reports.
func runFleet(b *testing.B, n int, env ...string) []fleetReport {
	b.Helper()
	return fleet.Run[fleetReport](b, n, []string{"-test.run=^$", "-test.bench=^$"}, env...)
}

// fleetChild is the body of a child process: it asks its library for a
// token every 5 ms for the configured duration, prints its report and
// returns the exit code.
func fleetChild(impl string) int {
	d, err := time.ParseDuration(os.Getenv(envFleetDuration))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	tokenURL := os.Getenv(envFleetTokenURL)
	var l lib
	if impl == implTokenward {
		addr, prefix, _ := strings.Cut(os.Getenv(envFleetRedis), "|")
		rdb := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
		defer rdb.Close()
		conf := &client.Config{ClientID: benchClientID, ClientSecret: benchClientSecret,
			Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader}}
		l = tokenwardLib(impl, conf.ClientCredentialsSource(&tokensource.Options{
			Cache: rediscache.New(rdb, &rediscache.Options{Prefix: prefix}), ExpiryWindow: fleetWindow, Logger: quiet,
		}))
	} else {
		l = newLib(libConfig{impl: impl, tokenURL: tokenURL, window: fleetWindow})
	}
	var rep fleetReport
	seen := map[string]bool{}
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		rep.Calls++
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		tok, err := l.token(ctx)
		cancel()
		switch {
		case err != nil:
			rep.Errors++
		case !seen[tok]:
			seen[tok] = true
			rep.Tokens = append(rep.Tokens, tok)
		}
	}
	fleet.PrintReport(rep)
	return 0
}

// redisAddr returns REDIS_ADDR, or starts a throwaway redis-server on a
// free loopback port for the rest of the benchmark.
func redisAddr(b *testing.B) string {
	if addr := os.Getenv("REDIS_ADDR"); addr != "" {
		return addr
	}
	return testenv.Redis(b).Addr
}
