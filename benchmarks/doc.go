// Package benchmarks runs tokenward side by side with golang.org/x/oauth2
// and cloud.google.com/go/auth in the same process and the same run. It is
// a separate module so that the SDK's go.mod does not depend on the other
// libraries. Everything is in the _test.go files; run
//
//	./run.sh
//
// or, for the raw numbers only,
//
//	go test -run '^$' -bench . ./...
//
// The scenarios, one file each:
//
//  1. cached_test.go: reading a cached token, serial and parallel.
//  2. transport_test.go: per-request overhead of each library's
//     http.RoundTripper over a no-op one, against a hand-written floor.
//  3. stampede_test.go: 500 goroutines ask for a token when it needs
//     renewal; the token endpoint takes 50 ms.
//  4. boundary_test.go: 200 requests/s for 10 s across renewals of 2 s
//     tokens, endpoint latency 100 ms; latency percentiles per library
//     against a static token (writes testdata/latency.csv).
//  5. fleet_test.go: 8 OS processes sharing one client identity (and, for
//     tokenward, one Redis cache): token requests per token lifetime.
//  6. outage_test.go: the token endpoint goes down, then answers 503 with
//     Retry-After: API success rate and token endpoint requests.
//
// cmd/report turns the output into ratios against the targets and
// cmd/plot draws testdata/latency.csv.
package benchmarks
