// Command report reads the output of the side-by-side benchmarks and
// prints, as Markdown, one table per scenario with the ratios between the
// libraries and whether tokenward meets each target.
//
// Usage (from benchmarks/):
//
//	go test -run '^$' -bench . -count 5 ./... > testdata/bench.txt
//	go run ./cmd/report testdata/bench.txt
//
// Values repeated by -count are summarized by their median.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("report: ")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: report [bench-output-file ...]  (default: standard input)")
	}
	flag.Parse()
	res := results{}
	if flag.NArg() == 0 {
		if err := res.parse(os.Stdin); err != nil {
			log.Fatal(err)
		}
	}
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			log.Fatal(err)
		}
		err = res.parse(f)
		f.Close()
		if err != nil {
			log.Fatal(err)
		}
	}
	if len(res) == 0 {
		log.Fatal("no benchmark results in the input")
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for _, section := range []func(io.Writer, results){cached, transport, stampede, boundary, fleet, outage} {
		section(w, res)
	}
}

// results maps a benchmark name without its GOMAXPROCS suffix (such as
// "BenchmarkCachedToken/mode=serial/impl=tokenward") to its values by
// unit, one per run.
type results map[string]map[string][]float64

var procsSuffix = regexp.MustCompile(`-\d+$`)

// parse adds the benchmark lines of r: name, iterations, then value and
// unit pairs.
func (res results) parse(r io.Reader) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := procsSuffix.ReplaceAllString(f[0], "")
		if res[name] == nil {
			res[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("%q: %v", sc.Text(), err)
			}
			res[name][f[i+1]] = append(res[name][f[i+1]], v)
		}
	}
	return sc.Err()
}

// get returns the median of a benchmark's values in unit, and whether
// there were any.
func (res results) get(name, unit string) (float64, bool) {
	vs := slices.Clone(res[name][unit])
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2, true
	}
	return vs[len(vs)/2], true
}

// val is get without the flag: a missing value is NaN, printed as "–".
func (res results) val(name, unit string) float64 {
	v, ok := res.get(name, unit)
	if !ok {
		return nan
	}
	return v
}

var nan = math.NaN()

func isNaN(v float64) bool { return math.IsNaN(v) }

// num formats v with a precision that suits its size.
func num(v float64) string {
	switch {
	case isNaN(v):
		return "–"
	case v == 0:
		return "0"
	case v >= 100 || v <= -100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10 || v <= -10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1 || v <= -1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 2, 64)
}

// verdict says whether a target was met.
func verdict(ok bool, measured bool) string {
	switch {
	case !measured:
		return "not measured"
	case ok:
		return "**met**"
	}
	return "**not met**"
}

// row writes one Markdown table row.
func row(w io.Writer, cells ...string) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
}

// header writes a Markdown table header.
func header(w io.Writer, cells ...string) {
	row(w, cells...)
	seps := make([]string, len(cells))
	for i := range seps {
		seps[i] = "---"
	}
	row(w, seps...)
}

func cached(w io.Writer, res results) {
	fmt.Fprintln(w, "### 1. Cached token read")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Target: tokenward ≥10× faster than x/oauth2's `ReuseTokenSource`, 0 allocs/op.")
	fmt.Fprintln(w)
	header(w, "mode", "tokenward", "x/oauth2", "google-auth", "x/oauth2 ÷ tokenward", "google-auth ÷ tokenward", "target")
	for _, mode := range []string{"serial", "parallel"} {
		n := func(impl string) string { return "BenchmarkCachedToken/mode=" + mode + "/impl=" + impl }
		cell := func(impl string) string {
			return num(res.val(n(impl), "ns/op")) + " ns, " + num(res.val(n(impl), "allocs/op")) + " allocs"
		}
		tw, twOK := res.get(n("tokenward"), "ns/op")
		xo, xoOK := res.get(n("x-oauth2"), "ns/op")
		allocs, _ := res.get(n("tokenward"), "allocs/op")
		ratio := xo / tw
		row(w, mode, cell("tokenward"), cell("x-oauth2"), cell("google-auth"),
			num(ratio)+"×", num(res.val(n("google-auth"), "ns/op")/tw)+"×",
			verdict(ratio >= 10 && allocs == 0, twOK && xoOK))
	}
	fmt.Fprintln(w)
}

func transport(w io.Writer, res results) {
	fmt.Fprintln(w, "### 2. Transport overhead over a no-op RoundTripper")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Targets: tokenward ≤0.8× x/oauth2's time, and within 10% of the floor (`impl=floor`: one atomic load, a shallow request copy with a copied header map, one header set).")
	fmt.Fprintln(w)
	header(w, "mode", "floor", "tokenward", "x/oauth2", "google-auth", "tokenward ÷ x/oauth2", "target ≤0.8×", "tokenward ÷ floor", "target ≤1.10×")
	for _, mode := range []string{"serial", "parallel"} {
		n := func(impl string) string { return "BenchmarkTransport/mode=" + mode + "/impl=" + impl }
		cell := func(impl string) string {
			return num(res.val(n(impl), "ns/op")) + " ns, " + num(res.val(n(impl), "B/op")) + " B, " + num(res.val(n(impl), "allocs/op")) + " allocs"
		}
		tw, twOK := res.get(n("tokenward"), "ns/op")
		xo, xoOK := res.get(n("x-oauth2"), "ns/op")
		fl, flOK := res.get(n("floor"), "ns/op")
		row(w, mode, cell("floor"), cell("tokenward"), cell("x-oauth2"), cell("google-auth"),
			num(tw/xo)+"×", verdict(tw/xo <= 0.8, twOK && xoOK),
			num(tw/fl)+"×", verdict(tw/fl <= 1.10, twOK && flOK))
	}
	fmt.Fprintln(w)
}

func stampede(w io.Writer, res results) {
	fmt.Fprintln(w, "### 3. Stampede: 500 goroutines at renewal time, endpoint 50 ms")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Target: 1 token endpoint request; with AsyncRefresh, no caller waits while the token is still valid (phase `window`).")
	fmt.Fprintln(w)
	header(w, "phase", "impl", "endpoint requests", "max wait", "median wait", "errors", "target")
	for _, phase := range []string{"window", "expired"} {
		for _, impl := range []string{"tokenward", "tokenward-async", "x-oauth2", "google-auth", "google-auth-sync"} {
			n := "BenchmarkStampede/phase=" + phase + "/impl=" + impl
			hits, ok := res.get(n, "endpoint-hits")
			if !ok {
				continue
			}
			maxWait := res.val(n, "max-wait-ms")
			target := ""
			if strings.HasPrefix(impl, "tokenward") {
				met := hits == 1
				if impl == "tokenward-async" && phase == "window" {
					met = met && maxWait < 1
				}
				target = verdict(met, true)
			}
			row(w, phase, impl, num(hits), num(maxWait)+" ms", num(res.val(n, "p50-wait-ms"))+" ms",
				num(res.val(n, "errors")), target)
		}
	}
	fmt.Fprintln(w)
}

func boundary(w io.Writer, res results) {
	fmt.Fprintln(w, "### 4. Refresh boundary: 200 requests/s for 10 s, 2 s tokens, endpoint 100 ms")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Target: tokenward's p99 and p99.9 within 1 ms of the static-token run.")
	fmt.Fprintln(w)
	header(w, "impl", "p50", "p99", "p99.9", "max", "Δp99 vs static", "Δp99.9 vs static", "renewals", "failed", "target")
	for _, impl := range []string{"static", "tokenward-async", "x-oauth2", "google-auth"} {
		n := "BenchmarkRefreshBoundary/impl=" + impl
		if _, ok := res.get(n, "p99-ms"); !ok {
			continue
		}
		d99, d999 := res.val(n, "p99-delta-ms"), res.val(n, "p99.9-delta-ms")
		target := ""
		if strings.HasPrefix(impl, "tokenward") {
			target = verdict(d99 <= 1 && d999 <= 1, true)
		}
		row(w, impl, num(res.val(n, "p50-ms"))+" ms", num(res.val(n, "p99-ms"))+" ms", num(res.val(n, "p99.9-ms"))+" ms",
			num(res.val(n, "max-ms"))+" ms", signed(d99)+" ms", signed(d999)+" ms",
			num(res.val(n, "renewals")), num(res.val(n, "failed")), target)
	}
	fmt.Fprintln(w)
}

// signed formats a delta with its sign.
func signed(v float64) string {
	if v > 0 {
		return "+" + num(v)
	}
	return num(v)
}

func fleet(w io.Writer, res results) {
	fmt.Fprintln(w, "### 5. Fleet: 8 processes, one client identity, 2 s tokens, 6.5 s")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Target: 1 token endpoint request per token lifetime for the whole fleet (tokenward with the Redis cache).")
	fmt.Fprintln(w)
	header(w, "impl", "token requests", "requests per lifetime", "distinct tokens", "token reads", "errors", "target")
	for _, impl := range []string{"tokenward", "x-oauth2", "google-auth"} {
		n := "BenchmarkFleet/impl=" + impl
		per, ok := res.get(n, "requests/lifetime")
		if !ok {
			continue
		}
		target := ""
		if impl == "tokenward" {
			target = verdict(per <= 1, true)
		}
		row(w, impl, num(res.val(n, "endpoint-requests")), num(per), num(res.val(n, "distinct-tokens")),
			num(res.val(n, "calls")), num(res.val(n, "errors")), target)
	}
	fmt.Fprintln(w)
}

func outage(w io.Writer, res results) {
	fmt.Fprintln(w, "### 6. Outage (scaled 10×): endpoint down 3 s with 6 s left, then 503 + `Retry-After: 1` for 6 s, then up for 5 s")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Tokens live 12 s; every library renews 5.5 s before expiry. Targets: 100% of API requests succeed while the endpoint is down; no storm in the 503 phase (about one token request per Retry-After second: ≤ 7 in 6 s).")
	fmt.Fprintln(w)
	header(w, "impl", "ok before", "ok down (slowest)", "ok 503, token valid (slowest)", "ok 503, token expired (slowest)", "ok recovered",
		"first success after recovery", "connections while down", "token requests in 503 phase", "target")
	for _, impl := range []string{"tokenward", "tokenward-async", "x-oauth2", "google-auth"} {
		n := "BenchmarkOutage/impl=" + impl
		down, ok := res.get(n, "%ok-down")
		if !ok {
			continue
		}
		req503 := res.val(n, "requests-503")
		target := ""
		if strings.HasPrefix(impl, "tokenward") {
			target = verdict(down == 100 && req503 <= 7, true)
		}
		pct := func(phase string) string { return num(res.val(n, "%ok-"+phase)) + "%" }
		slow := func(phase string) string {
			return pct(phase) + " (" + num(res.val(n, "max-ms-"+phase)) + " ms)"
		}
		row(w, impl, pct("before"), slow("down"), slow("503-valid"), slow("503-expired"), pct("recovered"),
			num(res.val(n, "recovery-ms"))+" ms", num(res.val(n, "conns-while-down")), num(req503), target)
	}
	fmt.Fprintln(w)
}
